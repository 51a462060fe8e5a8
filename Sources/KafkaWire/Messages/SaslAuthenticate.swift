import NIOCore

/// SaslAuthenticate (key 36), versions 0–2, flexible from 2: one SASL token each way. v1 adds the session
/// lifetime (0: the session does not expire; re-authentication, KIP-368, is not offered).
public struct SaslAuthenticateRequest: KafkaRequestMessage {
    public typealias Response = SaslAuthenticateResponse
    public static let apiKey = ApiKey.saslAuthenticate

    public var authBytes: ByteBuffer

    public init(authBytes: ByteBuffer) {
        self.authBytes = authBytes
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = version >= 2
        self.authBytes = try buffer.readWireBytes("SaslAuthenticateRequest.authBytes", compact: flexible)
        if flexible {
            try buffer.readTaggedFields("SaslAuthenticateRequest")
        }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = version >= 2
        buffer.writeWireBytes(self.authBytes, compact: flexible)
        if flexible {
            buffer.writeEmptyTaggedFields()
        }
    }
}

public struct SaslAuthenticateResponse: KafkaResponseMessage {
    public static let apiKey = ApiKey.saslAuthenticate

    public var errorCode: ErrorCode
    public var errorMessage: String?
    public var authBytes: ByteBuffer
    /// v1+.
    public var sessionLifetimeMs: Int64

    public init(errorCode: ErrorCode = .none, errorMessage: String? = nil, authBytes: ByteBuffer, sessionLifetimeMs: Int64 = 0) {
        self.errorCode = errorCode
        self.errorMessage = errorMessage
        self.authBytes = authBytes
        self.sessionLifetimeMs = sessionLifetimeMs
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = version >= 2
        self.errorCode = try buffer.readWireErrorCode("SaslAuthenticateResponse.errorCode")
        self.errorMessage = try buffer.readWireNullableString("SaslAuthenticateResponse.errorMessage", compact: flexible)
        self.authBytes = try buffer.readWireBytes("SaslAuthenticateResponse.authBytes", compact: flexible)
        self.sessionLifetimeMs = version >= 1 ? try buffer.readWireInt64("SaslAuthenticateResponse.sessionLifetimeMs") : 0
        if flexible {
            try buffer.readTaggedFields("SaslAuthenticateResponse")
        }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = version >= 2
        buffer.writeWireErrorCode(self.errorCode)
        buffer.writeWireNullableString(self.errorMessage, compact: flexible)
        buffer.writeWireBytes(self.authBytes, compact: flexible)
        if version >= 1 {
            buffer.writeInteger(self.sessionLifetimeMs)
        }
        if flexible {
            buffer.writeEmptyTaggedFields()
        }
    }
}
