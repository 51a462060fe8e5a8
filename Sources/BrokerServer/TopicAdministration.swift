import KafkaWire
import Logging
import LogStore
import OperatorRuntime
import SluiceModel

/// Creating and deleting topics on behalf of requests, including automatic creation when a client
/// produces to, or asks metadata for, a topic that does not exist yet (when the setting allows it).
struct TopicAdministration: Sendable {
    let logs: LogManager
    let config: BrokerConfig
    let logger: Logger
    /// The operators, so that a stream they read or write is not deleted under them (nil in tests without).
    var operators: OperatorRuntime?

    /// Topics the broker keeps for itself (the offsets log): hidden from listings, never read or written by
    /// clients. The rule itself lives in LogStore (`TopicNames.isInternal`).
    static func isInternal(_ name: String) -> Bool {
        TopicNames.isInternal(name)
    }

    /// The partition's log, creating the topic first when automatic creation is on; nil for internal topics.
    func partitionCreatingTopicIfAllowed(_ topicPartition: TopicPartition) -> PartitionLog? {
        guard !Self.isInternal(topicPartition.topic) else { return nil }
        if let log = self.logs.partition(topicPartition) { return log }
        guard self.ensureTopicExists(topicPartition.topic) else { return nil }
        return self.logs.partition(topicPartition)
    }

    /// True when the topic exists or was just created automatically.
    @discardableResult
    func ensureTopicExists(_ name: String) -> Bool {
        if self.logs.topic(name) != nil { return true }
        guard self.config.autoCreateTopics, !Self.isInternal(name) else { return false }
        do {
            try self.logs.createTopic(name, partitionCount: Int(self.config.defaultPartitions))
            self.logger.info("created topic automatically", metadata: [
                "topic": "\(name)", "partitions": "\(self.config.defaultPartitions)",
            ])
            return true
        } catch let error as StorageError where error.code == .topicAlreadyExists {
            return true  // created by a concurrent request
        } catch {
            self.logger.warning("automatic topic creation failed", metadata: ["topic": "\(name)", "error": "\(error)"])
            return false
        }
    }

    /// What CreateTopics learns for one topic: the error (NONE on success) and, when it was created or would be
    /// (`validateOnly`), the topic as it is or would be.
    struct CreateOutcome {
        var errorCode: ErrorCode = .none
        var message: String?
        var topic: TopicInfo?
    }

    /// Creates a topic as asked by CreateTopics, with `configs` (Kafka topic configs by name) set for it. With
    /// `validateOnly`, checks everything creation would, configs included, and creates nothing.
    func create(
        name: String, partitionCount: Int32, replicationFactor: Int16, configs: [String: String], validateOnly: Bool
    ) -> CreateOutcome {
        let partitions = partitionCount == -1 ? Int32(self.config.defaultPartitions) : partitionCount
        guard partitions >= 1, Int(partitions) <= Limits.partitionsPerTopicMax else {
            return CreateOutcome(errorCode: .invalidPartitions, message: "partition count must be 1...\(Limits.partitionsPerTopicMax)")
        }
        guard replicationFactor == -1 || replicationFactor == 1 else {
            return CreateOutcome(
                errorCode: .invalidReplicationFactor, message: "a single-node broker supports replication factor 1 only"
            )
        }
        if let problem = TopicNames.problem(with: name) {
            return CreateOutcome(errorCode: .invalidTopicException, message: problem)
        }
        if Self.isInternal(name) {
            return CreateOutcome(
                errorCode: .invalidTopicException, message: "names starting with '__' are kept for the broker's internal topics"
            )
        }
        if validateOnly {
            do {
                let config = try TopicConfigRegistry.resolve(configs, defaults: self.logs.defaultConfig)
                guard self.logs.topic(name) == nil else {
                    return CreateOutcome(errorCode: .topicAlreadyExists, message: "topic \(name) exists")
                }
                let info = TopicInfo(name: name, partitionCount: Int(partitions), config: config, overrides: configs)
                return CreateOutcome(topic: info)
            } catch {
                return CreateOutcome(errorCode: ErrorMapping.errorCode(for: error), message: ErrorMapping.message(for: error))
            }
        }
        do {
            try self.logs.createTopic(name, partitionCount: Int(partitions), configs: configs)
            self.logger.info("created topic", metadata: [
                "topic": "\(name)", "partitions": "\(partitions)",
                "configs": "\(configs.keys.sorted().map { "\($0)=\(configs[$0]!)" }.joined(separator: ","))",
            ])
            return CreateOutcome(topic: self.logs.topic(name))
        } catch {
            return CreateOutcome(errorCode: ErrorMapping.errorCode(for: error), message: ErrorMapping.message(for: error))
        }
    }

    /// Deletes a topic for DeleteTopics. A stream an operator reads or writes is refused with
    /// POLICY_VIOLATION: Kafka's request has no way to say "force", so a forced delete goes through the admin
    /// API (`DELETE /v1/streams/{name}?force=true`, `sluice topic delete --force`), which pauses those operators.
    func delete(name: String) -> (ErrorCode, String?) {
        guard !Self.isInternal(name) else {
            return (.invalidTopicException, "\(name) is an internal topic of the broker")
        }
        if let users = self.operators?.streamUsers(name), !users.isEmpty {
            return (.policyViolation, OperatorRuntime.streamInUseMessage(name, users: users))
        }
        do {
            try self.logs.deleteTopic(name)
            self.logger.info("deleted topic", metadata: ["topic": "\(name)"])
            return (.none, nil)
        } catch {
            return (ErrorMapping.errorCode(for: error), ErrorMapping.message(for: error))
        }
    }
}
