import NIOCore

/// OffsetDelete (key 47), version 0, never flexible: deletes a group's committed offsets of partitions the
/// group no longer consumes.
public struct OffsetDeleteRequest: KafkaRequestMessage {
    public typealias Response = OffsetDeleteResponse
    public static let apiKey = ApiKey.offsetDelete

    public struct Topic: Hashable, Sendable {
        public var name: String
        public var partitions: [Int32]

        public init(name: String, partitions: [Int32]) {
            self.name = name
            self.partitions = partitions
        }
    }

    public var groupId: String
    public var topics: [Topic]

    public init(groupId: String, topics: [Topic]) {
        self.groupId = groupId
        self.topics = topics
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        self.groupId = try buffer.readWireString("OffsetDeleteRequest.groupId", compact: false)
        self.topics = try buffer.readWireArray("OffsetDeleteRequest.topics", compact: false) { buffer in
            let name = try buffer.readWireString("OffsetDeleteRequest.topics.name", compact: false)
            let partitions = try buffer.readWireArray("OffsetDeleteRequest.partitions", compact: false) {
                try $0.readWireInt32("OffsetDeleteRequest.partitions.partitionIndex")
            }
            return Topic(name: name, partitions: partitions)
        }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        buffer.writeWireString(self.groupId, compact: false)
        buffer.writeWireArray(self.topics, compact: false) { buffer, topic in
            buffer.writeWireString(topic.name, compact: false)
            buffer.writeWireArray(topic.partitions, compact: false) { $0.writeInteger($1) }
        }
    }
}

public struct OffsetDeleteResponse: KafkaResponseMessage {
    public static let apiKey = ApiKey.offsetDelete

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

    /// The group's error (GROUP_ID_NOT_FOUND, GROUP_AUTHORIZATION_FAILED, ...); the topics are then empty.
    public var errorCode: ErrorCode
    public var throttleTimeMs: Int32
    public var topics: [Topic]

    public init(errorCode: ErrorCode = .none, throttleTimeMs: Int32 = 0, topics: [Topic]) {
        self.errorCode = errorCode
        self.throttleTimeMs = throttleTimeMs
        self.topics = topics
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        self.errorCode = try buffer.readWireErrorCode("OffsetDeleteResponse.errorCode")
        self.throttleTimeMs = try buffer.readWireInt32("OffsetDeleteResponse.throttleTimeMs")
        self.topics = try buffer.readWireArray("OffsetDeleteResponse.topics", compact: false) { buffer in
            let name = try buffer.readWireString("OffsetDeleteResponse.topics.name", compact: false)
            let partitions = try buffer.readWireArray("OffsetDeleteResponse.partitions", compact: false) { buffer in
                Partition(
                    partitionIndex: try buffer.readWireInt32("OffsetDeleteResponse.partitions.partitionIndex"),
                    errorCode: try buffer.readWireErrorCode("OffsetDeleteResponse.partitions.errorCode")
                )
            }
            return Topic(name: name, partitions: partitions)
        }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        buffer.writeWireErrorCode(self.errorCode)
        buffer.writeInteger(self.throttleTimeMs)
        buffer.writeWireArray(self.topics, compact: false) { buffer, topic in
            buffer.writeWireString(topic.name, compact: false)
            buffer.writeWireArray(topic.partitions, compact: false) { buffer, partition in
                buffer.writeInteger(partition.partitionIndex)
                buffer.writeWireErrorCode(partition.errorCode)
            }
        }
    }
}
