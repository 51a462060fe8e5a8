import NIOCore

/// Metadata (key 3) response, versions 0–12, flexible from 9.
public struct MetadataResponse: KafkaResponseMessage {
    public static let apiKey = ApiKey.metadata

    /// Kafka's "authorized operations not requested" marker.
    public static let authorizedOperationsUnknown = Int32.min

    public struct Broker: Hashable, Sendable {
        public var nodeId: Int32
        public var host: String
        public var port: Int32
        /// v1+.
        public var rack: String?

        public init(nodeId: Int32, host: String, port: Int32, rack: String? = nil) {
            self.nodeId = nodeId
            self.host = host
            self.port = port
            self.rack = rack
        }
    }

    public struct Partition: Hashable, Sendable {
        public var errorCode: ErrorCode
        public var partitionIndex: Int32
        public var leaderId: Int32
        /// v7+.
        public var leaderEpoch: Int32
        public var replicaNodes: [Int32]
        public var isrNodes: [Int32]
        /// v5+.
        public var offlineReplicas: [Int32]

        public init(
            errorCode: ErrorCode = .none,
            partitionIndex: Int32,
            leaderId: Int32,
            leaderEpoch: Int32 = -1,
            replicaNodes: [Int32],
            isrNodes: [Int32],
            offlineReplicas: [Int32] = []
        ) {
            self.errorCode = errorCode
            self.partitionIndex = partitionIndex
            self.leaderId = leaderId
            self.leaderEpoch = leaderEpoch
            self.replicaNodes = replicaNodes
            self.isrNodes = isrNodes
            self.offlineReplicas = offlineReplicas
        }
    }

    public struct Topic: Hashable, Sendable {
        public var errorCode: ErrorCode
        /// Nullable from v12 (a topic looked up by an unknown id); written as "" below v12 when nil.
        public var name: String?
        /// v10+.
        public var topicId: KafkaUUID
        /// v1+.
        public var isInternal: Bool
        public var partitions: [Partition]
        /// v8+.
        public var topicAuthorizedOperations: Int32

        public init(
            errorCode: ErrorCode = .none,
            name: String?,
            topicId: KafkaUUID = .zero,
            isInternal: Bool = false,
            partitions: [Partition],
            topicAuthorizedOperations: Int32 = MetadataResponse.authorizedOperationsUnknown
        ) {
            self.errorCode = errorCode
            self.name = name
            self.topicId = topicId
            self.isInternal = isInternal
            self.partitions = partitions
            self.topicAuthorizedOperations = topicAuthorizedOperations
        }
    }

    /// v3+.
    public var throttleTimeMs: Int32
    public var brokers: [Broker]
    /// v2+.
    public var clusterId: String?
    /// v1+.
    public var controllerId: Int32
    public var topics: [Topic]
    /// v8–10.
    public var clusterAuthorizedOperations: Int32

    public init(
        throttleTimeMs: Int32 = 0,
        brokers: [Broker],
        clusterId: String? = nil,
        controllerId: Int32 = -1,
        topics: [Topic],
        clusterAuthorizedOperations: Int32 = MetadataResponse.authorizedOperationsUnknown
    ) {
        self.throttleTimeMs = throttleTimeMs
        self.brokers = brokers
        self.clusterId = clusterId
        self.controllerId = controllerId
        self.topics = topics
        self.clusterAuthorizedOperations = clusterAuthorizedOperations
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = version >= 9
        self.init(brokers: [], topics: [])
        if version >= 3 {
            self.throttleTimeMs = try buffer.readWireInt32("MetadataResponse.throttleTimeMs")
        }
        self.brokers = try buffer.readWireArray("MetadataResponse.brokers", compact: flexible) { buffer in
            var broker = Broker(
                nodeId: try buffer.readWireInt32("MetadataResponse.brokers.nodeId"),
                host: try buffer.readWireString("MetadataResponse.brokers.host", compact: flexible),
                port: try buffer.readWireInt32("MetadataResponse.brokers.port")
            )
            if version >= 1 {
                broker.rack = try buffer.readWireNullableString("MetadataResponse.brokers.rack", compact: flexible)
            }
            if flexible {
                try buffer.readTaggedFields("MetadataResponse.brokers")
            }
            return broker
        }
        if version >= 2 {
            self.clusterId = try buffer.readWireNullableString("MetadataResponse.clusterId", compact: flexible)
        }
        if version >= 1 {
            self.controllerId = try buffer.readWireInt32("MetadataResponse.controllerId")
        }
        self.topics = try buffer.readWireArray("MetadataResponse.topics", compact: flexible) { buffer in
            try Self.readTopic(&buffer, version: version)
        }
        if version >= 8 && version <= 10 {
            self.clusterAuthorizedOperations = try buffer.readWireInt32("MetadataResponse.clusterAuthorizedOperations")
        }
        if flexible {
            try buffer.readTaggedFields("MetadataResponse")
        }
    }

    private static func readTopic(_ buffer: inout ByteBuffer, version: Int16) throws -> Topic {
        let flexible = version >= 9
        var topic = Topic(name: nil, partitions: [])
        topic.errorCode = try buffer.readWireErrorCode("MetadataResponse.topics.errorCode")
        if version >= 12 {
            topic.name = try buffer.readWireNullableString("MetadataResponse.topics.name", compact: flexible)
        } else {
            topic.name = try buffer.readWireString("MetadataResponse.topics.name", compact: flexible)
        }
        if version >= 10 {
            topic.topicId = try buffer.readWireUUID("MetadataResponse.topics.topicId")
        }
        if version >= 1 {
            topic.isInternal = try buffer.readWireBool("MetadataResponse.topics.isInternal")
        }
        topic.partitions = try buffer.readWireArray("MetadataResponse.partitions", compact: flexible) { buffer in
            var partition = Partition(
                errorCode: try buffer.readWireErrorCode("MetadataResponse.partitions.errorCode"),
                partitionIndex: try buffer.readWireInt32("MetadataResponse.partitions.partitionIndex"),
                leaderId: try buffer.readWireInt32("MetadataResponse.partitions.leaderId"),
                replicaNodes: [],
                isrNodes: []
            )
            if version >= 7 {
                partition.leaderEpoch = try buffer.readWireInt32("MetadataResponse.partitions.leaderEpoch")
            }
            partition.replicaNodes = try buffer.readWireArray("MetadataResponse.partitions.replicaNodes", compact: flexible) {
                try $0.readWireInt32("MetadataResponse.partitions.replicaNodes")
            }
            partition.isrNodes = try buffer.readWireArray("MetadataResponse.partitions.isrNodes", compact: flexible) {
                try $0.readWireInt32("MetadataResponse.partitions.isrNodes")
            }
            if version >= 5 {
                partition.offlineReplicas = try buffer.readWireArray(
                    "MetadataResponse.partitions.offlineReplicas", compact: flexible
                ) {
                    try $0.readWireInt32("MetadataResponse.partitions.offlineReplicas")
                }
            }
            if flexible {
                try buffer.readTaggedFields("MetadataResponse.partitions")
            }
            return partition
        }
        if version >= 8 {
            topic.topicAuthorizedOperations = try buffer.readWireInt32("MetadataResponse.topics.topicAuthorizedOperations")
        }
        if flexible {
            try buffer.readTaggedFields("MetadataResponse.topics")
        }
        return topic
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = version >= 9
        if version >= 3 {
            buffer.writeInteger(self.throttleTimeMs)
        }
        buffer.writeWireArray(self.brokers, compact: flexible) { buffer, broker in
            buffer.writeInteger(broker.nodeId)
            buffer.writeWireString(broker.host, compact: flexible)
            buffer.writeInteger(broker.port)
            if version >= 1 {
                buffer.writeWireNullableString(broker.rack, compact: flexible)
            }
            if flexible {
                buffer.writeEmptyTaggedFields()
            }
        }
        if version >= 2 {
            buffer.writeWireNullableString(self.clusterId, compact: flexible)
        }
        if version >= 1 {
            buffer.writeInteger(self.controllerId)
        }
        buffer.writeWireArray(self.topics, compact: flexible) { buffer, topic in
            Self.writeTopic(topic, into: &buffer, version: version)
        }
        if version >= 8 && version <= 10 {
            buffer.writeInteger(self.clusterAuthorizedOperations)
        }
        if flexible {
            buffer.writeEmptyTaggedFields()
        }
    }

    private static func writeTopic(_ topic: Topic, into buffer: inout ByteBuffer, version: Int16) {
        let flexible = version >= 9
        buffer.writeWireErrorCode(topic.errorCode)
        if version >= 12 {
            buffer.writeWireNullableString(topic.name, compact: flexible)
        } else {
            buffer.writeWireString(topic.name ?? "", compact: flexible)
        }
        if version >= 10 {
            buffer.writeWireUUID(topic.topicId)
        }
        if version >= 1 {
            buffer.writeWireBool(topic.isInternal)
        }
        buffer.writeWireArray(topic.partitions, compact: flexible) { buffer, partition in
            buffer.writeWireErrorCode(partition.errorCode)
            buffer.writeInteger(partition.partitionIndex)
            buffer.writeInteger(partition.leaderId)
            if version >= 7 {
                buffer.writeInteger(partition.leaderEpoch)
            }
            buffer.writeWireArray(partition.replicaNodes, compact: flexible) { $0.writeInteger($1) }
            buffer.writeWireArray(partition.isrNodes, compact: flexible) { $0.writeInteger($1) }
            if version >= 5 {
                buffer.writeWireArray(partition.offlineReplicas, compact: flexible) { $0.writeInteger($1) }
            }
            if flexible {
                buffer.writeEmptyTaggedFields()
            }
        }
        if version >= 8 {
            buffer.writeInteger(topic.topicAuthorizedOperations)
        }
        if flexible {
            buffer.writeEmptyTaggedFields()
        }
    }
}
