import KafkaWire
import LogStore
import XCTest

@testable import BrokerServer

/// How topic and broker configs are described (sources, synonyms) and how IncrementalAlterConfigs' operations
/// turn a topic's set configs into the new set.
final class ConfigDescriptionsTests: XCTestCase {
    private let descriptions = ConfigDescriptions(
        brokerDefaults: LogConfig(fsyncPolicy: .always, batchSizeBytesMax: 8 * 1024 * 1024), broker: BrokerConfig()
    )

    private func topic(_ overrides: [String: String]) throws -> TopicInfo {
        let config = try TopicConfigRegistry.resolve(overrides, defaults: self.descriptions.brokerDefaults)
        return TopicInfo(name: "t", partitionCount: 1, config: config, overrides: overrides)
    }

    func testSourcesAndSynonymsFollowKafka() throws {
        let configs = self.descriptions.topicConfigs(
            try self.topic(["cleanup.policy": "compact"]), includeSynonyms: true, includeDocumentation: true
        )
        let byName = Dictionary(uniqueKeysWithValues: configs.map { ($0.name, $0) })
        let policy = try XCTUnwrap(byName["cleanup.policy"])
        XCTAssertEqual(policy.value, "compact")
        XCTAssertEqual(policy.configSource, ConfigDescriptions.Source.dynamicTopicConfig)
        XCTAssertEqual(policy.synonyms.map(\.name), ["cleanup.policy", "log.cleanup.policy"])
        XCTAssertEqual(policy.configType, TopicConfigType.list.rawValue)
        XCTAssertNotNil(policy.documentation)
        // The broker's own default differs from Kafka's: STATIC_BROKER_CONFIG, with the broker key as synonym.
        let maxBytes = try XCTUnwrap(byName["max.message.bytes"])
        XCTAssertEqual(maxBytes.value, "8388608")
        XCTAssertEqual(maxBytes.configSource, ConfigDescriptions.Source.staticBrokerConfig)
        XCTAssertEqual(maxBytes.synonyms.map(\.source), [4, 5])
        XCTAssertEqual(byName["delete.retention.ms"]?.configSource, ConfigDescriptions.Source.defaultConfig)
        XCTAssertNil(byName["replication.factor"], "not a Kafka topic config: never described")
        XCTAssertFalse(configs.contains { $0.readOnly })
    }

    func testBrokerConfigsAreReadOnlyUnderKafkaNames() {
        let configs = self.descriptions.brokerConfigs(keys: ["message.max.bytes", "log.retention.ms", "num.partitions"])
        XCTAssertEqual(Set(configs.map(\.name)), ["message.max.bytes", "log.retention.ms", "num.partitions"])
        XCTAssertTrue(configs.allSatisfy(\.readOnly))
        XCTAssertEqual(configs.first { $0.name == "message.max.bytes" }?.value, "8388608")
    }

    func testIncrementalOperations() throws {
        let topic = try self.topic(["retention.ms": "1000"])
        typealias Config = IncrementalAlterConfigsRequest.Config
        let appended = try KafkaRequestRouter.applyIncrementally([
            Config(name: "cleanup.policy", operation: .append, value: "compact"),
            Config(name: "retention.ms", operation: .delete, value: nil),
            Config(name: "segment.ms", operation: .set, value: "5000"),
        ], to: topic)
        XCTAssertEqual(appended, ["cleanup.policy": "delete,compact", "segment.ms": "5000"])
        let subtracted = try KafkaRequestRouter.applyIncrementally(
            [Config(name: "cleanup.policy", operation: .subtract, value: "delete")],
            to: try self.topic(["cleanup.policy": "compact,delete"])
        )
        XCTAssertEqual(subtracted, ["cleanup.policy": "compact"])
        for (configs, code) in [
            ([Config(name: "retention.ms", operation: .append, value: "1")], ErrorCode.invalidConfig),
            ([Config(name: "retention.ms", operation: .set, value: nil)], .invalidConfig),
            ([Config(name: "no.such.config", operation: .delete, value: nil)], .invalidConfig),
            ([Config(name: "segment.ms", operation: .delete, value: nil),
              Config(name: "segment.ms", operation: .delete, value: nil)], .invalidRequest),
            ([Config(name: "segment.ms", operation: .init(rawValue: 9), value: nil)], .invalidRequest),
        ] {
            XCTAssertThrowsError(try KafkaRequestRouter.applyIncrementally(configs, to: topic)) { error in
                XCTAssertEqual((error as? ConfigRefusal)?.errorCode, code, "\(configs)")
            }
        }
    }
}
