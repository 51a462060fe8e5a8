import NIOCore

/// SaslHandshake (key 17), versions 0–1, never flexible. The client names a mechanism; the answer lists the
/// enabled ones. After v0 the SASL tokens follow as raw size-prefixed frames; after v1 they ride in
/// SaslAuthenticate requests.
public struct SaslHandshakeRequest: KafkaRequestMessage {
    public typealias Response = SaslHandshakeResponse
    public static let apiKey = ApiKey.saslHandshake

    public var mechanism: String

    public init(mechanism: String) {
        self.mechanism = mechanism
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        self.mechanism = try buffer.readWireString("SaslHandshakeRequest.mechanism", compact: false)
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        buffer.writeWireString(self.mechanism, compact: false)
    }
}

public struct SaslHandshakeResponse: KafkaResponseMessage {
    public static let apiKey = ApiKey.saslHandshake

    public var errorCode: ErrorCode
    public var mechanisms: [String]

    public init(errorCode: ErrorCode = .none, mechanisms: [String]) {
        self.errorCode = errorCode
        self.mechanisms = mechanisms
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        self.errorCode = try buffer.readWireErrorCode("SaslHandshakeResponse.errorCode")
        self.mechanisms = try buffer.readWireArray("SaslHandshakeResponse.mechanisms", compact: false) {
            try $0.readWireString("SaslHandshakeResponse.mechanisms", compact: false)
        }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        buffer.writeWireErrorCode(self.errorCode)
        buffer.writeWireArray(self.mechanisms, compact: false) { $0.writeWireString($1, compact: false) }
    }
}
