import NIOCore

/// DescribeConfigs (key 32), versions 1–4, flexible from 4.
public struct DescribeConfigsRequest: KafkaRequestMessage {
    public typealias Response = DescribeConfigsResponse
    public static let apiKey = ApiKey.describeConfigs

    /// Kafka's resource types: 2 topic, 4 broker, 8 broker logger.
    public static let resourceTypeTopic: Int8 = 2
    public static let resourceTypeBroker: Int8 = 4

    public struct Resource: Hashable, Sendable {
        public var resourceType: Int8
        public var resourceName: String
        /// nil asks for every key.
        public var configurationKeys: [String]?

        public init(resourceType: Int8, resourceName: String, configurationKeys: [String]? = nil) {
            self.resourceType = resourceType
            self.resourceName = resourceName
            self.configurationKeys = configurationKeys
        }
    }

    public var resources: [Resource]
    public var includeSynonyms: Bool
    /// v3+.
    public var includeDocumentation: Bool

    public init(resources: [Resource], includeSynonyms: Bool = false, includeDocumentation: Bool = false) {
        self.resources = resources
        self.includeSynonyms = includeSynonyms
        self.includeDocumentation = includeDocumentation
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = version >= 4
        self.init(resources: [])
        self.resources = try buffer.readWireArray("DescribeConfigsRequest.resources", compact: flexible) { buffer in
            let resource = Resource(
                resourceType: try buffer.readWireInt8("DescribeConfigsRequest.resources.resourceType"),
                resourceName: try buffer.readWireString("DescribeConfigsRequest.resources.resourceName", compact: flexible),
                configurationKeys: try buffer.readWireNullableArray(
                    "DescribeConfigsRequest.resources.configurationKeys", compact: flexible
                ) {
                    try $0.readWireString("DescribeConfigsRequest.resources.configurationKeys", compact: flexible)
                }
            )
            if flexible {
                try buffer.readTaggedFields("DescribeConfigsRequest.resources")
            }
            return resource
        }
        self.includeSynonyms = try buffer.readWireBool("DescribeConfigsRequest.includeSynonyms")
        if version >= 3 {
            self.includeDocumentation = try buffer.readWireBool("DescribeConfigsRequest.includeDocumentation")
        }
        if flexible {
            try buffer.readTaggedFields("DescribeConfigsRequest")
        }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = version >= 4
        buffer.writeWireArray(self.resources, compact: flexible) { buffer, resource in
            buffer.writeInteger(resource.resourceType)
            buffer.writeWireString(resource.resourceName, compact: flexible)
            buffer.writeWireNullableArray(resource.configurationKeys, compact: flexible) {
                $0.writeWireString($1, compact: flexible)
            }
            if flexible {
                buffer.writeEmptyTaggedFields()
            }
        }
        buffer.writeWireBool(self.includeSynonyms)
        if version >= 3 {
            buffer.writeWireBool(self.includeDocumentation)
        }
        if flexible {
            buffer.writeEmptyTaggedFields()
        }
    }
}

public struct DescribeConfigsResponse: KafkaResponseMessage {
    public static let apiKey = ApiKey.describeConfigs

    public struct Synonym: Hashable, Sendable {
        public var name: String
        public var value: String?
        public var source: Int8

        public init(name: String, value: String?, source: Int8) {
            self.name = name
            self.value = value
            self.source = source
        }
    }

    public struct Config: Hashable, Sendable {
        public var name: String
        public var value: String?
        public var readOnly: Bool
        public var configSource: Int8
        public var isSensitive: Bool
        public var synonyms: [Synonym]
        /// v3+.
        public var configType: Int8
        /// v3+.
        public var documentation: String?

        public init(
            name: String,
            value: String?,
            readOnly: Bool,
            configSource: Int8 = -1,
            isSensitive: Bool,
            synonyms: [Synonym] = [],
            configType: Int8 = 0,
            documentation: String? = nil
        ) {
            self.name = name
            self.value = value
            self.readOnly = readOnly
            self.configSource = configSource
            self.isSensitive = isSensitive
            self.synonyms = synonyms
            self.configType = configType
            self.documentation = documentation
        }
    }

    public struct Result: Hashable, Sendable {
        public var errorCode: ErrorCode
        public var errorMessage: String?
        public var resourceType: Int8
        public var resourceName: String
        public var configs: [Config]

        public init(
            errorCode: ErrorCode = .none,
            errorMessage: String? = nil,
            resourceType: Int8,
            resourceName: String,
            configs: [Config]
        ) {
            self.errorCode = errorCode
            self.errorMessage = errorMessage
            self.resourceType = resourceType
            self.resourceName = resourceName
            self.configs = configs
        }
    }

    public var throttleTimeMs: Int32
    public var results: [Result]

    public init(throttleTimeMs: Int32 = 0, results: [Result]) {
        self.throttleTimeMs = throttleTimeMs
        self.results = results
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = version >= 4
        self.throttleTimeMs = try buffer.readWireInt32("DescribeConfigsResponse.throttleTimeMs")
        self.results = try buffer.readWireArray("DescribeConfigsResponse.results", compact: flexible) { buffer in
            let result = Result(
                errorCode: try buffer.readWireErrorCode("DescribeConfigsResponse.results.errorCode"),
                errorMessage: try buffer.readWireNullableString("DescribeConfigsResponse.results.errorMessage", compact: flexible),
                resourceType: try buffer.readWireInt8("DescribeConfigsResponse.results.resourceType"),
                resourceName: try buffer.readWireString("DescribeConfigsResponse.results.resourceName", compact: flexible),
                configs: try buffer.readWireArray("DescribeConfigsResponse.configs", compact: flexible) {
                    try Self.readConfig(&$0, version: version)
                }
            )
            if flexible {
                try buffer.readTaggedFields("DescribeConfigsResponse.results")
            }
            return result
        }
        if flexible {
            try buffer.readTaggedFields("DescribeConfigsResponse")
        }
    }

    private static func readConfig(_ buffer: inout ByteBuffer, version: Int16) throws -> Config {
        let flexible = version >= 4
        var config = Config(
            name: try buffer.readWireString("DescribeConfigsResponse.configs.name", compact: flexible),
            value: try buffer.readWireNullableString("DescribeConfigsResponse.configs.value", compact: flexible),
            readOnly: try buffer.readWireBool("DescribeConfigsResponse.configs.readOnly"),
            configSource: try buffer.readWireInt8("DescribeConfigsResponse.configs.configSource"),
            isSensitive: try buffer.readWireBool("DescribeConfigsResponse.configs.isSensitive")
        )
        config.synonyms = try buffer.readWireArray("DescribeConfigsResponse.synonyms", compact: flexible) {
            let synonym = Synonym(
                name: try $0.readWireString("DescribeConfigsResponse.synonyms.name", compact: flexible),
                value: try $0.readWireNullableString("DescribeConfigsResponse.synonyms.value", compact: flexible),
                source: try $0.readWireInt8("DescribeConfigsResponse.synonyms.source")
            )
            if flexible {
                try $0.readTaggedFields("DescribeConfigsResponse.synonyms")
            }
            return synonym
        }
        if version >= 3 {
            config.configType = try buffer.readWireInt8("DescribeConfigsResponse.configs.configType")
            config.documentation = try buffer.readWireNullableString(
                "DescribeConfigsResponse.configs.documentation", compact: flexible
            )
        }
        if flexible {
            try buffer.readTaggedFields("DescribeConfigsResponse.configs")
        }
        return config
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = version >= 4
        buffer.writeInteger(self.throttleTimeMs)
        buffer.writeWireArray(self.results, compact: flexible) { buffer, result in
            buffer.writeWireErrorCode(result.errorCode)
            buffer.writeWireNullableString(result.errorMessage, compact: flexible)
            buffer.writeInteger(result.resourceType)
            buffer.writeWireString(result.resourceName, compact: flexible)
            buffer.writeWireArray(result.configs, compact: flexible) { buffer, config in
                buffer.writeWireString(config.name, compact: flexible)
                buffer.writeWireNullableString(config.value, compact: flexible)
                buffer.writeWireBool(config.readOnly)
                buffer.writeInteger(config.configSource)
                buffer.writeWireBool(config.isSensitive)
                buffer.writeWireArray(config.synonyms, compact: flexible) { buffer, synonym in
                    buffer.writeWireString(synonym.name, compact: flexible)
                    buffer.writeWireNullableString(synonym.value, compact: flexible)
                    buffer.writeInteger(synonym.source)
                    if flexible {
                        buffer.writeEmptyTaggedFields()
                    }
                }
                if version >= 3 {
                    buffer.writeInteger(config.configType)
                    buffer.writeWireNullableString(config.documentation, compact: flexible)
                }
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
