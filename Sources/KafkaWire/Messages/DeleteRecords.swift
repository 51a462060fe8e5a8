import NIOCore

/// DeleteRecords (key 21), versions 0–2, flexible from 2. Moves partitions' log start offsets forward.
public struct DeleteRecordsRequest: KafkaRequestMessage {
    public typealias Response = DeleteRecordsResponse
    public static let apiKey = ApiKey.deleteRecords

    /// The offset that means "up to the high watermark".
    public static let highWatermarkOffset: Int64 = -1

    public struct Partition: Hashable, Sendable {
        public var partitionIndex: Int32
        /// Records before this offset are deleted; -1 means the high watermark.
        public var offset: Int64

        public init(partitionIndex: Int32, offset: Int64) {
            self.partitionIndex = partitionIndex
            self.offset = offset
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

    public var topics: [Topic]
    public var timeoutMs: Int32

    public init(topics: [Topic], timeoutMs: Int32 = 30_000) {
        self.topics = topics
        self.timeoutMs = timeoutMs
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = version >= 2
        self.topics = try buffer.readWireArray("DeleteRecordsRequest.topics", compact: flexible) { buffer in
            let name = try buffer.readWireString("DeleteRecordsRequest.topics.name", compact: flexible)
            let partitions = try buffer.readWireArray("DeleteRecordsRequest.partitions", compact: flexible) { buffer in
                let partition = Partition(
                    partitionIndex: try buffer.readWireInt32("DeleteRecordsRequest.partitions.partitionIndex"),
                    offset: try buffer.readWireInt64("DeleteRecordsRequest.partitions.offset")
                )
                if flexible { try buffer.readTaggedFields("DeleteRecordsRequest.partitions") }
                return partition
            }
            if flexible { try buffer.readTaggedFields("DeleteRecordsRequest.topics") }
            return Topic(name: name, partitions: partitions)
        }
        self.timeoutMs = try buffer.readWireInt32("DeleteRecordsRequest.timeoutMs")
        if flexible { try buffer.readTaggedFields("DeleteRecordsRequest") }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = version >= 2
        buffer.writeWireArray(self.topics, compact: flexible) { buffer, topic in
            buffer.writeWireString(topic.name, compact: flexible)
            buffer.writeWireArray(topic.partitions, compact: flexible) { buffer, partition in
                buffer.writeInteger(partition.partitionIndex)
                buffer.writeInteger(partition.offset)
                if flexible { buffer.writeEmptyTaggedFields() }
            }
            if flexible { buffer.writeEmptyTaggedFields() }
        }
        buffer.writeInteger(self.timeoutMs)
        if flexible { buffer.writeEmptyTaggedFields() }
    }
}

public struct DeleteRecordsResponse: KafkaResponseMessage {
    public static let apiKey = ApiKey.deleteRecords

    public struct Partition: Hashable, Sendable {
        public var partitionIndex: Int32
        /// The log start offset after the deletion; -1 with an error.
        public var lowWatermark: Int64
        public var errorCode: ErrorCode

        public init(partitionIndex: Int32, lowWatermark: Int64 = -1, errorCode: ErrorCode = .none) {
            self.partitionIndex = partitionIndex
            self.lowWatermark = lowWatermark
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

    public var throttleTimeMs: Int32
    public var topics: [Topic]

    public init(throttleTimeMs: Int32 = 0, topics: [Topic]) {
        self.throttleTimeMs = throttleTimeMs
        self.topics = topics
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = version >= 2
        self.throttleTimeMs = try buffer.readWireInt32("DeleteRecordsResponse.throttleTimeMs")
        self.topics = try buffer.readWireArray("DeleteRecordsResponse.topics", compact: flexible) { buffer in
            let name = try buffer.readWireString("DeleteRecordsResponse.topics.name", compact: flexible)
            let partitions = try buffer.readWireArray("DeleteRecordsResponse.partitions", compact: flexible) { buffer in
                let partition = Partition(
                    partitionIndex: try buffer.readWireInt32("DeleteRecordsResponse.partitions.partitionIndex"),
                    lowWatermark: try buffer.readWireInt64("DeleteRecordsResponse.partitions.lowWatermark"),
                    errorCode: try buffer.readWireErrorCode("DeleteRecordsResponse.partitions.errorCode")
                )
                if flexible { try buffer.readTaggedFields("DeleteRecordsResponse.partitions") }
                return partition
            }
            if flexible { try buffer.readTaggedFields("DeleteRecordsResponse.topics") }
            return Topic(name: name, partitions: partitions)
        }
        if flexible { try buffer.readTaggedFields("DeleteRecordsResponse") }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = version >= 2
        buffer.writeInteger(self.throttleTimeMs)
        buffer.writeWireArray(self.topics, compact: flexible) { buffer, topic in
            buffer.writeWireString(topic.name, compact: flexible)
            buffer.writeWireArray(topic.partitions, compact: flexible) { buffer, partition in
                buffer.writeInteger(partition.partitionIndex)
                buffer.writeInteger(partition.lowWatermark)
                buffer.writeWireErrorCode(partition.errorCode)
                if flexible { buffer.writeEmptyTaggedFields() }
            }
            if flexible { buffer.writeEmptyTaggedFields() }
        }
        if flexible { buffer.writeEmptyTaggedFields() }
    }
}
