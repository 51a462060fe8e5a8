import NIOCore

/// OffsetFetch (key 9), versions 1–8, flexible from 6. Up to v7 one group per request; v8 batches groups.
public struct OffsetFetchRequest: KafkaRequestMessage {
    public typealias Response = OffsetFetchResponse
    public static let apiKey = ApiKey.offsetFetch

    public struct Topic: Hashable, Sendable {
        public var name: String
        public var partitionIndexes: [Int32]

        public init(name: String, partitionIndexes: [Int32]) {
            self.name = name
            self.partitionIndexes = partitionIndexes
        }
    }

    public struct Group: Hashable, Sendable {
        public var groupId: String
        /// nil asks for every committed partition of the group.
        public var topics: [Topic]?

        public init(groupId: String, topics: [Topic]?) {
            self.groupId = groupId
            self.topics = topics
        }
    }

    /// v1–7.
    public var groupId: String
    /// v1–7; nil (v2+) asks for every committed partition.
    public var topics: [Topic]?
    /// v8+.
    public var groups: [Group]
    /// v7+.
    public var requireStable: Bool

    public init(groupId: String = "", topics: [Topic]? = nil, groups: [Group] = [], requireStable: Bool = false) {
        self.groupId = groupId
        self.topics = topics
        self.groups = groups
        self.requireStable = requireStable
    }

    private static func readTopics(_ buffer: inout ByteBuffer, compact: Bool, nullable: Bool) throws -> [Topic]? {
        let readTopic = { (buffer: inout ByteBuffer) throws -> Topic in
            let topic = Topic(
                name: try buffer.readWireString("OffsetFetchRequest.topics.name", compact: compact),
                partitionIndexes: try buffer.readWireArray("OffsetFetchRequest.topics.partitionIndexes", compact: compact) {
                    try $0.readWireInt32("OffsetFetchRequest.topics.partitionIndexes")
                }
            )
            if compact {
                try buffer.readTaggedFields("OffsetFetchRequest.topics")
            }
            return topic
        }
        if nullable {
            return try buffer.readWireNullableArray("OffsetFetchRequest.topics", compact: compact, readTopic)
        }
        return try buffer.readWireArray("OffsetFetchRequest.topics", compact: compact, readTopic)
    }

    private static func writeTopics(_ topics: [Topic]?, into buffer: inout ByteBuffer, compact: Bool) {
        buffer.writeWireNullableArray(topics, compact: compact) { buffer, topic in
            buffer.writeWireString(topic.name, compact: compact)
            buffer.writeWireArray(topic.partitionIndexes, compact: compact) { $0.writeInteger($1) }
            if compact {
                buffer.writeEmptyTaggedFields()
            }
        }
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = version >= 6
        self.init()
        if version <= 7 {
            self.groupId = try buffer.readWireString("OffsetFetchRequest.groupId", compact: flexible)
            self.topics = try Self.readTopics(&buffer, compact: flexible, nullable: version >= 2)
        } else {
            self.groups = try buffer.readWireArray("OffsetFetchRequest.groups", compact: flexible) { buffer in
                let group = Group(
                    groupId: try buffer.readWireString("OffsetFetchRequest.groups.groupId", compact: flexible),
                    topics: try Self.readTopics(&buffer, compact: flexible, nullable: true)
                )
                try buffer.readTaggedFields("OffsetFetchRequest.groups")
                return group
            }
        }
        if version >= 7 {
            self.requireStable = try buffer.readWireBool("OffsetFetchRequest.requireStable")
        }
        if flexible {
            try buffer.readTaggedFields("OffsetFetchRequest")
        }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = version >= 6
        if version <= 7 {
            buffer.writeWireString(self.groupId, compact: flexible)
            Self.writeTopics(version >= 2 ? self.topics : (self.topics ?? []), into: &buffer, compact: flexible)
        } else {
            buffer.writeWireArray(self.groups, compact: flexible) { buffer, group in
                buffer.writeWireString(group.groupId, compact: flexible)
                Self.writeTopics(group.topics, into: &buffer, compact: flexible)
                buffer.writeEmptyTaggedFields()
            }
        }
        if version >= 7 {
            buffer.writeWireBool(self.requireStable)
        }
        if flexible {
            buffer.writeEmptyTaggedFields()
        }
    }
}

public struct OffsetFetchResponse: KafkaResponseMessage {
    public static let apiKey = ApiKey.offsetFetch

    public struct Partition: Hashable, Sendable {
        public var partitionIndex: Int32
        /// -1 when the group has no committed offset for the partition.
        public var committedOffset: Int64
        /// v5+.
        public var committedLeaderEpoch: Int32
        public var metadata: String?
        public var errorCode: ErrorCode

        public init(
            partitionIndex: Int32,
            committedOffset: Int64,
            committedLeaderEpoch: Int32 = -1,
            metadata: String? = nil,
            errorCode: ErrorCode = .none
        ) {
            self.partitionIndex = partitionIndex
            self.committedOffset = committedOffset
            self.committedLeaderEpoch = committedLeaderEpoch
            self.metadata = metadata
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

    public struct Group: Hashable, Sendable {
        public var groupId: String
        public var topics: [Topic]
        public var errorCode: ErrorCode

        public init(groupId: String, topics: [Topic], errorCode: ErrorCode = .none) {
            self.groupId = groupId
            self.topics = topics
            self.errorCode = errorCode
        }
    }

    /// v3+.
    public var throttleTimeMs: Int32
    /// v1–7.
    public var topics: [Topic]
    /// v2–7; the group-level error.
    public var errorCode: ErrorCode
    /// v8+.
    public var groups: [Group]

    public init(throttleTimeMs: Int32 = 0, topics: [Topic] = [], errorCode: ErrorCode = .none, groups: [Group] = []) {
        self.throttleTimeMs = throttleTimeMs
        self.topics = topics
        self.errorCode = errorCode
        self.groups = groups
    }

    private static func readTopics(_ buffer: inout ByteBuffer, version: Int16) throws -> [Topic] {
        let flexible = version >= 6
        return try buffer.readWireArray("OffsetFetchResponse.topics", compact: flexible) { buffer in
            let name = try buffer.readWireString("OffsetFetchResponse.topics.name", compact: flexible)
            let partitions = try buffer.readWireArray("OffsetFetchResponse.partitions", compact: flexible) { buffer in
                var partition = Partition(
                    partitionIndex: try buffer.readWireInt32("OffsetFetchResponse.partitions.partitionIndex"),
                    committedOffset: try buffer.readWireInt64("OffsetFetchResponse.partitions.committedOffset")
                )
                if version >= 5 {
                    partition.committedLeaderEpoch = try buffer.readWireInt32(
                        "OffsetFetchResponse.partitions.committedLeaderEpoch"
                    )
                }
                partition.metadata = try buffer.readWireNullableString("OffsetFetchResponse.partitions.metadata", compact: flexible)
                partition.errorCode = try buffer.readWireErrorCode("OffsetFetchResponse.partitions.errorCode")
                if flexible {
                    try buffer.readTaggedFields("OffsetFetchResponse.partitions")
                }
                return partition
            }
            if flexible {
                try buffer.readTaggedFields("OffsetFetchResponse.topics")
            }
            return Topic(name: name, partitions: partitions)
        }
    }

    private static func writeTopics(_ topics: [Topic], into buffer: inout ByteBuffer, version: Int16) {
        let flexible = version >= 6
        buffer.writeWireArray(topics, compact: flexible) { buffer, topic in
            buffer.writeWireString(topic.name, compact: flexible)
            buffer.writeWireArray(topic.partitions, compact: flexible) { buffer, partition in
                buffer.writeInteger(partition.partitionIndex)
                buffer.writeInteger(partition.committedOffset)
                if version >= 5 {
                    buffer.writeInteger(partition.committedLeaderEpoch)
                }
                buffer.writeWireNullableString(partition.metadata, compact: flexible)
                buffer.writeWireErrorCode(partition.errorCode)
                if flexible {
                    buffer.writeEmptyTaggedFields()
                }
            }
            if flexible {
                buffer.writeEmptyTaggedFields()
            }
        }
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = version >= 6
        self.init()
        if version >= 3 {
            self.throttleTimeMs = try buffer.readWireInt32("OffsetFetchResponse.throttleTimeMs")
        }
        if version <= 7 {
            self.topics = try Self.readTopics(&buffer, version: version)
            if version >= 2 {
                self.errorCode = try buffer.readWireErrorCode("OffsetFetchResponse.errorCode")
            }
        } else {
            self.groups = try buffer.readWireArray("OffsetFetchResponse.groups", compact: flexible) { buffer in
                let group = Group(
                    groupId: try buffer.readWireString("OffsetFetchResponse.groups.groupId", compact: flexible),
                    topics: try Self.readTopics(&buffer, version: version),
                    errorCode: try buffer.readWireErrorCode("OffsetFetchResponse.groups.errorCode")
                )
                try buffer.readTaggedFields("OffsetFetchResponse.groups")
                return group
            }
        }
        if flexible {
            try buffer.readTaggedFields("OffsetFetchResponse")
        }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = version >= 6
        if version >= 3 {
            buffer.writeInteger(self.throttleTimeMs)
        }
        if version <= 7 {
            Self.writeTopics(self.topics, into: &buffer, version: version)
            if version >= 2 {
                buffer.writeWireErrorCode(self.errorCode)
            }
        } else {
            buffer.writeWireArray(self.groups, compact: flexible) { buffer, group in
                buffer.writeWireString(group.groupId, compact: flexible)
                Self.writeTopics(group.topics, into: &buffer, version: version)
                buffer.writeWireErrorCode(group.errorCode)
                buffer.writeEmptyTaggedFields()
            }
        }
        if flexible {
            buffer.writeEmptyTaggedFields()
        }
    }
}
