import NIOCore

/// InitProducerId (key 22), versions 0–4, flexible from 2. Idempotent producers send it first with a
/// null transactional id.
public struct InitProducerIdRequest: KafkaRequestMessage {
    public typealias Response = InitProducerIdResponse
    public static let apiKey = ApiKey.initProducerId

    public var transactionalId: String?
    public var transactionTimeoutMs: Int32
    /// v3+; -1 for a new producer.
    public var producerId: Int64
    /// v3+; -1 for a new producer.
    public var producerEpoch: Int16

    public init(transactionalId: String? = nil, transactionTimeoutMs: Int32, producerId: Int64 = -1, producerEpoch: Int16 = -1) {
        self.transactionalId = transactionalId
        self.transactionTimeoutMs = transactionTimeoutMs
        self.producerId = producerId
        self.producerEpoch = producerEpoch
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = version >= 2
        self.init(
            transactionalId: try buffer.readWireNullableString("InitProducerIdRequest.transactionalId", compact: flexible),
            transactionTimeoutMs: try buffer.readWireInt32("InitProducerIdRequest.transactionTimeoutMs")
        )
        if version >= 3 {
            self.producerId = try buffer.readWireInt64("InitProducerIdRequest.producerId")
            self.producerEpoch = try buffer.readWireInt16("InitProducerIdRequest.producerEpoch")
        }
        if flexible {
            try buffer.readTaggedFields("InitProducerIdRequest")
        }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = version >= 2
        buffer.writeWireNullableString(self.transactionalId, compact: flexible)
        buffer.writeInteger(self.transactionTimeoutMs)
        if version >= 3 {
            buffer.writeInteger(self.producerId)
            buffer.writeInteger(self.producerEpoch)
        }
        if flexible {
            buffer.writeEmptyTaggedFields()
        }
    }
}

public struct InitProducerIdResponse: KafkaResponseMessage {
    public static let apiKey = ApiKey.initProducerId

    public var throttleTimeMs: Int32
    public var errorCode: ErrorCode
    public var producerId: Int64
    public var producerEpoch: Int16

    public init(throttleTimeMs: Int32 = 0, errorCode: ErrorCode = .none, producerId: Int64, producerEpoch: Int16) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.producerId = producerId
        self.producerEpoch = producerEpoch
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        self.throttleTimeMs = try buffer.readWireInt32("InitProducerIdResponse.throttleTimeMs")
        self.errorCode = try buffer.readWireErrorCode("InitProducerIdResponse.errorCode")
        self.producerId = try buffer.readWireInt64("InitProducerIdResponse.producerId")
        self.producerEpoch = try buffer.readWireInt16("InitProducerIdResponse.producerEpoch")
        if version >= 2 {
            try buffer.readTaggedFields("InitProducerIdResponse")
        }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        buffer.writeInteger(self.throttleTimeMs)
        buffer.writeWireErrorCode(self.errorCode)
        buffer.writeInteger(self.producerId)
        buffer.writeInteger(self.producerEpoch)
        if version >= 2 {
            buffer.writeEmptyTaggedFields()
        }
    }
}
