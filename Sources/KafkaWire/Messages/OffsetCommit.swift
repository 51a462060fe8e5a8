import NIOCore

/// OffsetCommit (key 8), versions 2–8, flexible from 8. The retention time (v2–4) is read and kept but
/// Kafka brokers ignore it since 2.1, and so may Sluice.
public struct OffsetCommitRequest: KafkaRequestMessage {
    public typealias Response = OffsetCommitResponse
    public static let apiKey = ApiKey.offsetCommit

    public struct Partition: Hashable, Sendable {
        public var partitionIndex: Int32
        public var committedOffset: Int64
        /// v6+.
        public var committedLeaderEpoch: Int32
        public var committedMetadata: String?

        public init(partitionIndex: Int32, committedOffset: Int64, committedLeaderEpoch: Int32 = -1, committedMetadata: String? = nil) {
            self.partitionIndex = partitionIndex
            self.committedOffset = committedOffset
            self.committedLeaderEpoch = committedLeaderEpoch
            self.committedMetadata = committedMetadata
        }
    }

    public struct Topic: Hashable, Sendable {
        public var name: String
        public var partitions: [Partition]

        public init(name: String, partitions: [Partition]) {
            self.name = name
            self.partitions = partitions
        }
    }

    public var groupId: String
    /// -1 for a commit from outside any group generation.
    public var generationIdOrMemberEpoch: Int32
    public var memberId: String
    /// v7+.
    public var groupInstanceId: String?
    /// v2–4.
    public var retentionTimeMs: Int64
    public var topics: [Topic]

    public init(
        groupId: String,
        generationIdOrMemberEpoch: Int32 = -1,
        memberId: String = "",
        groupInstanceId: String? = nil,
        retentionTimeMs: Int64 = -1,
        topics: [Topic]
    ) {
        self.groupId = groupId
        self.generationIdOrMemberEpoch = generationIdOrMemberEpoch
        self.memberId = memberId
        self.groupInstanceId = groupInstanceId
        self.retentionTimeMs = retentionTimeMs
        self.topics = topics
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = version >= 8
        self.init(groupId: try buffer.readWireString("OffsetCommitRequest.groupId", compact: flexible), topics: [])
        self.generationIdOrMemberEpoch = try buffer.readWireInt32("OffsetCommitRequest.generationIdOrMemberEpoch")
        self.memberId = try buffer.readWireString("OffsetCommitRequest.memberId", compact: flexible)
        if version >= 7 {
            self.groupInstanceId = try buffer.readWireNullableString("OffsetCommitRequest.groupInstanceId", compact: flexible)
        }
        if version >= 2 && version <= 4 {
            self.retentionTimeMs = try buffer.readWireInt64("OffsetCommitRequest.retentionTimeMs")
        }
        self.topics = try buffer.readWireArray("OffsetCommitRequest.topics", compact: flexible) { buffer in
            let name = try buffer.readWireString("OffsetCommitRequest.topics.name", compact: flexible)
            let partitions = try buffer.readWireArray("OffsetCommitRequest.partitions", compact: flexible) { buffer in
                var partition = Partition(
                    partitionIndex: try buffer.readWireInt32("OffsetCommitRequest.partitions.partitionIndex"),
                    committedOffset: try buffer.readWireInt64("OffsetCommitRequest.partitions.committedOffset")
                )
                if version >= 6 {
                    partition.committedLeaderEpoch = try buffer.readWireInt32(
                        "OffsetCommitRequest.partitions.committedLeaderEpoch"
                    )
                }
                partition.committedMetadata = try buffer.readWireNullableString(
                    "OffsetCommitRequest.partitions.committedMetadata", compact: flexible
                )
                if flexible {
                    try buffer.readTaggedFields("OffsetCommitRequest.partitions")
                }
                return partition
            }
            if flexible {
                try buffer.readTaggedFields("OffsetCommitRequest.topics")
            }
            return Topic(name: name, partitions: partitions)
        }
        if flexible {
            try buffer.readTaggedFields("OffsetCommitRequest")
        }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = version >= 8
        buffer.writeWireString(self.groupId, compact: flexible)
        buffer.writeInteger(self.generationIdOrMemberEpoch)
        buffer.writeWireString(self.memberId, compact: flexible)
        if version >= 7 {
            buffer.writeWireNullableString(self.groupInstanceId, compact: flexible)
        }
        if version >= 2 && version <= 4 {
            buffer.writeInteger(self.retentionTimeMs)
        }
        buffer.writeWireArray(self.topics, compact: flexible) { buffer, topic in
            buffer.writeWireString(topic.name, compact: flexible)
            buffer.writeWireArray(topic.partitions, compact: flexible) { buffer, partition in
                buffer.writeInteger(partition.partitionIndex)
                buffer.writeInteger(partition.committedOffset)
                if version >= 6 {
                    buffer.writeInteger(partition.committedLeaderEpoch)
                }
                buffer.writeWireNullableString(partition.committedMetadata, compact: flexible)
                if flexible {
                    buffer.writeEmptyTaggedFields()
                }
            }
            if flexible {
                buffer.writeEmptyTaggedFields()
            }
        }
        if flexible {
            buffer.writeEmptyTaggedFields()
        }
    }
}

public struct OffsetCommitResponse: KafkaResponseMessage {
    public static let apiKey = ApiKey.offsetCommit

    public struct Partition: Hashable, Sendable {
        public var partitionIndex: Int32
        public var errorCode: ErrorCode

        public init(partitionIndex: Int32, errorCode: ErrorCode = .none) {
            self.partitionIndex = partitionIndex
            self.errorCode = errorCode
        }
    }

    public struct Topic: Hashable, Sendable {
        public var name: String
        public var partitions: [Partition]

        public init(name: String, partitions: [Partition]) {
            self.name = name
            self.partitions = partitions
        }
    }

    /// v3+.
    public var throttleTimeMs: Int32
    public var topics: [Topic]

    public init(throttleTimeMs: Int32 = 0, topics: [Topic]) {
        self.throttleTimeMs = throttleTimeMs
        self.topics = topics
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = version >= 8
        self.throttleTimeMs = version >= 3 ? try buffer.readWireInt32("OffsetCommitResponse.throttleTimeMs") : 0
        self.topics = try buffer.readWireArray("OffsetCommitResponse.topics", compact: flexible) { buffer in
            let name = try buffer.readWireString("OffsetCommitResponse.topics.name", compact: flexible)
            let partitions = try buffer.readWireArray("OffsetCommitResponse.partitions", compact: flexible) {
                let partition = Partition(
                    partitionIndex: try $0.readWireInt32("OffsetCommitResponse.partitions.partitionIndex"),
                    errorCode: try $0.readWireErrorCode("OffsetCommitResponse.partitions.errorCode")
                )
                if flexible {
                    try $0.readTaggedFields("OffsetCommitResponse.partitions")
                }
                return partition
            }
            if flexible {
                try buffer.readTaggedFields("OffsetCommitResponse.topics")
            }
            return Topic(name: name, partitions: partitions)
        }
        if flexible {
            try buffer.readTaggedFields("OffsetCommitResponse")
        }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = version >= 8
        if version >= 3 {
            buffer.writeInteger(self.throttleTimeMs)
        }
        buffer.writeWireArray(self.topics, compact: flexible) { buffer, topic in
            buffer.writeWireString(topic.name, compact: flexible)
            buffer.writeWireArray(topic.partitions, compact: flexible) { buffer, partition in
                buffer.writeInteger(partition.partitionIndex)
                buffer.writeWireErrorCode(partition.errorCode)
                if flexible {
                    buffer.writeEmptyTaggedFields()
                }
            }
            if flexible {
                buffer.writeEmptyTaggedFields()
            }
        }
        if flexible {
            buffer.writeEmptyTaggedFields()
        }
    }
}
