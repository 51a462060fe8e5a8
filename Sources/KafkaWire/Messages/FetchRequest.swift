import NIOCore

/// Fetch (key 1) request, versions 4–12, flexible from 12. Sluice does not implement fetch sessions but
/// reads their fields (the broker answers with session id 0, which tells the client sessions are off).
public struct FetchRequest: KafkaRequestMessage {
    public typealias Response = FetchResponse
    public static let apiKey = ApiKey.fetch

    public struct Partition: Hashable, Sendable {
        public var partition: Int32
        /// v9+.
        public var currentLeaderEpoch: Int32
        public var fetchOffset: Int64
        /// v12+.
        public var lastFetchedEpoch: Int32
        /// v5+; only followers send it.
        public var logStartOffset: Int64
        public var partitionMaxBytes: Int32

        public init(
            partition: Int32,
            currentLeaderEpoch: Int32 = -1,
            fetchOffset: Int64,
            lastFetchedEpoch: Int32 = -1,
            logStartOffset: Int64 = -1,
            partitionMaxBytes: Int32
        ) {
            self.partition = partition
            self.currentLeaderEpoch = currentLeaderEpoch
            self.fetchOffset = fetchOffset
            self.lastFetchedEpoch = lastFetchedEpoch
            self.logStartOffset = logStartOffset
            self.partitionMaxBytes = partitionMaxBytes
        }
    }

    public struct Topic: Hashable, Sendable {
        public var topic: String
        public var partitions: [Partition]

        public init(topic: String, partitions: [Partition]) {
            self.topic = topic
            self.partitions = partitions
        }
    }

    public struct ForgottenTopic: Hashable, Sendable {
        public var topic: String
        public var partitions: [Int32]

        public init(topic: String, partitions: [Int32]) {
            self.topic = topic
            self.partitions = partitions
        }
    }

    /// v12+, tagged field 0.
    public var clusterId: String?
    /// -1 for consumers.
    public var replicaId: Int32
    public var maxWaitMs: Int32
    public var minBytes: Int32
    public var maxBytes: Int32
    /// 0 read uncommitted, 1 read committed.
    public var isolationLevel: Int8
    /// v7+.
    public var sessionId: Int32
    /// v7+.
    public var sessionEpoch: Int32
    public var topics: [Topic]
    /// v7+.
    public var forgottenTopicsData: [ForgottenTopic]
    /// v11+.
    public var rackId: String

    public init(
        clusterId: String? = nil,
        replicaId: Int32 = -1,
        maxWaitMs: Int32,
        minBytes: Int32,
        maxBytes: Int32 = Int32.max,
        isolationLevel: Int8 = 0,
        sessionId: Int32 = 0,
        sessionEpoch: Int32 = -1,
        topics: [Topic],
        forgottenTopicsData: [ForgottenTopic] = [],
        rackId: String = ""
    ) {
        self.clusterId = clusterId
        self.replicaId = replicaId
        self.maxWaitMs = maxWaitMs
        self.minBytes = minBytes
        self.maxBytes = maxBytes
        self.isolationLevel = isolationLevel
        self.sessionId = sessionId
        self.sessionEpoch = sessionEpoch
        self.topics = topics
        self.forgottenTopicsData = forgottenTopicsData
        self.rackId = rackId
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = version >= 12
        self.init(maxWaitMs: 0, minBytes: 0, topics: [])
        self.replicaId = try buffer.readWireInt32("FetchRequest.replicaId")
        self.maxWaitMs = try buffer.readWireInt32("FetchRequest.maxWaitMs")
        self.minBytes = try buffer.readWireInt32("FetchRequest.minBytes")
        self.maxBytes = try buffer.readWireInt32("FetchRequest.maxBytes")
        self.isolationLevel = try buffer.readWireInt8("FetchRequest.isolationLevel")
        if version >= 7 {
            self.sessionId = try buffer.readWireInt32("FetchRequest.sessionId")
            self.sessionEpoch = try buffer.readWireInt32("FetchRequest.sessionEpoch")
        }
        self.topics = try buffer.readWireArray("FetchRequest.topics", compact: flexible) { buffer in
            let name = try buffer.readWireString("FetchRequest.topics.topic", compact: flexible)
            let partitions = try buffer.readWireArray("FetchRequest.partitions", compact: flexible) { buffer in
                var partition = Partition(partition: try buffer.readWireInt32("FetchRequest.partitions.partition"),
                                          fetchOffset: 0, partitionMaxBytes: 0)
                if version >= 9 {
                    partition.currentLeaderEpoch = try buffer.readWireInt32("FetchRequest.partitions.currentLeaderEpoch")
                }
                partition.fetchOffset = try buffer.readWireInt64("FetchRequest.partitions.fetchOffset")
                if version >= 12 {
                    partition.lastFetchedEpoch = try buffer.readWireInt32("FetchRequest.partitions.lastFetchedEpoch")
                }
                if version >= 5 {
                    partition.logStartOffset = try buffer.readWireInt64("FetchRequest.partitions.logStartOffset")
                }
                partition.partitionMaxBytes = try buffer.readWireInt32("FetchRequest.partitions.partitionMaxBytes")
                if flexible {
                    try buffer.readTaggedFields("FetchRequest.partitions")
                }
                return partition
            }
            if flexible {
                try buffer.readTaggedFields("FetchRequest.topics")
            }
            return Topic(topic: name, partitions: partitions)
        }
        if version >= 7 {
            self.forgottenTopicsData = try buffer.readWireArray("FetchRequest.forgottenTopicsData", compact: flexible) {
                let forgotten = ForgottenTopic(
                    topic: try $0.readWireString("FetchRequest.forgottenTopicsData.topic", compact: flexible),
                    partitions: try $0.readWireArray("FetchRequest.forgottenTopicsData.partitions", compact: flexible) {
                        try $0.readWireInt32("FetchRequest.forgottenTopicsData.partitions")
                    }
                )
                if flexible {
                    try $0.readTaggedFields("FetchRequest.forgottenTopicsData")
                }
                return forgotten
            }
        }
        if version >= 11 {
            self.rackId = try buffer.readWireString("FetchRequest.rackId", compact: flexible)
        }
        if flexible {
            try buffer.readTaggedFields("FetchRequest") { tag, value in
                if tag == 0 {
                    self.clusterId = try value.readWireNullableString("FetchRequest.clusterId", compact: true)
                }
            }
        }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = version >= 12
        buffer.writeInteger(self.replicaId)
        buffer.writeInteger(self.maxWaitMs)
        buffer.writeInteger(self.minBytes)
        buffer.writeInteger(self.maxBytes)
        buffer.writeInteger(self.isolationLevel)
        if version >= 7 {
            buffer.writeInteger(self.sessionId)
            buffer.writeInteger(self.sessionEpoch)
        }
        buffer.writeWireArray(self.topics, compact: flexible) { buffer, topic in
            buffer.writeWireString(topic.topic, compact: flexible)
            buffer.writeWireArray(topic.partitions, compact: flexible) { buffer, partition in
                buffer.writeInteger(partition.partition)
                if version >= 9 {
                    buffer.writeInteger(partition.currentLeaderEpoch)
                }
                buffer.writeInteger(partition.fetchOffset)
                if version >= 12 {
                    buffer.writeInteger(partition.lastFetchedEpoch)
                }
                if version >= 5 {
                    buffer.writeInteger(partition.logStartOffset)
                }
                buffer.writeInteger(partition.partitionMaxBytes)
                if flexible {
                    buffer.writeEmptyTaggedFields()
                }
            }
            if flexible {
                buffer.writeEmptyTaggedFields()
            }
        }
        if version >= 7 {
            buffer.writeWireArray(self.forgottenTopicsData, compact: flexible) { buffer, forgotten in
                buffer.writeWireString(forgotten.topic, compact: flexible)
                buffer.writeWireArray(forgotten.partitions, compact: flexible) { $0.writeInteger($1) }
                if flexible {
                    buffer.writeEmptyTaggedFields()
                }
            }
        }
        if version >= 11 {
            buffer.writeWireString(self.rackId, compact: flexible)
        }
        if flexible {
            if let clusterId = self.clusterId {
                buffer.writeTaggedFields([(0, .taggedValue { $0.writeWireString(clusterId, compact: true) })])
            } else {
                buffer.writeEmptyTaggedFields()
            }
        }
    }
}
