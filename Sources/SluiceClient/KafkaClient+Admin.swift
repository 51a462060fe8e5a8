import KafkaWire
import SluiceModel

/// Topic administration and offset look-ups.
extension KafkaClient {
    /// Creates a topic with `configs` (Kafka topic configs by name) set for it; an existing topic is an error
    /// naming it, and so is a config the broker refuses.
    public func createTopic(_ name: String, partitionCount: Int32, configs: [String: String] = [:]) async throws {
        let response = try await self.connection.send(CreateTopicsRequest(topics: [
            CreateTopicsRequest.Topic(
                name: name, numPartitions: partitionCount, replicationFactor: 1,
                configs: configs.keys.sorted().map { CreateTopicsRequest.Config(name: $0, value: configs[$0]) }
            ),
        ]))
        guard let result = response.topics.first(where: { $0.name == name }) else {
            throw KafkaClientError.unexpectedResponse("create-topics response without \(name)")
        }
        guard result.errorCode == .none else {
            throw KafkaClientError.brokerError(result.errorCode, "create topic \(name)", result.errorMessage)
        }
    }

    public func deleteTopic(_ name: String) async throws {
        let response = try await self.connection.send(DeleteTopicsRequest(topics: [DeleteTopicsRequest.TopicState(name: name)], topicNames: [name], timeoutMs: 30_000))
        guard let result = response.responses.first else {
            throw KafkaClientError.unexpectedResponse("delete-topics response without a result")
        }
        guard result.errorCode == .none else {
            throw KafkaClientError.brokerError(result.errorCode, "delete topic \(name)", result.errorMessage)
        }
    }

    /// Kafka's special timestamps for ListOffsets.
    public enum OffsetSpec: Sendable {
        case earliest
        case latest
        /// The first offset whose record timestamp is at or after this time.
        case timestamp(Int64)

        var wireTimestamp: Int64 {
            switch self {
            case .earliest: return -2
            case .latest: return -1
            case .timestamp(let milliseconds): return milliseconds
            }
        }
    }

    /// The offset matching `spec` in each partition; -1 where no record is that recent.
    public func listOffsets(topic: String, partitions: [PartitionID], spec: OffsetSpec) async throws
        -> [PartitionID: Int64]
    {
        let request = ListOffsetsRequest(topics: [
            ListOffsetsRequest.Topic(name: topic, partitions: partitions.map {
                ListOffsetsRequest.Partition(partitionIndex: $0.rawValue, timestamp: spec.wireTimestamp)
            }),
        ])
        let response = try await self.connection.send(request)
        var offsets: [PartitionID: Int64] = [:]
        for answer in response.topics.flatMap(\.partitions) {
            guard answer.errorCode == .none else {
                throw KafkaClientError.brokerError(answer.errorCode, "list offsets of \(topic)-\(answer.partitionIndex)")
            }
            offsets[PartitionID(answer.partitionIndex)] = answer.offset
        }
        return offsets
    }
}
