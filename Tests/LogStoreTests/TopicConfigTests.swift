import Foundation
import RecordFormat
import SluiceModel
import XCTest

@testable import LogStore

/// The topic config table (`TopicConfigRegistry`): validation with messages naming the key, the typed values it
/// sets, persistence in `topic.conf` (including version 1 files), live changes and their effect on appends.
final class TopicConfigTests: LogStoreTestCase {
    private func problem(_ overrides: [String: String]) -> String? {
        do {
            _ = try TopicConfigRegistry.resolve(overrides, defaults: LogConfig())
            return nil
        } catch {
            XCTAssertEqual(error.code, .invalidConfig)
            return error.message
        }
    }

    func testKafkaDefaultsAreValidAndChangeNothing() throws {
        for definition in TopicConfigRegistry.definitions {
            XCTAssertNil(definition.problem(with: definition.kafkaDefault), definition.name)
        }
        XCTAssertEqual(try TopicConfigRegistry.resolve([:], defaults: LogConfig()), LogConfig())
        let names = TopicConfigRegistry.definitions.map(\.name)
        XCTAssertEqual(Set(names).count, names.count, "a key is defined twice")
    }

    func testRefusalsNameTheKeyAndWhy() {
        let cases: [(String, String, String)] = [
            ("retention.ms", "soon", "whole number"),
            ("retention.ms", "-2", "at least -1"),
            ("segment.bytes", "3000000000", "between 14 and"),
            ("cleanup.policy", "shred", "delete and compact"),
            ("cleanup.policy", "", "delete and compact"),
            ("compression.type", "zstd", "does not recompress"),
            ("compression.type", "brotli", "must be one of"),
            ("message.timestamp.type", "WallClock", "CreateTime or LogAppendTime"),
            ("min.insync.replicas", "2", "one replica"),
            ("min.cleanable.dirty.ratio", "1.5", "between 0 and 1"),
            ("flush.messages", "100", "after every append"),
            ("preallocate", "yes", "true or false"),
            ("remote.storage.enable", "true", "tiered storage"),
            ("leader.replication.throttled.replicas", "0:1", "no replication"),
            ("max.message.bytes", "17000000", "between 61 and"),
            ("no.such.config", "1", "unknown topic config"),
            ("retention.ms", "1\nsegment.ms=1", "line break"),
            ("cleanup.policy", Array(repeating: "compact", count: 200).joined(separator: ","), "over the limit"),
        ]
        for (name, value, why) in cases {
            let message = self.problem([name: value])
            XCTAssertNotNil(message, "\(name)=\(value) was accepted")
            XCTAssertTrue(message?.contains(name) ?? false, "\(name)=\(value): \(message ?? "")")
            XCTAssertTrue(message?.contains(why) ?? false, "\(name)=\(value): \(message ?? "")")
        }
        let clash = self.problem(["segment.bytes": "100000", "max.message.bytes": "200000"]) ?? ""
        XCTAssertTrue(clash.contains("segment.bytes") && clash.contains("max.message.bytes"), clash)
        XCTAssertNil(self.problem(["segment.bytes": "100000", "max.message.bytes": "100000"]))
        // Without a limit of its own, a small segment size lowers the topic's batch limit to fit.
        let small = try? TopicConfigRegistry.resolve(["segment.bytes": "100000"], defaults: LogConfig())
        XCTAssertEqual(small?.batchSizeBytesMax, 100_000)
    }

    func testValuesSetTheTypedConfig() throws {
        let config = try TopicConfigRegistry.resolve(
            [
                "cleanup.policy": "delete, compact", "message.timestamp.type": "LogAppendTime",
                "message.timestamp.before.max.ms": "1000", "min.compaction.lag.ms": "5000",
                "max.compaction.lag.ms": "9000", "delete.retention.ms": "100", "min.cleanable.dirty.ratio": "0.25",
                "flush.ms": "250", "max.message.bytes": "2097152", "retention.bytes": "-1", "retention.ms": "-1",
                "compression.type": "producer", "min.insync.replicas": "1", "unclean.leader.election.enable": "true",
            ],
            defaults: LogConfig()
        )
        XCTAssertEqual(config.cleanupPolicy, [.delete, .compact])
        XCTAssertEqual(config.cleanupPolicy.description, "compact,delete")
        XCTAssertEqual(config.timestampPolicy.type, .logAppendTime)
        XCTAssertEqual(config.timestampPolicy.beforeMaxMs, 1000)
        XCTAssertEqual(config.compaction.minLagMs, 5000)
        XCTAssertEqual(config.compaction.maxLagMs, 9000)
        XCTAssertEqual(config.compaction.deleteRetentionMs, 100)
        XCTAssertEqual(config.compaction.minCleanableDirtyRatio, 0.25)
        XCTAssertEqual(config.fsyncPolicy, .interval(milliseconds: 250))
        XCTAssertEqual(config.batchSizeBytesMax, 2_097_152)
        XCTAssertNil(config.retentionSizeBytes)
        XCTAssertNil(config.retentionMs)
        XCTAssertEqual(try TopicConfigRegistry.resolve(["flush.messages": "1"], defaults: LogConfig()).fsyncPolicy, .always)
        XCTAssertEqual(try TopicConfigRegistry.resolve(["flush.ms": "0"], defaults: LogConfig()).fsyncPolicy, .always)
    }

    func testConfigsSurviveReopeningTheDataDirectory() throws {
        let configs = ["cleanup.policy": "compact", "max.message.bytes": "2097152", "min.insync.replicas": "1",
                       "preallocate": "true"]
        do {
            let manager = try self.openManager()
            try manager.createTopic("changelog", partitionCount: 2, configs: configs)
            try manager.setTopicConfigs("changelog", overrides: configs.merging(["retention.ms": "60000"]) { $1 })
            try manager.close()
        }
        let manager = try self.openManager()
        defer { try? manager.close() }
        let info = try XCTUnwrap(manager.topic("changelog"))
        XCTAssertEqual(info.overrides, configs.merging(["retention.ms": "60000"]) { $1 })
        XCTAssertEqual(info.config.cleanupPolicy, .compact)
        XCTAssertEqual(info.config.retentionMs, 60000)
        XCTAssertEqual(info.partitionCount, 2)
        let log = try XCTUnwrap(manager.partition(TopicPartition(topic: "changelog", partition: PartitionID(1))))
        XCTAssertEqual(log.config.batchSizeBytesMax, 2_097_152)
    }

    func testVersionOneFilesStillOpen() throws {
        // What an earlier Sluice wrote: the settings that differed from the defaults, `fsync` under its own name.
        let topicDirectory = self.dataDirectory + "/topics/legacy"
        try FileManager.default.createDirectory(atPath: topicDirectory, withIntermediateDirectories: true)
        let text = "# sluice topic configuration\nversion=1\npartitions=2\nfsync=always\nretention.ms=-1\n"
            + "segment.bytes=2097152\n"
        try ChecksummedFile.wrap(Array(text.utf8)).write(to: topicDirectory + "/topic.conf")
        let manager = try self.openManager()
        defer { try? manager.close() }
        let info = try XCTUnwrap(manager.topic("legacy"))
        XCTAssertEqual(info.partitionCount, 2)
        XCTAssertEqual(info.config.fsyncPolicy, .always)
        XCTAssertNil(info.config.retentionMs)
        XCTAssertEqual(info.config.segmentSizeBytes, 2_097_152)
        XCTAssertEqual(info.overrides, ["flush.ms": "0", "retention.ms": "-1", "segment.bytes": "2097152"])
    }

    func testInvalidChangeAndValidateOnlyLeaveTheTopicAlone() throws {
        let manager = try self.openManager()
        defer { try? manager.close() }
        try manager.createTopic("steady", partitionCount: 1, configs: ["retention.ms": "60000"])
        self.assertStorageError(.invalidConfig) {
            try manager.setTopicConfigs("steady", overrides: ["retention.ms": "x"])
        }
        let checked = try manager.setTopicConfigs("steady", overrides: ["retention.ms": "1000"], validateOnly: true)
        XCTAssertEqual(checked.config.retentionMs, 1000)
        XCTAssertEqual(manager.topic("steady")?.overrides, ["retention.ms": "60000"])
        XCTAssertEqual(manager.partition(TopicPartition(topic: "steady", partition: PartitionID(0)))?.config.retentionMs, 60000)
        self.assertStorageError(.unknownTopic) { try manager.setTopicConfigs("absent", overrides: [:]) }
    }

    func testLiveMaxMessageBytesChangeAppliesToTheNextAppend() throws {
        let manager = try self.openManager()
        defer { try? manager.close() }
        try manager.createTopic("sized", partitionCount: 1, configs: [:])
        let log = try XCTUnwrap(manager.partition(TopicPartition(topic: "sized", partition: PartitionID(0))))
        try self.appendBatches(log, count: 1, valueSizeBytes: 5000)
        try manager.setTopicConfigs("sized", overrides: ["max.message.bytes": "4096"])
        self.assertStorageError(.recordBatchTooLarge) { try self.appendBatches(log, count: 1, valueSizeBytes: 5000) }
        try self.appendBatches(log, count: 1, valueSizeBytes: 1000)
    }

    func testLogAppendTimeStampsTheBatchAndItsChecksum() throws {
        let manager = try self.openManager()
        defer { try? manager.close() }
        try manager.createTopic("stamped", partitionCount: 1, configs: ["message.timestamp.type": "LogAppendTime"])
        let log = try XCTUnwrap(manager.partition(TopicPartition(topic: "stamped", partition: PartitionID(0))))
        let result = try XCTUnwrap(self.appendBatches(log, count: 1, timestampMs: 1_000).first)
        XCTAssertEqual(result.logAppendTimeMs, self.clock.wallTimeMs())
        let bytes = try XCTUnwrap(log.read(from: .zero, maxBytes: 10_000, minOneBatch: true).slice).readBytes()
        let header = try bytes.withUnsafeBytes { try RecordBatchValidator.validate($0) }  // the CRC checks
        XCTAssertTrue(header.attributes.isLogAppendTime)
        XCTAssertEqual(header.maxTimestamp, self.clock.wallTimeMs())
        XCTAssertEqual(header.baseTimestamp, 1_000)
    }

    func testTimestampBoundsRefuseBatchesTooFarFromTheClock() throws {
        let manager = try self.openManager()
        defer { try? manager.close() }
        try manager.createTopic("bounded", partitionCount: 1, configs: [
            "message.timestamp.before.max.ms": "60000", "message.timestamp.after.max.ms": "1000",
        ])
        let log = try XCTUnwrap(manager.partition(TopicPartition(topic: "bounded", partition: PartitionID(0))))
        let nowMs = self.clock.wallTimeMs()
        try self.appendBatches(log, count: 1, timestampMs: nowMs - 59_000)
        self.assertStorageError(.invalidTimestamp) { try self.appendBatches(log, count: 1, timestampMs: nowMs - 61_000) }
        self.assertStorageError(.invalidTimestamp) { try self.appendBatches(log, count: 1, timestampMs: nowMs + 2_000) }
        XCTAssertEqual(log.logEndOffset, Offset(1))
    }

    func testRetentionLeavesCompactTopicsAlone() throws {
        let manager = try self.openManager()
        defer { try? manager.close() }
        let small = ["segment.bytes": "4096", "retention.bytes": "4096"]
        try manager.createTopic("compacted", partitionCount: 1, configs: small.merging(["cleanup.policy": "compact"]) { $1 })
        try manager.createTopic("deleted", partitionCount: 1, configs: small)
        for topic in ["compacted", "deleted"] {
            let log = try XCTUnwrap(manager.partition(TopicPartition(topic: topic, partition: PartitionID(0))))
            try self.appendBatches(log, count: 20, valueSizeBytes: 1000)
        }
        try manager.enforceRetention()
        XCTAssertEqual(manager.partition(TopicPartition(topic: "compacted", partition: PartitionID(0)))?.logStartOffset, .zero)
        XCTAssertGreaterThan(
            try XCTUnwrap(manager.partition(TopicPartition(topic: "deleted", partition: PartitionID(0)))).logStartOffset,
            .zero
        )
    }
}

extension Array where Element == UInt8 {
    fileprivate func write(to path: String) throws {
        try Data(self).write(to: URL(fileURLWithPath: path))
    }
}
