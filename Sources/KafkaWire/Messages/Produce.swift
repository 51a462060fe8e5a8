import NIOCore

/// Produce (key 0), versions 3–9, flexible from 9. Records stay opaque: each partition's record batches
/// are a slice of the request frame (no copy, no parsing); the broker validates them elsewhere.
public struct ProduceRequest: KafkaRequestMessage {
    public typealias Response = ProduceResponse
    public static let apiKey = ApiKey.produce

    public struct PartitionData: Equatable, Sendable {
        public var index: Int32
        /// The record batches exactly as sent, sharing the frame's storage.
        public var records: ByteBuffer?

        public init(index: Int32, records: ByteBuffer?) {
            self.index = index
            self.records = records
        }
    }

    public struct TopicData: Equatable, Sendable {
        public var name: String
        public var partitionData: [PartitionData]

        public init(name: String, partitionData: [PartitionData]) {
            self.name = name
            self.partitionData = partitionData
        }
    }

    public var transactionalId: String?
    /// 0 (no response), 1 (leader) or -1 (all in-sync replicas).
    public var acks: Int16
    public var timeoutMs: Int32
    public var topicData: [TopicData]

    public init(transactionalId: String? = nil, acks: Int16, timeoutMs: Int32, topicData: [TopicData]) {
        self.transactionalId = transactionalId
        self.acks = acks
        self.timeoutMs = timeoutMs
        self.topicData = topicData
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = version >= 9
        if version >= 3 {
            self.transactionalId = try buffer.readWireNullableString("ProduceRequest.transactionalId", compact: flexible)
        } else {
            self.transactionalId = nil
        }
        self.acks = try buffer.readWireInt16("ProduceRequest.acks")
        self.timeoutMs = try buffer.readWireInt32("ProduceRequest.timeoutMs")
        self.topicData = try buffer.readWireArray("ProduceRequest.topicData", compact: flexible) { buffer in
            let name = try buffer.readWireString("ProduceRequest.topicData.name", compact: flexible)
            let partitions = try buffer.readWireArray("ProduceRequest.partitionData", compact: flexible) { buffer in
                let index = try buffer.readWireInt32("ProduceRequest.partitionData.index")
                let records = try buffer.readWireNullableBytes("ProduceRequest.partitionData.records", compact: flexible)
                if flexible {
                    try buffer.readTaggedFields("ProduceRequest.partitionData")
                }
                return PartitionData(index: index, records: records)
            }
            if flexible {
                try buffer.readTaggedFields("ProduceRequest.topicData")
            }
            return TopicData(name: name, partitionData: partitions)
        }
        if flexible {
            try buffer.readTaggedFields("ProduceRequest")
        }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = version >= 9
        if version >= 3 {
            buffer.writeWireNullableString(self.transactionalId, compact: flexible)
        }
        buffer.writeInteger(self.acks)
        buffer.writeInteger(self.timeoutMs)
        buffer.writeWireArray(self.topicData, compact: flexible) { buffer, topic in
            buffer.writeWireString(topic.name, compact: flexible)
            buffer.writeWireArray(topic.partitionData, compact: flexible) { buffer, partition in
                buffer.writeInteger(partition.index)
                buffer.writeWireNullableBytes(partition.records, compact: flexible)
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

public struct ProduceResponse: KafkaResponseMessage {
    public static let apiKey = ApiKey.produce

    public struct RecordError: Hashable, Sendable {
        public var batchIndex: Int32
        public var batchIndexErrorMessage: String?

        public init(batchIndex: Int32, batchIndexErrorMessage: String?) {
            self.batchIndex = batchIndex
            self.batchIndexErrorMessage = batchIndexErrorMessage
        }
    }

    public struct PartitionResponse: Hashable, Sendable {
        public var index: Int32
        public var errorCode: ErrorCode
        public var baseOffset: Int64
        /// v2+; -1 unless the topic uses log-append time.
        public var logAppendTimeMs: Int64
        /// v5+.
        public var logStartOffset: Int64
        /// v8+.
        public var recordErrors: [RecordError]
        /// v8+.
        public var errorMessage: String?

        public init(
            index: Int32,
            errorCode: ErrorCode = .none,
            baseOffset: Int64,
            logAppendTimeMs: Int64 = -1,
            logStartOffset: Int64 = -1,
            recordErrors: [RecordError] = [],
            errorMessage: String? = nil
        ) {
            self.index = index
            self.errorCode = errorCode
            self.baseOffset = baseOffset
            self.logAppendTimeMs = logAppendTimeMs
            self.logStartOffset = logStartOffset
            self.recordErrors = recordErrors
            self.errorMessage = errorMessage
        }
    }

    public struct TopicResponse: Hashable, Sendable {
        public var name: String
        public var partitionResponses: [PartitionResponse]

        public init(name: String, partitionResponses: [PartitionResponse]) {
            self.name = name
            self.partitionResponses = partitionResponses
        }
    }

    public var responses: [TopicResponse]
    public var throttleTimeMs: Int32

    public init(responses: [TopicResponse], throttleTimeMs: Int32 = 0) {
        self.responses = responses
        self.throttleTimeMs = throttleTimeMs
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = version >= 9
        self.responses = try buffer.readWireArray("ProduceResponse.responses", compact: flexible) { buffer in
            let name = try buffer.readWireString("ProduceResponse.responses.name", compact: flexible)
            let partitions = try buffer.readWireArray("ProduceResponse.partitionResponses", compact: flexible) {
                try Self.readPartition(&$0, version: version)
            }
            if flexible {
                try buffer.readTaggedFields("ProduceResponse.responses")
            }
            return TopicResponse(name: name, partitionResponses: partitions)
        }
        self.throttleTimeMs = version >= 1 ? try buffer.readWireInt32("ProduceResponse.throttleTimeMs") : 0
        if flexible {
            try buffer.readTaggedFields("ProduceResponse")
        }
    }

    private static func readPartition(_ buffer: inout ByteBuffer, version: Int16) throws -> PartitionResponse {
        let flexible = version >= 9
        var partition = PartitionResponse(
            index: try buffer.readWireInt32("ProduceResponse.partitionResponses.index"),
            errorCode: try buffer.readWireErrorCode("ProduceResponse.partitionResponses.errorCode"),
            baseOffset: try buffer.readWireInt64("ProduceResponse.partitionResponses.baseOffset")
        )
        if version >= 2 {
            partition.logAppendTimeMs = try buffer.readWireInt64("ProduceResponse.partitionResponses.logAppendTimeMs")
        }
        if version >= 5 {
            partition.logStartOffset = try buffer.readWireInt64("ProduceResponse.partitionResponses.logStartOffset")
        }
        if version >= 8 {
            partition.recordErrors = try buffer.readWireArray("ProduceResponse.recordErrors", compact: flexible) {
                let error = RecordError(
                    batchIndex: try $0.readWireInt32("ProduceResponse.recordErrors.batchIndex"),
                    batchIndexErrorMessage: try $0.readWireNullableString(
                        "ProduceResponse.recordErrors.batchIndexErrorMessage", compact: flexible
                    )
                )
                if flexible {
                    try $0.readTaggedFields("ProduceResponse.recordErrors")
                }
                return error
            }
            partition.errorMessage = try buffer.readWireNullableString(
                "ProduceResponse.partitionResponses.errorMessage", compact: flexible
            )
        }
        if flexible {
            try buffer.readTaggedFields("ProduceResponse.partitionResponses")
        }
        return partition
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = version >= 9
        buffer.writeWireArray(self.responses, compact: flexible) { buffer, topic in
            buffer.writeWireString(topic.name, compact: flexible)
            buffer.writeWireArray(topic.partitionResponses, compact: flexible) { buffer, partition in
                buffer.writeInteger(partition.index)
                buffer.writeWireErrorCode(partition.errorCode)
                buffer.writeInteger(partition.baseOffset)
                if version >= 2 {
                    buffer.writeInteger(partition.logAppendTimeMs)
                }
                if version >= 5 {
                    buffer.writeInteger(partition.logStartOffset)
                }
                if version >= 8 {
                    buffer.writeWireArray(partition.recordErrors, compact: flexible) { buffer, error in
                        buffer.writeInteger(error.batchIndex)
                        buffer.writeWireNullableString(error.batchIndexErrorMessage, compact: flexible)
                        if flexible {
                            buffer.writeEmptyTaggedFields()
                        }
                    }
                    buffer.writeWireNullableString(partition.errorMessage, compact: flexible)
                }
                if flexible {
                    buffer.writeEmptyTaggedFields()
                }
            }
            if flexible {
                buffer.writeEmptyTaggedFields()
            }
        }
        if version >= 1 {
            buffer.writeInteger(self.throttleTimeMs)
        }
        if flexible {
            buffer.writeEmptyTaggedFields()
        }
    }
}
