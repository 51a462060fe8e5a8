import KafkaWire
import NIOCore
import SluiceModel

/// The operations the `sluice` CLI needs from a Kafka-protocol broker, over one connection. Sluice is
/// a single node, so the bootstrap connection is also the leader of every partition; against a
/// multi-node cluster this client would need a connection per leader.
public final class KafkaClient: Sendable {
    public let connection: KafkaConnection

    public init(connection: KafkaConnection) {
        self.connection = connection
    }

    public static func connect(
        to address: HostPort, clientId: String = "sluice-cli", security: ClientSecurity = .plaintext
    ) async throws -> KafkaClient {
        KafkaClient(connection: try await KafkaConnection.connect(to: address, clientId: clientId, security: security))
    }

    public func close() async {
        await self.connection.close()
    }

    // MARK: Metadata

    /// Metadata for `topics` (all topics when nil); the broker may create missing ones when allowed.
    public func metadata(topics: [String]?, allowAutoTopicCreation: Bool = false) async throws -> MetadataResponse {
        try await self.connection.send(MetadataRequest(
            topics: topics.map { $0.map { MetadataRequest.Topic(name: $0) } },
            allowAutoTopicCreation: allowAutoTopicCreation
        ))
    }

    /// The partition count of `topic`, or an error naming what the broker said.
    public func partitionCount(of topic: String, allowAutoTopicCreation: Bool = false) async throws -> Int {
        let metadata = try await self.metadata(topics: [topic], allowAutoTopicCreation: allowAutoTopicCreation)
        guard let described = metadata.topics.first(where: { $0.name == topic }) else {
            throw KafkaClientError.unexpectedResponse("metadata without topic \(topic)")
        }
        guard described.errorCode == .none else {
            throw KafkaClientError.brokerError(described.errorCode, "topic \(topic)")
        }
        return described.partitions.count
    }

    // MARK: Produce

    /// Appends record batches (already built, with any compression) to one partition and returns the
    /// offset the broker gave the first record. `acks` is -1, 0 or 1; with 0 the result is nil.
    public func produce(
        topic: String, partition: PartitionID, batches: ByteBuffer, acks: Int16 = -1, timeoutMs: Int32 = 30_000
    ) async throws -> Int64? {
        let request = Self.produceRequest(topic: topic, partition: partition, batches: batches, acks: acks, timeoutMs: timeoutMs)
        if acks == 0 {
            try await self.connection.sendWithoutResponse(request)
            return nil
        }
        return try Self.baseOffset(of: try await self.connection.send(request), topic: topic, partition: partition)
    }

    /// Queues a produce (acks 1 or -1) without waiting; the future gives the base offset. Produces
    /// queued from one task are appended in the order they were queued.
    public func enqueueProduce(
        topic: String, partition: PartitionID, batches: ByteBuffer, acks: Int16 = -1, timeoutMs: Int32 = 30_000
    ) throws -> EventLoopFuture<Int64> {
        precondition(acks != 0, "a produce with acks=0 has no response to wait for")
        let request = Self.produceRequest(topic: topic, partition: partition, batches: batches, acks: acks, timeoutMs: timeoutMs)
        return try self.connection.enqueue(request).flatMapThrowing { response in
            try Self.baseOffset(of: response, topic: topic, partition: partition)
        }
    }

    private static func produceRequest(
        topic: String, partition: PartitionID, batches: ByteBuffer, acks: Int16, timeoutMs: Int32
    ) -> ProduceRequest {
        ProduceRequest(acks: acks, timeoutMs: timeoutMs, topicData: [
            ProduceRequest.TopicData(name: topic, partitionData: [
                ProduceRequest.PartitionData(index: partition.rawValue, records: batches),
            ]),
        ])
    }

    private static func baseOffset(of response: ProduceResponse, topic: String, partition: PartitionID) throws -> Int64 {
        guard let answer = response.responses.first?.partitionResponses.first else {
            throw KafkaClientError.unexpectedResponse("produce response without a partition")
        }
        guard answer.errorCode == .none else {
            throw KafkaClientError.brokerError(answer.errorCode, "produce to \(topic)-\(partition)", answer.errorMessage)
        }
        return answer.baseOffset
    }

    // MARK: Fetch

    /// The result of fetching one partition.
    public struct FetchedPartition: Sendable {
        public var partition: PartitionID
        /// Concatenated record batches; the last may be cut short by the size limit.
        public var records: ByteBuffer
        public var highWatermark: Int64
        public var logStartOffset: Int64
    }

    /// Reads batches of the given partitions from their offsets, waiting up to `maxWaitMs` for at
    /// least one byte. Per-partition errors are thrown, naming the partition.
    public func fetch(
        topic: String, offsets: [PartitionID: Int64], maxWaitMs: Int32 = 500, maxBytes: Int32 = 16 << 20,
        partitionMaxBytes: Int32 = 4 << 20
    ) async throws -> [FetchedPartition] {
        let partitions = offsets.sorted { $0.key < $1.key }.map { partition, offset in
            FetchRequest.Partition(partition: partition.rawValue, fetchOffset: offset, partitionMaxBytes: partitionMaxBytes)
        }
        let request = FetchRequest(
            maxWaitMs: maxWaitMs, minBytes: 1, maxBytes: maxBytes,
            topics: [FetchRequest.Topic(topic: topic, partitions: partitions)]
        )
        let response = try await self.connection.send(request)
        guard response.errorCode == .none else {
            throw KafkaClientError.brokerError(response.errorCode, "fetch")
        }
        var fetched: [FetchedPartition] = []
        for answer in response.responses.flatMap(\.partitions) {
            guard answer.errorCode == .none else {
                throw KafkaClientError.brokerError(answer.errorCode, "fetch from \(topic)-\(answer.partitionIndex)")
            }
            var records = ByteBuffer()
            if case .bytes(let bytes) = answer.records { records = bytes }
            fetched.append(FetchedPartition(
                partition: PartitionID(answer.partitionIndex), records: records,
                highWatermark: answer.highWatermark, logStartOffset: answer.logStartOffset
            ))
        }
        return fetched
    }
}
