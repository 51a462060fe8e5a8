import NIOCore

/// TxnOffsetCommit (key 28), versions 0–3, flexible from 3: offsets committed as part of a transaction, visible
/// to OffsetFetch only once the transaction commits.
public struct TxnOffsetCommitRequest: KafkaRequestMessage {
    public typealias Response = TxnOffsetCommitResponse
    public static let apiKey = ApiKey.txnOffsetCommit

    public struct Partition: Equatable, Sendable {
        public var partitionIndex: Int32
        public var committedOffset: Int64
        /// v2+.
        public var committedLeaderEpoch: Int32
        public var committedMetadata: String?

        public init(partitionIndex: Int32, committedOffset: Int64, committedLeaderEpoch: Int32 = -1, committedMetadata: String?) {
            self.partitionIndex = partitionIndex
            self.committedOffset = committedOffset
            self.committedLeaderEpoch = committedLeaderEpoch
            self.committedMetadata = committedMetadata
        }
    }

    public struct Topic: Equatable, Sendable {
        public var name: String
        public var partitions: [Partition]

        public init(name: String, partitions: [Partition]) {
            self.name = name
            self.partitions = partitions
        }
    }

    public var transactionalId: String
    public var groupId: String
    public var producerId: Int64
    public var producerEpoch: Int16
    /// v3+ (KIP-447): the consumer's generation and member, -1 and "" when not known.
    public var generationId: Int32
    public var memberId: String
    public var groupInstanceId: String?
    public var topics: [Topic]

    public init(
        transactionalId: String, groupId: String, producerId: Int64, producerEpoch: Int16, generationId: Int32 = -1,
        memberId: String = "", groupInstanceId: String? = nil, topics: [Topic]
    ) {
        self.transactionalId = transactionalId
        self.groupId = groupId
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.generationId = generationId
        self.memberId = memberId
        self.groupInstanceId = groupInstanceId
        self.topics = topics
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = version >= 3
        self.transactionalId = try buffer.readWireString("TxnOffsetCommitRequest.transactionalId", compact: flexible)
        self.groupId = try buffer.readWireString("TxnOffsetCommitRequest.groupId", compact: flexible)
        self.producerId = try buffer.readWireInt64("TxnOffsetCommitRequest.producerId")
        self.producerEpoch = try buffer.readWireInt16("TxnOffsetCommitRequest.producerEpoch")
        self.generationId = -1
        self.memberId = ""
        self.groupInstanceId = nil
        if version >= 3 {
            self.generationId = try buffer.readWireInt32("TxnOffsetCommitRequest.generationId")
            self.memberId = try buffer.readWireString("TxnOffsetCommitRequest.memberId", compact: flexible)
            self.groupInstanceId = try buffer.readWireNullableString("TxnOffsetCommitRequest.groupInstanceId", compact: flexible)
        }
        self.topics = try buffer.readWireArray("TxnOffsetCommitRequest.topics", compact: flexible) { buffer in
            let name = try buffer.readWireString("TxnOffsetCommitRequest.topics.name", compact: flexible)
            let partitions = try buffer.readWireArray("TxnOffsetCommitRequest.partitions", compact: flexible) { buffer in
                let partitionIndex = try buffer.readWireInt32("TxnOffsetCommitRequest.partitionIndex")
                let committedOffset = try buffer.readWireInt64("TxnOffsetCommitRequest.committedOffset")
                let leaderEpoch = version >= 2 ? try buffer.readWireInt32("TxnOffsetCommitRequest.committedLeaderEpoch") : -1
                let metadata = try buffer.readWireNullableString("TxnOffsetCommitRequest.committedMetadata", compact: flexible)
                if flexible { try buffer.readTaggedFields("TxnOffsetCommitRequest.partitions") }
                return Partition(
                    partitionIndex: partitionIndex, committedOffset: committedOffset, committedLeaderEpoch: leaderEpoch,
                    committedMetadata: metadata
                )
            }
            if flexible { try buffer.readTaggedFields("TxnOffsetCommitRequest.topics") }
            return Topic(name: name, partitions: partitions)
        }
        if flexible { try buffer.readTaggedFields("TxnOffsetCommitRequest") }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = version >= 3
        buffer.writeWireString(self.transactionalId, compact: flexible)
        buffer.writeWireString(self.groupId, compact: flexible)
        buffer.writeInteger(self.producerId)
        buffer.writeInteger(self.producerEpoch)
        if version >= 3 {
            buffer.writeInteger(self.generationId)
            buffer.writeWireString(self.memberId, compact: flexible)
            buffer.writeWireNullableString(self.groupInstanceId, compact: flexible)
        }
        buffer.writeWireArray(self.topics, compact: flexible) { buffer, topic in
            buffer.writeWireString(topic.name, compact: flexible)
            buffer.writeWireArray(topic.partitions, compact: flexible) { buffer, partition in
                buffer.writeInteger(partition.partitionIndex)
                buffer.writeInteger(partition.committedOffset)
                if version >= 2 { buffer.writeInteger(partition.committedLeaderEpoch) }
                buffer.writeWireNullableString(partition.committedMetadata, compact: flexible)
                if flexible { buffer.writeEmptyTaggedFields() }
            }
            if flexible { buffer.writeEmptyTaggedFields() }
        }
        if flexible { buffer.writeEmptyTaggedFields() }
    }
}

public struct TxnOffsetCommitResponse: KafkaResponseMessage {
    public static let apiKey = ApiKey.txnOffsetCommit

    public struct Partition: Equatable, Sendable {
        public var partitionIndex: Int32
        public var errorCode: ErrorCode

        public init(partitionIndex: Int32, errorCode: ErrorCode) {
            self.partitionIndex = partitionIndex
            self.errorCode = errorCode
        }
    }

    public struct Topic: Equatable, Sendable {
        public var name: String
        public var partitions: [Partition]

        public init(name: String, partitions: [Partition]) {
            self.name = name
            self.partitions = partitions
        }
    }

    public var throttleTimeMs: Int32
    public var topics: [Topic]

    public init(throttleTimeMs: Int32 = 0, topics: [Topic]) {
        self.throttleTimeMs = throttleTimeMs
        self.topics = topics
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = version >= 3
        self.throttleTimeMs = try buffer.readWireInt32("TxnOffsetCommitResponse.throttleTimeMs")
        self.topics = try buffer.readWireArray("TxnOffsetCommitResponse.topics", compact: flexible) { buffer in
            let name = try buffer.readWireString("TxnOffsetCommitResponse.topics.name", compact: flexible)
            let partitions = try buffer.readWireArray("TxnOffsetCommitResponse.partitions", compact: flexible) { buffer in
                let partition = Partition(
                    partitionIndex: try buffer.readWireInt32("TxnOffsetCommitResponse.partitionIndex"),
                    errorCode: try buffer.readWireErrorCode("TxnOffsetCommitResponse.errorCode")
                )
                if flexible { try buffer.readTaggedFields("TxnOffsetCommitResponse.partitions") }
                return partition
            }
            if flexible { try buffer.readTaggedFields("TxnOffsetCommitResponse.topics") }
            return Topic(name: name, partitions: partitions)
        }
        if flexible { try buffer.readTaggedFields("TxnOffsetCommitResponse") }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = version >= 3
        buffer.writeInteger(self.throttleTimeMs)
        buffer.writeWireArray(self.topics, compact: flexible) { buffer, topic in
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
