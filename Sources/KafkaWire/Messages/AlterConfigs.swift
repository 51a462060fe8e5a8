import NIOCore

/// AlterConfigs (key 33), versions 0–2, flexible from 2. Replaces the whole set of a resource's configs: keys
/// left out go back to their defaults (IncrementalAlterConfigs changes one key at a time).
public struct AlterConfigsRequest: KafkaRequestMessage {
    public typealias Response = AlterConfigsResponse
    public static let apiKey = ApiKey.alterConfigs

    public struct Config: Hashable, Sendable {
        public var name: String
        public var value: String?

        public init(name: String, value: String?) {
            self.name = name
            self.value = value
        }
    }

    public struct Resource: Hashable, Sendable {
        /// Kafka's resource types: 2 topic, 4 broker, 8 broker logger.
        public var resourceType: Int8
        public var resourceName: String
        public var configs: [Config]

        public init(resourceType: Int8, resourceName: String, configs: [Config]) {
            self.resourceType = resourceType
            self.resourceName = resourceName
            self.configs = configs
        }
    }

    public var resources: [Resource]
    public var validateOnly: Bool

    public init(resources: [Resource], validateOnly: Bool = false) {
        self.resources = resources
        self.validateOnly = validateOnly
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = version >= 2
        self.resources = try buffer.readWireArray("AlterConfigsRequest.resources", compact: flexible) { buffer in
            let resource = Resource(
                resourceType: try buffer.readWireInt8("AlterConfigsRequest.resources.resourceType"),
                resourceName: try buffer.readWireString("AlterConfigsRequest.resources.resourceName", compact: flexible),
                configs: try buffer.readWireArray("AlterConfigsRequest.configs", compact: flexible) {
                    let config = Config(
                        name: try $0.readWireString("AlterConfigsRequest.configs.name", compact: flexible),
                        value: try $0.readWireNullableString("AlterConfigsRequest.configs.value", compact: flexible)
                    )
                    if flexible {
                        try $0.readTaggedFields("AlterConfigsRequest.configs")
                    }
                    return config
                }
            )
            if flexible {
                try buffer.readTaggedFields("AlterConfigsRequest.resources")
            }
            return resource
        }
        self.validateOnly = try buffer.readWireBool("AlterConfigsRequest.validateOnly")
        if flexible {
            try buffer.readTaggedFields("AlterConfigsRequest")
        }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = version >= 2
        buffer.writeWireArray(self.resources, compact: flexible) { buffer, resource in
            buffer.writeInteger(resource.resourceType)
            buffer.writeWireString(resource.resourceName, compact: flexible)
            buffer.writeWireArray(resource.configs, compact: flexible) { buffer, config in
                buffer.writeWireString(config.name, compact: flexible)
                buffer.writeWireNullableString(config.value, compact: flexible)
                if flexible {
                    buffer.writeEmptyTaggedFields()
                }
            }
            if flexible {
                buffer.writeEmptyTaggedFields()
            }
        }
        buffer.writeWireBool(self.validateOnly)
        if flexible {
            buffer.writeEmptyTaggedFields()
        }
    }
}

/// The outcome for one resource of AlterConfigs or IncrementalAlterConfigs (the two responses share it).
public struct AlterConfigsResourceResult: Hashable, Sendable {
    public var errorCode: ErrorCode
    public var errorMessage: String?
    public var resourceType: Int8
    public var resourceName: String

    public init(errorCode: ErrorCode = .none, errorMessage: String? = nil, resourceType: Int8, resourceName: String) {
        self.errorCode = errorCode
        self.errorMessage = errorMessage
        self.resourceType = resourceType
        self.resourceName = resourceName
    }

    static func read(from buffer: inout ByteBuffer, flexible: Bool, context: String) throws -> Self {
        let result = Self(
            errorCode: try buffer.readWireErrorCode("\(context).errorCode"),
            errorMessage: try buffer.readWireNullableString("\(context).errorMessage", compact: flexible),
            resourceType: try buffer.readWireInt8("\(context).resourceType"),
            resourceName: try buffer.readWireString("\(context).resourceName", compact: flexible)
        )
        if flexible {
            try buffer.readTaggedFields(context)
        }
        return result
    }

    func write(into buffer: inout ByteBuffer, flexible: Bool) {
        buffer.writeWireErrorCode(self.errorCode)
        buffer.writeWireNullableString(self.errorMessage, compact: flexible)
        buffer.writeInteger(self.resourceType)
        buffer.writeWireString(self.resourceName, compact: flexible)
        if flexible {
            buffer.writeEmptyTaggedFields()
        }
    }
}

public struct AlterConfigsResponse: KafkaResponseMessage {
    public static let apiKey = ApiKey.alterConfigs

    public var throttleTimeMs: Int32
    public var responses: [AlterConfigsResourceResult]

    public init(throttleTimeMs: Int32 = 0, responses: [AlterConfigsResourceResult]) {
        self.throttleTimeMs = throttleTimeMs
        self.responses = responses
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = version >= 2
        self.throttleTimeMs = try buffer.readWireInt32("AlterConfigsResponse.throttleTimeMs")
        self.responses = try buffer.readWireArray("AlterConfigsResponse.responses", compact: flexible) {
            try AlterConfigsResourceResult.read(from: &$0, flexible: flexible, context: "AlterConfigsResponse.responses")
        }
        if flexible {
            try buffer.readTaggedFields("AlterConfigsResponse")
        }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = version >= 2
        buffer.writeInteger(self.throttleTimeMs)
        buffer.writeWireArray(self.responses, compact: flexible) { $1.write(into: &$0, flexible: flexible) }
        if flexible {
            buffer.writeEmptyTaggedFields()
        }
    }
}
