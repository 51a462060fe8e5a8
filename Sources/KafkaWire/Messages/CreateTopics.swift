import NIOCore

/// CreateTopics (key 19), versions 2–7, flexible from 5.
public struct CreateTopicsRequest: KafkaRequestMessage {
    public typealias Response = CreateTopicsResponse
    public static let apiKey = ApiKey.createTopics

    public struct Assignment: Hashable, Sendable {
        public var partitionIndex: Int32
        public var brokerIds: [Int32]

        public init(partitionIndex: Int32, brokerIds: [Int32]) {
            self.partitionIndex = partitionIndex
            self.brokerIds = brokerIds
        }
    }

    public struct Config: Hashable, Sendable {
        public var name: String
        public var value: String?

        public init(name: String, value: String?) {
            self.name = name
            self.value = value
        }
    }

    public struct Topic: Hashable, Sendable {
        public var name: String
        /// -1 asks for the broker default.
        public var numPartitions: Int32
        /// -1 asks for the broker default.
        public var replicationFactor: Int16
        public var assignments: [Assignment]
        public var configs: [Config]

        public init(
            name: String,
            numPartitions: Int32,
            replicationFactor: Int16,
            assignments: [Assignment] = [],
            configs: [Config] = []
        ) {
            self.name = name
            self.numPartitions = numPartitions
            self.replicationFactor = replicationFactor
            self.assignments = assignments
            self.configs = configs
        }
    }

    public var topics: [Topic]
    public var timeoutMs: Int32
    public var validateOnly: Bool

    public init(topics: [Topic], timeoutMs: Int32 = 60_000, validateOnly: Bool = false) {
        self.topics = topics
        self.timeoutMs = timeoutMs
        self.validateOnly = validateOnly
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = version >= 5
        self.topics = try buffer.readWireArray("CreateTopicsRequest.topics", compact: flexible) { buffer in
            var topic = Topic(
                name: try buffer.readWireString("CreateTopicsRequest.topics.name", compact: flexible),
                numPartitions: try buffer.readWireInt32("CreateTopicsRequest.topics.numPartitions"),
                replicationFactor: try buffer.readWireInt16("CreateTopicsRequest.topics.replicationFactor")
            )
            topic.assignments = try buffer.readWireArray("CreateTopicsRequest.assignments", compact: flexible) {
                let assignment = Assignment(
                    partitionIndex: try $0.readWireInt32("CreateTopicsRequest.assignments.partitionIndex"),
                    brokerIds: try $0.readWireArray("CreateTopicsRequest.assignments.brokerIds", compact: flexible) {
                        try $0.readWireInt32("CreateTopicsRequest.assignments.brokerIds")
                    }
                )
                if flexible {
                    try $0.readTaggedFields("CreateTopicsRequest.assignments")
                }
                return assignment
            }
            topic.configs = try buffer.readWireArray("CreateTopicsRequest.configs", compact: flexible) {
                let config = Config(
                    name: try $0.readWireString("CreateTopicsRequest.configs.name", compact: flexible),
                    value: try $0.readWireNullableString("CreateTopicsRequest.configs.value", compact: flexible)
                )
                if flexible {
                    try $0.readTaggedFields("CreateTopicsRequest.configs")
                }
                return config
            }
            if flexible {
                try buffer.readTaggedFields("CreateTopicsRequest.topics")
            }
            return topic
        }
        self.timeoutMs = try buffer.readWireInt32("CreateTopicsRequest.timeoutMs")
        self.validateOnly = try buffer.readWireBool("CreateTopicsRequest.validateOnly")
        if flexible {
            try buffer.readTaggedFields("CreateTopicsRequest")
        }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = version >= 5
        buffer.writeWireArray(self.topics, compact: flexible) { buffer, topic in
            buffer.writeWireString(topic.name, compact: flexible)
            buffer.writeInteger(topic.numPartitions)
            buffer.writeInteger(topic.replicationFactor)
            buffer.writeWireArray(topic.assignments, compact: flexible) { buffer, assignment in
                buffer.writeInteger(assignment.partitionIndex)
                buffer.writeWireArray(assignment.brokerIds, compact: flexible) { $0.writeInteger($1) }
                if flexible {
                    buffer.writeEmptyTaggedFields()
                }
            }
            buffer.writeWireArray(topic.configs, compact: flexible) { buffer, config in
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
        buffer.writeInteger(self.timeoutMs)
        buffer.writeWireBool(self.validateOnly)
        if flexible {
            buffer.writeEmptyTaggedFields()
        }
    }
}

public struct CreateTopicsResponse: KafkaResponseMessage {
    public static let apiKey = ApiKey.createTopics

    public struct Config: Hashable, Sendable {
        public var name: String
        public var value: String?
        public var readOnly: Bool
        public var configSource: Int8
        public var isSensitive: Bool

        public init(name: String, value: String?, readOnly: Bool, configSource: Int8 = -1, isSensitive: Bool) {
            self.name = name
            self.value = value
            self.readOnly = readOnly
            self.configSource = configSource
            self.isSensitive = isSensitive
        }
    }

    public struct TopicResult: Hashable, Sendable {
        public var name: String
        /// v7+.
        public var topicId: KafkaUUID
        public var errorCode: ErrorCode
        public var errorMessage: String?
        /// v5+, tagged field 0, written only when not NONE.
        public var topicConfigErrorCode: ErrorCode
        /// v5+.
        public var numPartitions: Int32
        /// v5+.
        public var replicationFactor: Int16
        /// v5+.
        public var configs: [Config]?

        public init(
            name: String,
            topicId: KafkaUUID = .zero,
            errorCode: ErrorCode = .none,
            errorMessage: String? = nil,
            topicConfigErrorCode: ErrorCode = .none,
            numPartitions: Int32 = -1,
            replicationFactor: Int16 = -1,
            configs: [Config]? = nil
        ) {
            self.name = name
            self.topicId = topicId
            self.errorCode = errorCode
            self.errorMessage = errorMessage
            self.topicConfigErrorCode = topicConfigErrorCode
            self.numPartitions = numPartitions
            self.replicationFactor = replicationFactor
            self.configs = configs
        }
    }

    public var throttleTimeMs: Int32
    public var topics: [TopicResult]

    public init(throttleTimeMs: Int32 = 0, topics: [TopicResult]) {
        self.throttleTimeMs = throttleTimeMs
        self.topics = topics
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = version >= 5
        self.throttleTimeMs = try buffer.readWireInt32("CreateTopicsResponse.throttleTimeMs")
        self.topics = try buffer.readWireArray("CreateTopicsResponse.topics", compact: flexible) { buffer in
            var topic = TopicResult(name: try buffer.readWireString("CreateTopicsResponse.topics.name", compact: flexible))
            if version >= 7 {
                topic.topicId = try buffer.readWireUUID("CreateTopicsResponse.topics.topicId")
            }
            topic.errorCode = try buffer.readWireErrorCode("CreateTopicsResponse.topics.errorCode")
            topic.errorMessage = try buffer.readWireNullableString("CreateTopicsResponse.topics.errorMessage", compact: flexible)
            if version >= 5 {
                topic.numPartitions = try buffer.readWireInt32("CreateTopicsResponse.topics.numPartitions")
                topic.replicationFactor = try buffer.readWireInt16("CreateTopicsResponse.topics.replicationFactor")
                topic.configs = try buffer.readWireNullableArray("CreateTopicsResponse.configs", compact: flexible) {
                    let config = Config(
                        name: try $0.readWireString("CreateTopicsResponse.configs.name", compact: flexible),
                        value: try $0.readWireNullableString("CreateTopicsResponse.configs.value", compact: flexible),
                        readOnly: try $0.readWireBool("CreateTopicsResponse.configs.readOnly"),
                        configSource: try $0.readWireInt8("CreateTopicsResponse.configs.configSource"),
                        isSensitive: try $0.readWireBool("CreateTopicsResponse.configs.isSensitive")
                    )
                    try $0.readTaggedFields("CreateTopicsResponse.configs")
                    return config
                }
            }
            if flexible {
                try buffer.readTaggedFields("CreateTopicsResponse.topics") { tag, value in
                    if tag == 0 {
                        topic.topicConfigErrorCode = try value.readWireErrorCode(
                            "CreateTopicsResponse.topics.topicConfigErrorCode"
                        )
                    }
                }
            }
            return topic
        }
        if flexible {
            try buffer.readTaggedFields("CreateTopicsResponse")
        }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = version >= 5
        buffer.writeInteger(self.throttleTimeMs)
        buffer.writeWireArray(self.topics, compact: flexible) { buffer, topic in
            buffer.writeWireString(topic.name, compact: flexible)
            if version >= 7 {
                buffer.writeWireUUID(topic.topicId)
            }
            buffer.writeWireErrorCode(topic.errorCode)
            buffer.writeWireNullableString(topic.errorMessage, compact: flexible)
            if version >= 5 {
                buffer.writeInteger(topic.numPartitions)
                buffer.writeInteger(topic.replicationFactor)
                buffer.writeWireNullableArray(topic.configs, compact: flexible) { buffer, config in
                    buffer.writeWireString(config.name, compact: flexible)
                    buffer.writeWireNullableString(config.value, compact: flexible)
                    buffer.writeWireBool(config.readOnly)
                    buffer.writeInteger(config.configSource)
                    buffer.writeWireBool(config.isSensitive)
                    buffer.writeEmptyTaggedFields()
                }
            }
            if flexible {
                if topic.topicConfigErrorCode != .none {
                    buffer.writeTaggedFields([(0, .taggedValue { $0.writeWireErrorCode(topic.topicConfigErrorCode) })])
                } else {
                    buffer.writeEmptyTaggedFields()
                }
            }
        }
        if flexible {
            buffer.writeEmptyTaggedFields()
        }
    }
}
