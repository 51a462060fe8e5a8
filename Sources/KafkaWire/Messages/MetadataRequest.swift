import NIOCore

/// Metadata (key 3) request, versions 0–12, flexible from 9. Topic ids from 10; topic names nullable
/// from 10 (a lookup by id).
public struct MetadataRequest: KafkaRequestMessage {
    public typealias Response = MetadataResponse
    public static let apiKey = ApiKey.metadata

    public struct Topic: Hashable, Sendable {
        /// v10+.
        public var topicId: KafkaUUID
        /// Nullable from v10; written as "" below v10 when nil.
        public var name: String?

        public init(topicId: KafkaUUID = .zero, name: String?) {
            self.topicId = topicId
            self.name = name
        }
    }

    /// nil asks for all topics (v1+). At v0 an empty array means all topics, and nil is written as empty.
    public var topics: [Topic]?
    /// v4+; below v4 brokers always auto-create, so the default is true.
    public var allowAutoTopicCreation: Bool
    /// v8–10.
    public var includeClusterAuthorizedOperations: Bool
    /// v8+.
    public var includeTopicAuthorizedOperations: Bool

    public init(
        topics: [Topic]?,
        allowAutoTopicCreation: Bool = true,
        includeClusterAuthorizedOperations: Bool = false,
        includeTopicAuthorizedOperations: Bool = false
    ) {
        self.topics = topics
        self.allowAutoTopicCreation = allowAutoTopicCreation
        self.includeClusterAuthorizedOperations = includeClusterAuthorizedOperations
        self.includeTopicAuthorizedOperations = includeTopicAuthorizedOperations
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = version >= 9
        self.init(topics: nil)
        let readTopic = { (buffer: inout ByteBuffer) throws -> Topic in
            var topic = Topic(name: nil)
            if version >= 10 {
                topic.topicId = try buffer.readWireUUID("MetadataRequest.topics.topicId")
                topic.name = try buffer.readWireNullableString("MetadataRequest.topics.name", compact: flexible)
            } else {
                topic.name = try buffer.readWireString("MetadataRequest.topics.name", compact: flexible)
            }
            if flexible {
                try buffer.readTaggedFields("MetadataRequest.topics")
            }
            return topic
        }
        if version >= 1 {
            self.topics = try buffer.readWireNullableArray("MetadataRequest.topics", compact: flexible, readTopic)
        } else {
            self.topics = try buffer.readWireArray("MetadataRequest.topics", compact: flexible, readTopic)
        }
        if version >= 4 {
            self.allowAutoTopicCreation = try buffer.readWireBool("MetadataRequest.allowAutoTopicCreation")
        }
        if version >= 8 && version <= 10 {
            self.includeClusterAuthorizedOperations = try buffer.readWireBool(
                "MetadataRequest.includeClusterAuthorizedOperations"
            )
        }
        if version >= 8 {
            self.includeTopicAuthorizedOperations = try buffer.readWireBool(
                "MetadataRequest.includeTopicAuthorizedOperations"
            )
        }
        if flexible {
            try buffer.readTaggedFields("MetadataRequest")
        }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = version >= 9
        let topics = version >= 1 ? self.topics : (self.topics ?? [])
        buffer.writeWireNullableArray(topics, compact: flexible) { buffer, topic in
            if version >= 10 {
                buffer.writeWireUUID(topic.topicId)
                buffer.writeWireNullableString(topic.name, compact: flexible)
            } else {
                buffer.writeWireString(topic.name ?? "", compact: flexible)
            }
            if flexible {
                buffer.writeEmptyTaggedFields()
            }
        }
        if version >= 4 {
            buffer.writeWireBool(self.allowAutoTopicCreation)
        }
        if version >= 8 && version <= 10 {
            buffer.writeWireBool(self.includeClusterAuthorizedOperations)
        }
        if version >= 8 {
            buffer.writeWireBool(self.includeTopicAuthorizedOperations)
        }
        if flexible {
            buffer.writeEmptyTaggedFields()
        }
    }
}
