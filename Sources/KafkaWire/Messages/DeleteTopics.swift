import NIOCore

/// DeleteTopics (key 20), versions 1–6, flexible from 4. Up to v5 topics are named; v6 names them or
/// gives their ids.
public struct DeleteTopicsRequest: KafkaRequestMessage {
    public typealias Response = DeleteTopicsResponse
    public static let apiKey = ApiKey.deleteTopics

    public struct TopicState: Hashable, Sendable {
        public var name: String?
        public var topicId: KafkaUUID

        public init(name: String?, topicId: KafkaUUID = .zero) {
            self.name = name
            self.topicId = topicId
        }
    }

    /// v6+.
    public var topics: [TopicState]
    /// v0–5.
    public var topicNames: [String]
    public var timeoutMs: Int32

    public init(topics: [TopicState] = [], topicNames: [String] = [], timeoutMs: Int32) {
        self.topics = topics
        self.topicNames = topicNames
        self.timeoutMs = timeoutMs
    }

    /// The topic names whatever the version, for callers that do not care about ids.
    public var allTopicNames: [String] {
        self.topicNames + self.topics.compactMap(\.name)
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = version >= 4
        self.init(timeoutMs: 0)
        if version >= 6 {
            self.topics = try buffer.readWireArray("DeleteTopicsRequest.topics", compact: flexible) {
                let topic = TopicState(
                    name: try $0.readWireNullableString("DeleteTopicsRequest.topics.name", compact: flexible),
                    topicId: try $0.readWireUUID("DeleteTopicsRequest.topics.topicId")
                )
                try $0.readTaggedFields("DeleteTopicsRequest.topics")
                return topic
            }
        } else {
            self.topicNames = try buffer.readWireArray("DeleteTopicsRequest.topicNames", compact: flexible) {
                try $0.readWireString("DeleteTopicsRequest.topicNames", compact: flexible)
            }
        }
        self.timeoutMs = try buffer.readWireInt32("DeleteTopicsRequest.timeoutMs")
        if flexible {
            try buffer.readTaggedFields("DeleteTopicsRequest")
        }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = version >= 4
        if version >= 6 {
            buffer.writeWireArray(self.topics, compact: flexible) { buffer, topic in
                buffer.writeWireNullableString(topic.name, compact: flexible)
                buffer.writeWireUUID(topic.topicId)
                buffer.writeEmptyTaggedFields()
            }
        } else {
            buffer.writeWireArray(self.topicNames, compact: flexible) { $0.writeWireString($1, compact: flexible) }
        }
        buffer.writeInteger(self.timeoutMs)
        if flexible {
            buffer.writeEmptyTaggedFields()
        }
    }
}

public struct DeleteTopicsResponse: KafkaResponseMessage {
    public static let apiKey = ApiKey.deleteTopics

    public struct Result: Hashable, Sendable {
        /// Nullable from v6; written as "" below v6 when nil.
        public var name: String?
        /// v6+.
        public var topicId: KafkaUUID
        public var errorCode: ErrorCode
        /// v5+.
        public var errorMessage: String?

        public init(name: String?, topicId: KafkaUUID = .zero, errorCode: ErrorCode = .none, errorMessage: String? = nil) {
            self.name = name
            self.topicId = topicId
            self.errorCode = errorCode
            self.errorMessage = errorMessage
        }
    }

    public var throttleTimeMs: Int32
    public var responses: [Result]

    public init(throttleTimeMs: Int32 = 0, responses: [Result]) {
        self.throttleTimeMs = throttleTimeMs
        self.responses = responses
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = version >= 4
        self.throttleTimeMs = try buffer.readWireInt32("DeleteTopicsResponse.throttleTimeMs")
        self.responses = try buffer.readWireArray("DeleteTopicsResponse.responses", compact: flexible) { buffer in
            var result = Result(name: nil)
            if version >= 6 {
                result.name = try buffer.readWireNullableString("DeleteTopicsResponse.responses.name", compact: flexible)
                result.topicId = try buffer.readWireUUID("DeleteTopicsResponse.responses.topicId")
            } else {
                result.name = try buffer.readWireString("DeleteTopicsResponse.responses.name", compact: flexible)
            }
            result.errorCode = try buffer.readWireErrorCode("DeleteTopicsResponse.responses.errorCode")
            if version >= 5 {
                result.errorMessage = try buffer.readWireNullableString(
                    "DeleteTopicsResponse.responses.errorMessage", compact: flexible
                )
            }
            if flexible {
                try buffer.readTaggedFields("DeleteTopicsResponse.responses")
            }
            return result
        }
        if flexible {
            try buffer.readTaggedFields("DeleteTopicsResponse")
        }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = version >= 4
        buffer.writeInteger(self.throttleTimeMs)
        buffer.writeWireArray(self.responses, compact: flexible) { buffer, result in
            if version >= 6 {
                buffer.writeWireNullableString(result.name, compact: flexible)
                buffer.writeWireUUID(result.topicId)
            } else {
                buffer.writeWireString(result.name ?? "", compact: flexible)
            }
            buffer.writeWireErrorCode(result.errorCode)
            if version >= 5 {
                buffer.writeWireNullableString(result.errorMessage, compact: flexible)
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
