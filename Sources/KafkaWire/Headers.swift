import NIOCore

/// The header in front of every request body. Version 1 for classic request versions, version 2 (v1 plus
/// tagged fields) for flexible ones. The client id stays a classic nullable string even in v2.
public struct RequestHeader: Hashable, Sendable {
    public var apiKey: Int16
    public var apiVersion: Int16
    public var correlationId: Int32
    public var clientId: String?

    public init(apiKey: Int16, apiVersion: Int16, correlationId: Int32, clientId: String?) {
        self.apiKey = apiKey
        self.apiVersion = apiVersion
        self.correlationId = correlationId
        self.clientId = clientId
    }

    /// 2 when (apiKey, apiVersion) is flexible, 1 otherwise. An unknown key is read as classic:
    /// its body cannot be decoded anyway, and the broker only needs the correlation id to answer.
    public static func headerVersion(apiKey: Int16, apiVersion: Int16) -> Int16 {
        guard let key = ApiKey(rawValue: apiKey), key.isFlexible(apiVersion) else {
            return 1
        }
        return 2
    }

    public init(from buffer: inout ByteBuffer) throws {
        self.apiKey = try buffer.readWireInt16("RequestHeader.apiKey")
        self.apiVersion = try buffer.readWireInt16("RequestHeader.apiVersion")
        self.correlationId = try buffer.readWireInt32("RequestHeader.correlationId")
        self.clientId = try buffer.readWireNullableString("RequestHeader.clientId", compact: false)
        if Self.headerVersion(apiKey: self.apiKey, apiVersion: self.apiVersion) >= 2 {
            try buffer.readTaggedFields("RequestHeader")
        }
    }

    public func encode(into buffer: inout ByteBuffer) {
        buffer.writeInteger(self.apiKey)
        buffer.writeInteger(self.apiVersion)
        buffer.writeInteger(self.correlationId)
        buffer.writeWireNullableString(self.clientId, compact: false)
        if Self.headerVersion(apiKey: self.apiKey, apiVersion: self.apiVersion) >= 2 {
            buffer.writeEmptyTaggedFields()
        }
    }
}

/// The header in front of every response body: the correlation id, plus tagged fields (v1) when the
/// response is flexible.
public struct ResponseHeader: Hashable, Sendable {
    public var correlationId: Int32

    public init(correlationId: Int32) {
        self.correlationId = correlationId
    }

    /// 1 when (apiKey, apiVersion) is flexible, 0 otherwise. ApiVersions responses always use v0, even
    /// at v3+: a client reads the reply before it knows which versions the broker speaks.
    public static func headerVersion(apiKey: Int16, apiVersion: Int16) -> Int16 {
        guard let key = ApiKey(rawValue: apiKey), key != .apiVersions, key.isFlexible(apiVersion) else {
            return 0
        }
        return 1
    }

    public init(from buffer: inout ByteBuffer, headerVersion: Int16) throws {
        self.correlationId = try buffer.readWireInt32("ResponseHeader.correlationId")
        if headerVersion >= 1 {
            try buffer.readTaggedFields("ResponseHeader")
        }
    }

    public func encode(into buffer: inout ByteBuffer, headerVersion: Int16) {
        buffer.writeInteger(self.correlationId)
        if headerVersion >= 1 {
            buffer.writeEmptyTaggedFields()
        }
    }
}
