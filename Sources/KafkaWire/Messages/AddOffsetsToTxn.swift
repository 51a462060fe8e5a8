import NIOCore

/// AddOffsetsToTxn (key 25), versions 0–3, flexible from 3: a transaction will commit offsets of `groupId`.
public struct AddOffsetsToTxnRequest: KafkaRequestMessage {
    public typealias Response = AddOffsetsToTxnResponse
    public static let apiKey = ApiKey.addOffsetsToTxn

    public var transactionalId: String
    public var producerId: Int64
    public var producerEpoch: Int16
    public var groupId: String

    public init(transactionalId: String, producerId: Int64, producerEpoch: Int16, groupId: String) {
        self.transactionalId = transactionalId
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.groupId = groupId
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = version >= 3
        self.transactionalId = try buffer.readWireString("AddOffsetsToTxnRequest.transactionalId", compact: flexible)
        self.producerId = try buffer.readWireInt64("AddOffsetsToTxnRequest.producerId")
        self.producerEpoch = try buffer.readWireInt16("AddOffsetsToTxnRequest.producerEpoch")
        self.groupId = try buffer.readWireString("AddOffsetsToTxnRequest.groupId", compact: flexible)
        if flexible { try buffer.readTaggedFields("AddOffsetsToTxnRequest") }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = version >= 3
        buffer.writeWireString(self.transactionalId, compact: flexible)
        buffer.writeInteger(self.producerId)
        buffer.writeInteger(self.producerEpoch)
        buffer.writeWireString(self.groupId, compact: flexible)
        if flexible { buffer.writeEmptyTaggedFields() }
    }
}

public struct AddOffsetsToTxnResponse: KafkaResponseMessage {
    public static let apiKey = ApiKey.addOffsetsToTxn

    public var throttleTimeMs: Int32
    public var errorCode: ErrorCode

    public init(throttleTimeMs: Int32 = 0, errorCode: ErrorCode) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        self.throttleTimeMs = try buffer.readWireInt32("AddOffsetsToTxnResponse.throttleTimeMs")
        self.errorCode = try buffer.readWireErrorCode("AddOffsetsToTxnResponse.errorCode")
        if version >= 3 { try buffer.readTaggedFields("AddOffsetsToTxnResponse") }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        buffer.writeInteger(self.throttleTimeMs)
        buffer.writeWireErrorCode(self.errorCode)
        if version >= 3 { buffer.writeEmptyTaggedFields() }
    }
}
