import NIOCore

/// DescribeLogDirs (key 35), versions 0–4, flexible from 2: the broker's log directories and the size of
/// each partition in them.
public struct DescribeLogDirsRequest: KafkaRequestMessage {
    public typealias Response = DescribeLogDirsResponse
    public static let apiKey = ApiKey.describeLogDirs

    public struct Topic: Hashable, Sendable {
        public var topic: String
        public var partitions: [Int32]

        public init(topic: String, partitions: [Int32]) {
            self.topic = topic
            self.partitions = partitions
        }
    }

    /// nil asks for every partition.
    public var topics: [Topic]?

    public init(topics: [Topic]?) {
        self.topics = topics
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = version >= 2
        self.topics = try buffer.readWireNullableArray("DescribeLogDirsRequest.topics", compact: flexible) { buffer in
            let topic = try buffer.readWireString("DescribeLogDirsRequest.topics.topic", compact: flexible)
            let partitions = try buffer.readWireArray("DescribeLogDirsRequest.topics.partitions", compact: flexible) {
                try $0.readWireInt32("DescribeLogDirsRequest.topics.partitions")
            }
            if flexible { try buffer.readTaggedFields("DescribeLogDirsRequest.topics") }
            return Topic(topic: topic, partitions: partitions)
        }
        if flexible { try buffer.readTaggedFields("DescribeLogDirsRequest") }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = version >= 2
        buffer.writeWireNullableArray(self.topics, compact: flexible) { buffer, topic in
            buffer.writeWireString(topic.topic, compact: flexible)
            buffer.writeWireArray(topic.partitions, compact: flexible) { $0.writeInteger($1) }
            if flexible { buffer.writeEmptyTaggedFields() }
        }
        if flexible { buffer.writeEmptyTaggedFields() }
    }
}

public struct DescribeLogDirsResponse: KafkaResponseMessage {
    public static let apiKey = ApiKey.describeLogDirs

    public struct Partition: Hashable, Sendable {
        public var partitionIndex: Int32
        public var partitionSize: Int64
        public var offsetLag: Int64
        public var isFutureKey: Bool

        public init(partitionIndex: Int32, partitionSize: Int64, offsetLag: Int64 = 0, isFutureKey: Bool = false) {
            self.partitionIndex = partitionIndex
            self.partitionSize = partitionSize
            self.offsetLag = offsetLag
            self.isFutureKey = isFutureKey
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

    public struct Result: Hashable, Sendable {
        public var errorCode: ErrorCode
        public var logDir: String
        public var topics: [Topic]
        /// v4+: the volume's size, -1 when unknown.
        public var totalBytes: Int64
        /// v4+: the bytes still free for the broker, -1 when unknown.
        public var usableBytes: Int64

        public init(
            errorCode: ErrorCode = .none, logDir: String, topics: [Topic], totalBytes: Int64 = -1, usableBytes: Int64 = -1
        ) {
            self.errorCode = errorCode
            self.logDir = logDir
            self.topics = topics
            self.totalBytes = totalBytes
            self.usableBytes = usableBytes
        }
    }

    public var throttleTimeMs: Int32
    /// v3+.
    public var errorCode: ErrorCode
    public var results: [Result]

    public init(throttleTimeMs: Int32 = 0, errorCode: ErrorCode = .none, results: [Result]) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.results = results
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = version >= 2
        self.init(results: [])
        self.throttleTimeMs = try buffer.readWireInt32("DescribeLogDirsResponse.throttleTimeMs")
        if version >= 3 {
            self.errorCode = try buffer.readWireErrorCode("DescribeLogDirsResponse.errorCode")
        }
        self.results = try buffer.readWireArray("DescribeLogDirsResponse.results", compact: flexible) { buffer in
            let errorCode = try buffer.readWireErrorCode("DescribeLogDirsResponse.results.errorCode")
            let logDir = try buffer.readWireString("DescribeLogDirsResponse.results.logDir", compact: flexible)
            let topics = try buffer.readWireArray("DescribeLogDirsResponse.topics", compact: flexible) { buffer in
                let name = try buffer.readWireString("DescribeLogDirsResponse.topics.name", compact: flexible)
                let partitions = try buffer.readWireArray("DescribeLogDirsResponse.partitions", compact: flexible) {
                    buffer in
                    let partition = Partition(
                        partitionIndex: try buffer.readWireInt32("DescribeLogDirsResponse.partitions.partitionIndex"),
                        partitionSize: try buffer.readWireInt64("DescribeLogDirsResponse.partitions.partitionSize"),
                        offsetLag: try buffer.readWireInt64("DescribeLogDirsResponse.partitions.offsetLag"),
                        isFutureKey: try buffer.readWireBool("DescribeLogDirsResponse.partitions.isFutureKey")
                    )
                    if flexible { try buffer.readTaggedFields("DescribeLogDirsResponse.partitions") }
                    return partition
                }
                if flexible { try buffer.readTaggedFields("DescribeLogDirsResponse.topics") }
                return Topic(name: name, partitions: partitions)
            }
            var result = Result(errorCode: errorCode, logDir: logDir, topics: topics)
            if version >= 4 {
                result.totalBytes = try buffer.readWireInt64("DescribeLogDirsResponse.results.totalBytes")
                result.usableBytes = try buffer.readWireInt64("DescribeLogDirsResponse.results.usableBytes")
            }
            if flexible { try buffer.readTaggedFields("DescribeLogDirsResponse.results") }
            return result
        }
        if flexible { try buffer.readTaggedFields("DescribeLogDirsResponse") }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = version >= 2
        buffer.writeInteger(self.throttleTimeMs)
        if version >= 3 {
            buffer.writeWireErrorCode(self.errorCode)
        }
        buffer.writeWireArray(self.results, compact: flexible) { buffer, result in
            buffer.writeWireErrorCode(result.errorCode)
            buffer.writeWireString(result.logDir, compact: flexible)
            buffer.writeWireArray(result.topics, compact: flexible) { buffer, topic in
                buffer.writeWireString(topic.name, compact: flexible)
                buffer.writeWireArray(topic.partitions, compact: flexible) { buffer, partition in
                    buffer.writeInteger(partition.partitionIndex)
                    buffer.writeInteger(partition.partitionSize)
                    buffer.writeInteger(partition.offsetLag)
                    buffer.writeWireBool(partition.isFutureKey)
                    if flexible { buffer.writeEmptyTaggedFields() }
                }
                if flexible { buffer.writeEmptyTaggedFields() }
            }
            if version >= 4 {
                buffer.writeInteger(result.totalBytes)
                buffer.writeInteger(result.usableBytes)
            }
            if flexible { buffer.writeEmptyTaggedFields() }
        }
        if flexible { buffer.writeEmptyTaggedFields() }
    }
}
