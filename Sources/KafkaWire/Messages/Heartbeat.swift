import NIOCore

/// Heartbeat (key 12), versions 0–4, flexible from 4.
public struct HeartbeatRequest: KafkaRequestMessage {
    public typealias Response = HeartbeatResponse
    public static let apiKey = ApiKey.heartbeat

    public var groupId: String
    public var generationId: Int32
    public var memberId: String
    /// v3+.
    public var groupInstanceId: String?

    public init(groupId: String, generationId: Int32, memberId: String, groupInstanceId: String? = nil) {
        self.groupId = groupId
        self.generationId = generationId
        self.memberId = memberId
        self.groupInstanceId = groupInstanceId
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = version >= 4
        self.groupId = try buffer.readWireString("HeartbeatRequest.groupId", compact: flexible)
        self.generationId = try buffer.readWireInt32("HeartbeatRequest.generationId")
        self.memberId = try buffer.readWireString("HeartbeatRequest.memberId", compact: flexible)
        self.groupInstanceId = version >= 3
            ? try buffer.readWireNullableString("HeartbeatRequest.groupInstanceId", compact: flexible) : nil
        if flexible {
            try buffer.readTaggedFields("HeartbeatRequest")
        }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = version >= 4
        buffer.writeWireString(self.groupId, compact: flexible)
        buffer.writeInteger(self.generationId)
        buffer.writeWireString(self.memberId, compact: flexible)
        if version >= 3 {
            buffer.writeWireNullableString(self.groupInstanceId, compact: flexible)
        }
        if flexible {
            buffer.writeEmptyTaggedFields()
        }
    }
}

public struct HeartbeatResponse: KafkaResponseMessage {
    public static let apiKey = ApiKey.heartbeat

    /// v1+.
    public var throttleTimeMs: Int32
    public var errorCode: ErrorCode

    public init(throttleTimeMs: Int32 = 0, errorCode: ErrorCode = .none) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        self.throttleTimeMs = version >= 1 ? try buffer.readWireInt32("HeartbeatResponse.throttleTimeMs") : 0
        self.errorCode = try buffer.readWireErrorCode("HeartbeatResponse.errorCode")
        if version >= 4 {
            try buffer.readTaggedFields("HeartbeatResponse")
        }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        if version >= 1 {
            buffer.writeInteger(self.throttleTimeMs)
        }
        buffer.writeWireErrorCode(self.errorCode)
        if version >= 4 {
            buffer.writeEmptyTaggedFields()
        }
    }
}
