import NIOCore

/// OffsetForLeaderEpoch (key 23), versions 0–4, flexible from 4: the end offset of a leader epoch, which
/// consumers use to detect log truncation after a leader change.
public struct OffsetForLeaderEpochRequest: KafkaRequestMessage {
    public typealias Response = OffsetForLeaderEpochResponse
    public static let apiKey = ApiKey.offsetForLeaderEpoch

    public struct Partition: Hashable, Sendable {
        public var partition: Int32
        /// v2+: the epoch the client believes current, for fencing; -1 when not known.
        public var currentLeaderEpoch: Int32
        public var leaderEpoch: Int32

        public init(partition: Int32, currentLeaderEpoch: Int32 = -1, leaderEpoch: Int32) {
            self.partition = partition
            self.currentLeaderEpoch = currentLeaderEpoch
            self.leaderEpoch = leaderEpoch
        }
    }

    public struct Topic: Hashable, Sendable {
        public var topic: String
        public var partitions: [Partition]

        public init(topic: String, partitions: [Partition]) {
            self.topic = topic
            self.partitions = partitions
        }
    }

    /// v3+: -1 for consumers, a broker id for followers (-2 when absent).
    public var replicaId: Int32
    public var topics: [Topic]

    public init(replicaId: Int32 = -1, topics: [Topic]) {
        self.replicaId = replicaId
        self.topics = topics
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = version >= 4
        self.init(replicaId: -2, topics: [])
        if version >= 3 {
            self.replicaId = try buffer.readWireInt32("OffsetForLeaderEpochRequest.replicaId")
        }
        self.topics = try buffer.readWireArray("OffsetForLeaderEpochRequest.topics", compact: flexible) { buffer in
            let topic = try buffer.readWireString("OffsetForLeaderEpochRequest.topics.topic", compact: flexible)
            let partitions = try buffer.readWireArray(
                "OffsetForLeaderEpochRequest.partitions", compact: flexible
            ) { buffer in
                let partition = try buffer.readWireInt32("OffsetForLeaderEpochRequest.partitions.partition")
                var currentLeaderEpoch: Int32 = -1
                if version >= 2 {
                    currentLeaderEpoch = try buffer.readWireInt32("OffsetForLeaderEpochRequest.partitions.currentLeaderEpoch")
                }
                let leaderEpoch = try buffer.readWireInt32("OffsetForLeaderEpochRequest.partitions.leaderEpoch")
                if flexible { try buffer.readTaggedFields("OffsetForLeaderEpochRequest.partitions") }
                return Partition(partition: partition, currentLeaderEpoch: currentLeaderEpoch, leaderEpoch: leaderEpoch)
            }
            if flexible { try buffer.readTaggedFields("OffsetForLeaderEpochRequest.topics") }
            return Topic(topic: topic, partitions: partitions)
        }
        if flexible { try buffer.readTaggedFields("OffsetForLeaderEpochRequest") }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = version >= 4
        if version >= 3 {
            buffer.writeInteger(self.replicaId)
        }
        buffer.writeWireArray(self.topics, compact: flexible) { buffer, topic in
            buffer.writeWireString(topic.topic, compact: flexible)
            buffer.writeWireArray(topic.partitions, compact: flexible) { buffer, partition in
                buffer.writeInteger(partition.partition)
                if version >= 2 {
                    buffer.writeInteger(partition.currentLeaderEpoch)
                }
                buffer.writeInteger(partition.leaderEpoch)
                if flexible { buffer.writeEmptyTaggedFields() }
            }
            if flexible { buffer.writeEmptyTaggedFields() }
        }
        if flexible { buffer.writeEmptyTaggedFields() }
    }
}

public struct OffsetForLeaderEpochResponse: KafkaResponseMessage {
    public static let apiKey = ApiKey.offsetForLeaderEpoch

    public struct Partition: Hashable, Sendable {
        public var errorCode: ErrorCode
        public var partition: Int32
        /// v1+.
        public var leaderEpoch: Int32
        public var endOffset: Int64

        public init(errorCode: ErrorCode = .none, partition: Int32, leaderEpoch: Int32 = -1, endOffset: Int64 = -1) {
            self.errorCode = errorCode
            self.partition = partition
            self.leaderEpoch = leaderEpoch
            self.endOffset = endOffset
        }
    }

    public struct Topic: Hashable, Sendable {
        public var topic: String
        public var partitions: [Partition]

        public init(topic: String, partitions: [Partition]) {
            self.topic = topic
            self.partitions = partitions
        }
    }

    /// v2+.
    public var throttleTimeMs: Int32
    public var topics: [Topic]

    public init(throttleTimeMs: Int32 = 0, topics: [Topic]) {
        self.throttleTimeMs = throttleTimeMs
        self.topics = topics
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = version >= 4
        self.init(topics: [])
        if version >= 2 {
            self.throttleTimeMs = try buffer.readWireInt32("OffsetForLeaderEpochResponse.throttleTimeMs")
        }
        self.topics = try buffer.readWireArray("OffsetForLeaderEpochResponse.topics", compact: flexible) { buffer in
            let topic = try buffer.readWireString("OffsetForLeaderEpochResponse.topics.topic", compact: flexible)
            let partitions = try buffer.readWireArray(
                "OffsetForLeaderEpochResponse.partitions", compact: flexible
            ) { buffer in
                let errorCode = try buffer.readWireErrorCode("OffsetForLeaderEpochResponse.partitions.errorCode")
                let partition = try buffer.readWireInt32("OffsetForLeaderEpochResponse.partitions.partition")
                var leaderEpoch: Int32 = -1
                if version >= 1 {
                    leaderEpoch = try buffer.readWireInt32("OffsetForLeaderEpochResponse.partitions.leaderEpoch")
                }
                let endOffset = try buffer.readWireInt64("OffsetForLeaderEpochResponse.partitions.endOffset")
                if flexible { try buffer.readTaggedFields("OffsetForLeaderEpochResponse.partitions") }
                return Partition(errorCode: errorCode, partition: partition, leaderEpoch: leaderEpoch, endOffset: endOffset)
            }
            if flexible { try buffer.readTaggedFields("OffsetForLeaderEpochResponse.topics") }
            return Topic(topic: topic, partitions: partitions)
        }
        if flexible { try buffer.readTaggedFields("OffsetForLeaderEpochResponse") }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = version >= 4
        if version >= 2 {
            buffer.writeInteger(self.throttleTimeMs)
        }
        buffer.writeWireArray(self.topics, compact: flexible) { buffer, topic in
            buffer.writeWireString(topic.topic, compact: flexible)
            buffer.writeWireArray(topic.partitions, compact: flexible) { buffer, partition in
                buffer.writeWireErrorCode(partition.errorCode)
                buffer.writeInteger(partition.partition)
                if version >= 1 {
                    buffer.writeInteger(partition.leaderEpoch)
                }
                buffer.writeInteger(partition.endOffset)
                if flexible { buffer.writeEmptyTaggedFields() }
            }
            if flexible { buffer.writeEmptyTaggedFields() }
        }
        if flexible { buffer.writeEmptyTaggedFields() }
    }
}
