import NIOCore

/// DescribeProducers (key 61), version 0, flexible from 0: the active idempotent and transactional
/// producers of partitions.
public struct DescribeProducersRequest: KafkaRequestMessage {
    public typealias Response = DescribeProducersResponse
    public static let apiKey = ApiKey.describeProducers

    public struct Topic: Hashable, Sendable {
        public var name: String
        public var partitionIndexes: [Int32]

        public init(name: String, partitionIndexes: [Int32]) {
            self.name = name
            self.partitionIndexes = partitionIndexes
        }
    }

    public var topics: [Topic]

    public init(topics: [Topic]) {
        self.topics = topics
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        self.topics = try buffer.readWireArray("DescribeProducersRequest.topics", compact: true) { buffer in
            let name = try buffer.readWireString("DescribeProducersRequest.topics.name", compact: true)
            let partitionIndexes = try buffer.readWireArray("DescribeProducersRequest.topics.partitionIndexes", compact: true) {
                try $0.readWireInt32("DescribeProducersRequest.topics.partitionIndexes")
            }
            try buffer.readTaggedFields("DescribeProducersRequest.topics")
            return Topic(name: name, partitionIndexes: partitionIndexes)
        }
        try buffer.readTaggedFields("DescribeProducersRequest")
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        buffer.writeWireArray(self.topics, compact: true) { buffer, topic in
            buffer.writeWireString(topic.name, compact: true)
            buffer.writeWireArray(topic.partitionIndexes, compact: true) { $0.writeInteger($1) }
            buffer.writeEmptyTaggedFields()
        }
        buffer.writeEmptyTaggedFields()
    }
}

public struct DescribeProducersResponse: KafkaResponseMessage {
    public static let apiKey = ApiKey.describeProducers

    public struct ProducerState: Hashable, Sendable {
        public var producerId: Int64
        public var producerEpoch: Int32
        public var lastSequence: Int32
        public var lastTimestamp: Int64
        public var coordinatorEpoch: Int32
        public var currentTxnStartOffset: Int64

        public init(
            producerId: Int64, producerEpoch: Int32, lastSequence: Int32 = -1, lastTimestamp: Int64 = -1,
            coordinatorEpoch: Int32 = -1, currentTxnStartOffset: Int64 = -1
        ) {
            self.producerId = producerId
            self.producerEpoch = producerEpoch
            self.lastSequence = lastSequence
            self.lastTimestamp = lastTimestamp
            self.coordinatorEpoch = coordinatorEpoch
            self.currentTxnStartOffset = currentTxnStartOffset
        }
    }

    public struct Partition: Hashable, Sendable {
        public var partitionIndex: Int32
        public var errorCode: ErrorCode
        public var errorMessage: String?
        public var activeProducers: [ProducerState]

        public init(
            partitionIndex: Int32, errorCode: ErrorCode = .none, errorMessage: String? = nil,
            activeProducers: [ProducerState] = []
        ) {
            self.partitionIndex = partitionIndex
            self.errorCode = errorCode
            self.errorMessage = errorMessage
            self.activeProducers = activeProducers
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
        self.throttleTimeMs = try buffer.readWireInt32("DescribeProducersResponse.throttleTimeMs")
        self.topics = try buffer.readWireArray("DescribeProducersResponse.topics", compact: true) { buffer in
            let name = try buffer.readWireString("DescribeProducersResponse.topics.name", compact: true)
            let partitions = try buffer.readWireArray("DescribeProducersResponse.partitions", compact: true) { buffer in
                var partition = Partition(
                    partitionIndex: try buffer.readWireInt32("DescribeProducersResponse.partitions.partitionIndex"),
                    errorCode: try buffer.readWireErrorCode("DescribeProducersResponse.partitions.errorCode"),
                    errorMessage: try buffer.readWireNullableString(
                        "DescribeProducersResponse.partitions.errorMessage", compact: true
                    )
                )
                partition.activeProducers = try buffer.readWireArray(
                    "DescribeProducersResponse.activeProducers", compact: true
                ) { buffer in
                    let state = ProducerState(
                        producerId: try buffer.readWireInt64("DescribeProducersResponse.activeProducers.producerId"),
                        producerEpoch: try buffer.readWireInt32("DescribeProducersResponse.activeProducers.producerEpoch"),
                        lastSequence: try buffer.readWireInt32("DescribeProducersResponse.activeProducers.lastSequence"),
                        lastTimestamp: try buffer.readWireInt64("DescribeProducersResponse.activeProducers.lastTimestamp"),
                        coordinatorEpoch: try buffer.readWireInt32(
                            "DescribeProducersResponse.activeProducers.coordinatorEpoch"
                        ),
                        currentTxnStartOffset: try buffer.readWireInt64(
                            "DescribeProducersResponse.activeProducers.currentTxnStartOffset"
                        )
                    )
                    try buffer.readTaggedFields("DescribeProducersResponse.activeProducers")
                    return state
                }
                try buffer.readTaggedFields("DescribeProducersResponse.partitions")
                return partition
            }
            try buffer.readTaggedFields("DescribeProducersResponse.topics")
            return Topic(name: name, partitions: partitions)
        }
        try buffer.readTaggedFields("DescribeProducersResponse")
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        buffer.writeInteger(self.throttleTimeMs)
        buffer.writeWireArray(self.topics, compact: true) { buffer, topic in
            buffer.writeWireString(topic.name, compact: true)
            buffer.writeWireArray(topic.partitions, compact: true) { buffer, partition in
                buffer.writeInteger(partition.partitionIndex)
                buffer.writeWireErrorCode(partition.errorCode)
                buffer.writeWireNullableString(partition.errorMessage, compact: true)
                buffer.writeWireArray(partition.activeProducers, compact: true) { buffer, state in
                    buffer.writeInteger(state.producerId)
                    buffer.writeInteger(state.producerEpoch)
                    buffer.writeInteger(state.lastSequence)
                    buffer.writeInteger(state.lastTimestamp)
                    buffer.writeInteger(state.coordinatorEpoch)
                    buffer.writeInteger(state.currentTxnStartOffset)
                    buffer.writeEmptyTaggedFields()
                }
                buffer.writeEmptyTaggedFields()
            }
            buffer.writeEmptyTaggedFields()
        }
        buffer.writeEmptyTaggedFields()
    }
}
