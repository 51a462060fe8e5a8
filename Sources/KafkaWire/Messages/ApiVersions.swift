import NIOCore

/// ApiVersions (key 18), versions 0–3, flexible from 3. The first request every client sends.
public struct ApiVersionsRequest: KafkaRequestMessage {
    public typealias Response = ApiVersionsResponse
    public static let apiKey = ApiKey.apiVersions

    /// v3+.
    public var clientSoftwareName: String
    /// v3+.
    public var clientSoftwareVersion: String

    public init(clientSoftwareName: String = "", clientSoftwareVersion: String = "") {
        self.clientSoftwareName = clientSoftwareName
        self.clientSoftwareVersion = clientSoftwareVersion
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        self.init()
        if version >= 3 {
            self.clientSoftwareName = try buffer.readWireString("ApiVersionsRequest.clientSoftwareName", compact: true)
            self.clientSoftwareVersion = try buffer.readWireString(
                "ApiVersionsRequest.clientSoftwareVersion", compact: true
            )
            try buffer.readTaggedFields("ApiVersionsRequest")
        }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        if version >= 3 {
            buffer.writeWireString(self.clientSoftwareName, compact: true)
            buffer.writeWireString(self.clientSoftwareVersion, compact: true)
            buffer.writeEmptyTaggedFields()
        }
    }
}

public struct ApiVersionsResponse: KafkaResponseMessage {
    public static let apiKey = ApiKey.apiVersions

    public struct ApiVersion: Hashable, Sendable {
        public var apiKey: Int16
        public var minVersion: Int16
        public var maxVersion: Int16

        public init(apiKey: Int16, minVersion: Int16, maxVersion: Int16) {
            self.apiKey = apiKey
            self.minVersion = minVersion
            self.maxVersion = maxVersion
        }
    }

    public struct SupportedFeatureKey: Hashable, Sendable {
        public var name: String
        public var minVersion: Int16
        public var maxVersion: Int16

        public init(name: String, minVersion: Int16, maxVersion: Int16) {
            self.name = name
            self.minVersion = minVersion
            self.maxVersion = maxVersion
        }
    }

    public struct FinalizedFeatureKey: Hashable, Sendable {
        public var name: String
        public var maxVersionLevel: Int16
        public var minVersionLevel: Int16

        public init(name: String, maxVersionLevel: Int16, minVersionLevel: Int16) {
            self.name = name
            self.maxVersionLevel = maxVersionLevel
            self.minVersionLevel = minVersionLevel
        }
    }

    public var errorCode: ErrorCode
    public var apiKeys: [ApiVersion]
    /// v1+.
    public var throttleTimeMs: Int32
    /// v3+, tagged field 0 (written only when not empty).
    public var supportedFeatures: [SupportedFeatureKey]
    /// v3+, tagged field 1 (written only when not -1).
    public var finalizedFeaturesEpoch: Int64
    /// v3+, tagged field 2 (written only when not empty).
    public var finalizedFeatures: [FinalizedFeatureKey]
    /// v3+, tagged field 3 (written only when true).
    public var zkMigrationReady: Bool

    public init(
        errorCode: ErrorCode = .none,
        apiKeys: [ApiVersion],
        throttleTimeMs: Int32 = 0,
        supportedFeatures: [SupportedFeatureKey] = [],
        finalizedFeaturesEpoch: Int64 = -1,
        finalizedFeatures: [FinalizedFeatureKey] = [],
        zkMigrationReady: Bool = false
    ) {
        self.errorCode = errorCode
        self.apiKeys = apiKeys
        self.throttleTimeMs = throttleTimeMs
        self.supportedFeatures = supportedFeatures
        self.finalizedFeaturesEpoch = finalizedFeaturesEpoch
        self.finalizedFeatures = finalizedFeatures
        self.zkMigrationReady = zkMigrationReady
    }

    /// The ranges of `SupportedApis`, as the broker advertises them.
    public static var supportedApiKeys: [ApiVersion] {
        SupportedApis.ranges.map {
            ApiVersion(apiKey: $0.apiKey.rawValue, minVersion: $0.minVersion, maxVersion: $0.maxVersion)
        }
    }

    /// The reply to an ApiVersions request of a version Sluice does not know: UNSUPPORTED_VERSION with the
    /// supported ranges, to be encoded at version 0 (`encodeUnsupportedVersionReply`) so that any client
    /// can read it and retry with a version it finds there.
    public static func unsupportedVersionReply() -> ApiVersionsResponse {
        ApiVersionsResponse(errorCode: .unsupportedVersion, apiKeys: self.supportedApiKeys)
    }

    /// The whole frame answering an ApiVersions request of an unknown version: response header v0 and
    /// the v0 body layout (error code, api keys as a classic array).
    public static func encodeUnsupportedVersionReply(correlationId: Int32, allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 16 + 6 * SupportedApis.ranges.count)
        KafkaFrame.write(into: &buffer) { content in
            ResponseHeader(correlationId: correlationId).encode(into: &content, headerVersion: 0)
            self.unsupportedVersionReply().encode(into: &content, version: 0)
        }
        return buffer
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = version >= 3
        self.init(apiKeys: [])
        self.errorCode = try buffer.readWireErrorCode("ApiVersionsResponse.errorCode")
        self.apiKeys = try buffer.readWireArray("ApiVersionsResponse.apiKeys", compact: flexible) { buffer in
            let key = ApiVersion(
                apiKey: try buffer.readWireInt16("ApiVersionsResponse.apiKeys.apiKey"),
                minVersion: try buffer.readWireInt16("ApiVersionsResponse.apiKeys.minVersion"),
                maxVersion: try buffer.readWireInt16("ApiVersionsResponse.apiKeys.maxVersion")
            )
            if flexible {
                try buffer.readTaggedFields("ApiVersionsResponse.apiKeys")
            }
            return key
        }
        if version >= 1 {
            self.throttleTimeMs = try buffer.readWireInt32("ApiVersionsResponse.throttleTimeMs")
        }
        if flexible {
            try buffer.readTaggedFields("ApiVersionsResponse") { tag, value in
                switch tag {
                case 0: self.supportedFeatures = try Self.readSupportedFeatures(&value)
                case 1: self.finalizedFeaturesEpoch = try value.readWireInt64("ApiVersionsResponse.finalizedFeaturesEpoch")
                case 2: self.finalizedFeatures = try Self.readFinalizedFeatures(&value)
                case 3: self.zkMigrationReady = try value.readWireBool("ApiVersionsResponse.zkMigrationReady")
                default: break
                }
            }
        }
    }

    private static func readSupportedFeatures(_ buffer: inout ByteBuffer) throws -> [SupportedFeatureKey] {
        try buffer.readWireArray("ApiVersionsResponse.supportedFeatures", compact: true) { buffer in
            let feature = SupportedFeatureKey(
                name: try buffer.readWireString("ApiVersionsResponse.supportedFeatures.name", compact: true),
                minVersion: try buffer.readWireInt16("ApiVersionsResponse.supportedFeatures.minVersion"),
                maxVersion: try buffer.readWireInt16("ApiVersionsResponse.supportedFeatures.maxVersion")
            )
            try buffer.readTaggedFields("ApiVersionsResponse.supportedFeatures")
            return feature
        }
    }

    private static func readFinalizedFeatures(_ buffer: inout ByteBuffer) throws -> [FinalizedFeatureKey] {
        try buffer.readWireArray("ApiVersionsResponse.finalizedFeatures", compact: true) { buffer in
            let feature = FinalizedFeatureKey(
                name: try buffer.readWireString("ApiVersionsResponse.finalizedFeatures.name", compact: true),
                maxVersionLevel: try buffer.readWireInt16("ApiVersionsResponse.finalizedFeatures.maxVersionLevel"),
                minVersionLevel: try buffer.readWireInt16("ApiVersionsResponse.finalizedFeatures.minVersionLevel")
            )
            try buffer.readTaggedFields("ApiVersionsResponse.finalizedFeatures")
            return feature
        }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = version >= 3
        buffer.writeWireErrorCode(self.errorCode)
        buffer.writeWireArray(self.apiKeys, compact: flexible) { buffer, key in
            buffer.writeInteger(key.apiKey)
            buffer.writeInteger(key.minVersion)
            buffer.writeInteger(key.maxVersion)
            if flexible {
                buffer.writeEmptyTaggedFields()
            }
        }
        if version >= 1 {
            buffer.writeInteger(self.throttleTimeMs)
        }
        if flexible {
            var tagged: [(tag: UInt32, value: ByteBuffer)] = []
            if !self.supportedFeatures.isEmpty {
                tagged.append((0, .taggedValue { value in
                    value.writeWireArray(self.supportedFeatures, compact: true) { buffer, feature in
                        buffer.writeWireString(feature.name, compact: true)
                        buffer.writeInteger(feature.minVersion)
                        buffer.writeInteger(feature.maxVersion)
                        buffer.writeEmptyTaggedFields()
                    }
                }))
            }
            if self.finalizedFeaturesEpoch != -1 {
                tagged.append((1, .taggedValue { $0.writeInteger(self.finalizedFeaturesEpoch) }))
            }
            if !self.finalizedFeatures.isEmpty {
                tagged.append((2, .taggedValue { value in
                    value.writeWireArray(self.finalizedFeatures, compact: true) { buffer, feature in
                        buffer.writeWireString(feature.name, compact: true)
                        buffer.writeInteger(feature.maxVersionLevel)
                        buffer.writeInteger(feature.minVersionLevel)
                        buffer.writeEmptyTaggedFields()
                    }
                }))
            }
            if self.zkMigrationReady {
                tagged.append((3, .taggedValue { $0.writeWireBool(true) }))
            }
            buffer.writeTaggedFields(tagged)
        }
    }
}
