import NIOCore

/// EndTxn (key 26), versions 0–3, flexible from 3: commit or abort the producer's open transaction.
public struct EndTxnRequest: KafkaRequestMessage {
    public typealias Response = EndTxnResponse
    public static let apiKey = ApiKey.endTxn

    public var transactionalId: String
    public var producerId: Int64
    public var producerEpoch: Int16
    /// True to commit, false to abort.
    public var committed: Bool

    public init(transactionalId: String, producerId: Int64, producerEpoch: Int16, committed: Bool) {
        self.transactionalId = transactionalId
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.committed = committed
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = version >= 3
        self.transactionalId = try buffer.readWireString("EndTxnRequest.transactionalId", compact: flexible)
        self.producerId = try buffer.readWireInt64("EndTxnRequest.producerId")
        self.producerEpoch = try buffer.readWireInt16("EndTxnRequest.producerEpoch")
        self.committed = try buffer.readWireBool("EndTxnRequest.committed")
        if flexible { try buffer.readTaggedFields("EndTxnRequest") }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = version >= 3
        buffer.writeWireString(self.transactionalId, compact: flexible)
        buffer.writeInteger(self.producerId)
        buffer.writeInteger(self.producerEpoch)
        buffer.writeWireBool(self.committed)
        if flexible { buffer.writeEmptyTaggedFields() }
    }
}

public struct EndTxnResponse: KafkaResponseMessage {
    public static let apiKey = ApiKey.endTxn

    public var throttleTimeMs: Int32
    public var errorCode: ErrorCode

    public init(throttleTimeMs: Int32 = 0, errorCode: ErrorCode) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        self.throttleTimeMs = try buffer.readWireInt32("EndTxnResponse.throttleTimeMs")
        self.errorCode = try buffer.readWireErrorCode("EndTxnResponse.errorCode")
        if version >= 3 { try buffer.readTaggedFields("EndTxnResponse") }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        buffer.writeInteger(self.throttleTimeMs)
        buffer.writeWireErrorCode(self.errorCode)
        if version >= 3 { buffer.writeEmptyTaggedFields() }
    }
}
