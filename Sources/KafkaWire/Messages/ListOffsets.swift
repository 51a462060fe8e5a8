import NIOCore

/// ListOffsets (key 2), versions 1–9, flexible from 6. Version 0 (several offsets per partition) is
/// not supported: every client in use sends 1+. Versions 7–9 change no field, only the special
/// timestamps allowed: -3 (max timestamp, v7+), -4 (earliest local, v8+), -5 (latest tiered, v9+).
public struct ListOffsetsRequest: KafkaRequestMessage {
    public typealias Response = ListOffsetsResponse
    public static let apiKey = ApiKey.listOffsets

    /// The timestamp that asks for the log end offset.
    public static let latestTimestamp: Int64 = -1
    /// The timestamp that asks for the log start offset.
    public static let earliestTimestamp: Int64 = -2
    /// v7+: the offset of the record with the largest timestamp.
    public static let maxTimestamp: Int64 = -3

    public struct Partition: Hashable, Sendable {
        public var partitionIndex: Int32
        /// v4+.
        public var currentLeaderEpoch: Int32
        public var timestamp: Int64

        public init(partitionIndex: Int32, currentLeaderEpoch: Int32 = -1, timestamp: Int64) {
            self.partitionIndex = partitionIndex
            self.currentLeaderEpoch = currentLeaderEpoch
            self.timestamp = timestamp
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

    public var replicaId: Int32
    /// v2+.
    public var isolationLevel: Int8
    public var topics: [Topic]

    public init(replicaId: Int32 = -1, isolationLevel: Int8 = 0, topics: [Topic]) {
        self.replicaId = replicaId
        self.isolationLevel = isolationLevel
        self.topics = topics
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = version >= 6
        self.init(topics: [])
        self.replicaId = try buffer.readWireInt32("ListOffsetsRequest.replicaId")
        if version >= 2 {
            self.isolationLevel = try buffer.readWireInt8("ListOffsetsRequest.isolationLevel")
        }
        self.topics = try buffer.readWireArray("ListOffsetsRequest.topics", compact: flexible) { buffer in
            let name = try buffer.readWireString("ListOffsetsRequest.topics.name", compact: flexible)
            let partitions = try buffer.readWireArray("ListOffsetsRequest.partitions", compact: flexible) { buffer in
                var partition = Partition(
                    partitionIndex: try buffer.readWireInt32("ListOffsetsRequest.partitions.partitionIndex"),
                    timestamp: 0
                )
                if version >= 4 {
                    partition.currentLeaderEpoch = try buffer.readWireInt32(
                        "ListOffsetsRequest.partitions.currentLeaderEpoch"
                    )
                }
                partition.timestamp = try buffer.readWireInt64("ListOffsetsRequest.partitions.timestamp")
                if flexible {
                    try buffer.readTaggedFields("ListOffsetsRequest.partitions")
                }
                return partition
            }
            if flexible {
                try buffer.readTaggedFields("ListOffsetsRequest.topics")
            }
            return Topic(name: name, partitions: partitions)
        }
        if flexible {
            try buffer.readTaggedFields("ListOffsetsRequest")
        }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = version >= 6
        buffer.writeInteger(self.replicaId)
        if version >= 2 {
            buffer.writeInteger(self.isolationLevel)
        }
        buffer.writeWireArray(self.topics, compact: flexible) { buffer, topic in
            buffer.writeWireString(topic.name, compact: flexible)
            buffer.writeWireArray(topic.partitions, compact: flexible) { buffer, partition in
                buffer.writeInteger(partition.partitionIndex)
                if version >= 4 {
                    buffer.writeInteger(partition.currentLeaderEpoch)
                }
                buffer.writeInteger(partition.timestamp)
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

public struct ListOffsetsResponse: KafkaResponseMessage {
    public static let apiKey = ApiKey.listOffsets

    public struct Partition: Hashable, Sendable {
        public var partitionIndex: Int32
        public var errorCode: ErrorCode
        public var timestamp: Int64
        public var offset: Int64
        /// v4+.
        public var leaderEpoch: Int32

        public init(
            partitionIndex: Int32,
            errorCode: ErrorCode = .none,
            timestamp: Int64 = -1,
            offset: Int64 = -1,
            leaderEpoch: Int32 = -1
        ) {
            self.partitionIndex = partitionIndex
            self.errorCode = errorCode
            self.timestamp = timestamp
            self.offset = offset
            self.leaderEpoch = leaderEpoch
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

    /// v2+.
    public var throttleTimeMs: Int32
    public var topics: [Topic]

    public init(throttleTimeMs: Int32 = 0, topics: [Topic]) {
        self.throttleTimeMs = throttleTimeMs
        self.topics = topics
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = version >= 6
        self.init(topics: [])
        if version >= 2 {
            self.throttleTimeMs = try buffer.readWireInt32("ListOffsetsResponse.throttleTimeMs")
        }
        self.topics = try buffer.readWireArray("ListOffsetsResponse.topics", compact: flexible) { buffer in
            let name = try buffer.readWireString("ListOffsetsResponse.topics.name", compact: flexible)
            let partitions = try buffer.readWireArray("ListOffsetsResponse.partitions", compact: flexible) { buffer in
                var partition = Partition(
                    partitionIndex: try buffer.readWireInt32("ListOffsetsResponse.partitions.partitionIndex"),
                    errorCode: try buffer.readWireErrorCode("ListOffsetsResponse.partitions.errorCode"),
                    timestamp: try buffer.readWireInt64("ListOffsetsResponse.partitions.timestamp"),
                    offset: try buffer.readWireInt64("ListOffsetsResponse.partitions.offset")
                )
                if version >= 4 {
                    partition.leaderEpoch = try buffer.readWireInt32("ListOffsetsResponse.partitions.leaderEpoch")
                }
                if flexible {
                    try buffer.readTaggedFields("ListOffsetsResponse.partitions")
                }
                return partition
            }
            if flexible {
                try buffer.readTaggedFields("ListOffsetsResponse.topics")
            }
            return Topic(name: name, partitions: partitions)
        }
        if flexible {
            try buffer.readTaggedFields("ListOffsetsResponse")
        }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = version >= 6
        if version >= 2 {
            buffer.writeInteger(self.throttleTimeMs)
        }
        buffer.writeWireArray(self.topics, compact: flexible) { buffer, topic in
            buffer.writeWireString(topic.name, compact: flexible)
            buffer.writeWireArray(topic.partitions, compact: flexible) { buffer, partition in
                buffer.writeInteger(partition.partitionIndex)
                buffer.writeWireErrorCode(partition.errorCode)
                buffer.writeInteger(partition.timestamp)
                buffer.writeInteger(partition.offset)
                if version >= 4 {
                    buffer.writeInteger(partition.leaderEpoch)
                }
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
