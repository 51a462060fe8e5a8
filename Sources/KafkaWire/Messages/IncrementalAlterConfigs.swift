import NIOCore

/// IncrementalAlterConfigs (key 44), versions 0–1, flexible from 1. Each config names an operation on one key.
public struct IncrementalAlterConfigsRequest: KafkaRequestMessage {
    public typealias Response = IncrementalAlterConfigsResponse
    public static let apiKey = ApiKey.incrementalAlterConfigs

    /// What to do with one key. A struct rather than a closed enum: an unknown operation must reach the broker,
    /// which answers it with INVALID_REQUEST.
    public struct Operation: RawRepresentable, Hashable, Sendable {
        public var rawValue: Int8

        public init(rawValue: Int8) {
            self.rawValue = rawValue
        }

        public static let set = Operation(rawValue: 0)
        public static let delete = Operation(rawValue: 1)
        /// Adds to a list config (`cleanup.policy`).
        public static let append = Operation(rawValue: 2)
        /// Removes from a list config.
        public static let subtract = Operation(rawValue: 3)
    }

    public struct Config: Hashable, Sendable {
        public var name: String
        public var operation: Operation
        public var value: String?

        public init(name: String, operation: Operation, value: String?) {
            self.name = name
            self.operation = operation
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
        let flexible = version >= 1
        let context = "IncrementalAlterConfigsRequest"
        self.resources = try buffer.readWireArray("\(context).resources", compact: flexible) { buffer in
            let resource = Resource(
                resourceType: try buffer.readWireInt8("\(context).resources.resourceType"),
                resourceName: try buffer.readWireString("\(context).resources.resourceName", compact: flexible),
                configs: try buffer.readWireArray("\(context).configs", compact: flexible) {
                    let config = Config(
                        name: try $0.readWireString("\(context).configs.name", compact: flexible),
                        operation: Operation(rawValue: try $0.readWireInt8("\(context).configs.configOperation")),
                        value: try $0.readWireNullableString("\(context).configs.value", compact: flexible)
                    )
                    if flexible {
                        try $0.readTaggedFields("\(context).configs")
                    }
                    return config
                }
            )
            if flexible {
                try buffer.readTaggedFields("\(context).resources")
            }
            return resource
        }
        self.validateOnly = try buffer.readWireBool("\(context).validateOnly")
        if flexible {
            try buffer.readTaggedFields(context)
        }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = version >= 1
        buffer.writeWireArray(self.resources, compact: flexible) { buffer, resource in
            buffer.writeInteger(resource.resourceType)
            buffer.writeWireString(resource.resourceName, compact: flexible)
            buffer.writeWireArray(resource.configs, compact: flexible) { buffer, config in
                buffer.writeWireString(config.name, compact: flexible)
                buffer.writeInteger(config.operation.rawValue)
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

public struct IncrementalAlterConfigsResponse: KafkaResponseMessage {
    public static let apiKey = ApiKey.incrementalAlterConfigs

    public var throttleTimeMs: Int32
    public var responses: [AlterConfigsResourceResult]

    public init(throttleTimeMs: Int32 = 0, responses: [AlterConfigsResourceResult]) {
        self.throttleTimeMs = throttleTimeMs
        self.responses = responses
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = version >= 1
        self.throttleTimeMs = try buffer.readWireInt32("IncrementalAlterConfigsResponse.throttleTimeMs")
        self.responses = try buffer.readWireArray("IncrementalAlterConfigsResponse.responses", compact: flexible) {
            try AlterConfigsResourceResult.read(
                from: &$0, flexible: flexible, context: "IncrementalAlterConfigsResponse.responses"
            )
        }
        if flexible {
            try buffer.readTaggedFields("IncrementalAlterConfigsResponse")
        }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = version >= 1
        buffer.writeInteger(self.throttleTimeMs)
        buffer.writeWireArray(self.responses, compact: flexible) { $1.write(into: &$0, flexible: flexible) }
        if flexible {
            buffer.writeEmptyTaggedFields()
        }
    }
}
