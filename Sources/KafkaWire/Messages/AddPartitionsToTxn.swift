import NIOCore

/// AddPartitionsToTxn (key 24), versions 0–3 (the client's form), flexible from 3. Versions 4+ batch several
/// transactions and are sent broker-to-broker only; Sluice does not offer them.
public struct AddPartitionsToTxnRequest: KafkaRequestMessage {
    public typealias Response = AddPartitionsToTxnResponse
    public static let apiKey = ApiKey.addPartitionsToTxn

    public struct Topic: Equatable, Sendable {
        public var name: String
        public var partitions: [Int32]

        public init(name: String, partitions: [Int32]) {
            self.name = name
            self.partitions = partitions
        }
    }

    public var transactionalId: String
    public var producerId: Int64
    public var producerEpoch: Int16
    public var topics: [Topic]

    public init(transactionalId: String, producerId: Int64, producerEpoch: Int16, topics: [Topic]) {
        self.transactionalId = transactionalId
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.topics = topics
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = version >= 3
        self.transactionalId = try buffer.readWireString("AddPartitionsToTxnRequest.transactionalId", compact: flexible)
        self.producerId = try buffer.readWireInt64("AddPartitionsToTxnRequest.producerId")
        self.producerEpoch = try buffer.readWireInt16("AddPartitionsToTxnRequest.producerEpoch")
        self.topics = try buffer.readWireArray("AddPartitionsToTxnRequest.topics", compact: flexible) { buffer in
            let name = try buffer.readWireString("AddPartitionsToTxnRequest.topics.name", compact: flexible)
            let partitions = try buffer.readWireArray("AddPartitionsToTxnRequest.topics.partitions", compact: flexible) {
                try $0.readWireInt32("AddPartitionsToTxnRequest.topics.partitions")
            }
            if flexible { try buffer.readTaggedFields("AddPartitionsToTxnRequest.topics") }
            return Topic(name: name, partitions: partitions)
        }
        if flexible { try buffer.readTaggedFields("AddPartitionsToTxnRequest") }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = version >= 3
        buffer.writeWireString(self.transactionalId, compact: flexible)
        buffer.writeInteger(self.producerId)
        buffer.writeInteger(self.producerEpoch)
        buffer.writeWireArray(self.topics, compact: flexible) { buffer, topic in
            buffer.writeWireString(topic.name, compact: flexible)
            buffer.writeWireArray(topic.partitions, compact: flexible) { $0.writeInteger($1) }
            if flexible { buffer.writeEmptyTaggedFields() }
        }
        if flexible { buffer.writeEmptyTaggedFields() }
    }
}

public struct AddPartitionsToTxnResponse: KafkaResponseMessage {
    public static let apiKey = ApiKey.addPartitionsToTxn

    public struct PartitionResult: Equatable, Sendable {
        public var partitionIndex: Int32
        public var errorCode: ErrorCode

        public init(partitionIndex: Int32, errorCode: ErrorCode) {
            self.partitionIndex = partitionIndex
            self.errorCode = errorCode
        }
    }

    public struct TopicResult: Equatable, Sendable {
        public var name: String
        public var partitions: [PartitionResult]

        public init(name: String, partitions: [PartitionResult]) {
            self.name = name
            self.partitions = partitions
        }
    }

    public var throttleTimeMs: Int32
    public var results: [TopicResult]

    public init(throttleTimeMs: Int32 = 0, results: [TopicResult]) {
        self.throttleTimeMs = throttleTimeMs
        self.results = results
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = version >= 3
        self.throttleTimeMs = try buffer.readWireInt32("AddPartitionsToTxnResponse.throttleTimeMs")
        self.results = try buffer.readWireArray("AddPartitionsToTxnResponse.results", compact: flexible) { buffer in
            let name = try buffer.readWireString("AddPartitionsToTxnResponse.results.name", compact: flexible)
            let partitions = try buffer.readWireArray("AddPartitionsToTxnResponse.results.partitions", compact: flexible) {
                buffer in
                let result = PartitionResult(
                    partitionIndex: try buffer.readWireInt32("AddPartitionsToTxnResponse.partitionIndex"),
                    errorCode: try buffer.readWireErrorCode("AddPartitionsToTxnResponse.errorCode")
                )
                if flexible { try buffer.readTaggedFields("AddPartitionsToTxnResponse.partitions") }
                return result
            }
            if flexible { try buffer.readTaggedFields("AddPartitionsToTxnResponse.results") }
            return TopicResult(name: name, partitions: partitions)
        }
        if flexible { try buffer.readTaggedFields("AddPartitionsToTxnResponse") }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = version >= 3
        buffer.writeInteger(self.throttleTimeMs)
        buffer.writeWireArray(self.results, compact: flexible) { buffer, topic in
            buffer.writeWireString(topic.name, compact: flexible)
            buffer.writeWireArray(topic.partitions, compact: flexible) { buffer, partition in
                buffer.writeInteger(partition.partitionIndex)
                buffer.writeWireErrorCode(partition.errorCode)
                if flexible { buffer.writeEmptyTaggedFields() }
            }
            if flexible { buffer.writeEmptyTaggedFields() }
        }
        if flexible { buffer.writeEmptyTaggedFields() }
    }
}
