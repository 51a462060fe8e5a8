import NIOCore

/// The records of one partition in a fetch response. `.external` lets the broker send segment bytes with
/// sendfile: the codec writes the length prefix and the caller supplies the bytes (see `encodeParts`).
public enum FetchRecords: Equatable, Sendable {
    /// No records; written as an empty (not null) records field, which every client reads as "nothing".
    case none
    /// Record batches held in memory (the client's decode gives a slice of the response frame).
    case bytes(ByteBuffer)
    /// `sizeBytes` of record batches the caller will supply, identified by its own `token`.
    case external(token: Int, sizeBytes: Int)

    public var sizeBytes: Int {
        switch self {
        case .none: return 0
        case .bytes(let buffer): return buffer.readableBytes
        case .external(_, let sizeBytes): return sizeBytes
        }
    }
}

/// Fetch (key 1) response, versions 4–12, flexible from 12.
public struct FetchResponse: KafkaResponseMessage {
    public static let apiKey = ApiKey.fetch

    public struct EpochEndOffset: Hashable, Sendable {
        public var epoch: Int32
        public var endOffset: Int64

        public init(epoch: Int32, endOffset: Int64) {
            self.epoch = epoch
            self.endOffset = endOffset
        }
    }

    public struct LeaderIdAndEpoch: Hashable, Sendable {
        public var leaderId: Int32
        public var leaderEpoch: Int32

        public init(leaderId: Int32, leaderEpoch: Int32) {
            self.leaderId = leaderId
            self.leaderEpoch = leaderEpoch
        }
    }

    public struct SnapshotId: Hashable, Sendable {
        public var endOffset: Int64
        public var epoch: Int32

        public init(endOffset: Int64, epoch: Int32) {
            self.endOffset = endOffset
            self.epoch = epoch
        }
    }

    public struct AbortedTransaction: Hashable, Sendable {
        public var producerId: Int64
        public var firstOffset: Int64

        public init(producerId: Int64, firstOffset: Int64) {
            self.producerId = producerId
            self.firstOffset = firstOffset
        }
    }

    public struct Partition: Equatable, Sendable {
        public var partitionIndex: Int32
        public var errorCode: ErrorCode
        public var highWatermark: Int64
        public var lastStableOffset: Int64
        /// v5+.
        public var logStartOffset: Int64
        /// v12+, tagged field 0, written only when set.
        public var divergingEpoch: EpochEndOffset?
        /// v12+, tagged field 1, written only when set.
        public var currentLeader: LeaderIdAndEpoch?
        /// v12+, tagged field 2, written only when set.
        public var snapshotId: SnapshotId?
        public var abortedTransactions: [AbortedTransaction]?
        /// v11+.
        public var preferredReadReplica: Int32
        public var records: FetchRecords

        public init(
            partitionIndex: Int32,
            errorCode: ErrorCode = .none,
            highWatermark: Int64,
            lastStableOffset: Int64 = -1,
            logStartOffset: Int64 = -1,
            divergingEpoch: EpochEndOffset? = nil,
            currentLeader: LeaderIdAndEpoch? = nil,
            snapshotId: SnapshotId? = nil,
            abortedTransactions: [AbortedTransaction]? = nil,
            preferredReadReplica: Int32 = -1,
            records: FetchRecords = .none
        ) {
            self.partitionIndex = partitionIndex
            self.errorCode = errorCode
            self.highWatermark = highWatermark
            self.lastStableOffset = lastStableOffset
            self.logStartOffset = logStartOffset
            self.divergingEpoch = divergingEpoch
            self.currentLeader = currentLeader
            self.snapshotId = snapshotId
            self.abortedTransactions = abortedTransactions
            self.preferredReadReplica = preferredReadReplica
            self.records = records
        }
    }

    public struct Topic: Equatable, Sendable {
        public var topic: String
        public var partitions: [Partition]

        public init(topic: String, partitions: [Partition]) {
            self.topic = topic
            self.partitions = partitions
        }
    }

    public var throttleTimeMs: Int32
    /// v7+; the top-level (session) error.
    public var errorCode: ErrorCode
    /// v7+; 0 means "no session", which is what Sluice always answers.
    public var sessionId: Int32
    public var responses: [Topic]

    public init(throttleTimeMs: Int32 = 0, errorCode: ErrorCode = .none, sessionId: Int32 = 0, responses: [Topic]) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.sessionId = sessionId
        self.responses = responses
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = version >= 12
        self.init(responses: [])
        self.throttleTimeMs = try buffer.readWireInt32("FetchResponse.throttleTimeMs")
        if version >= 7 {
            self.errorCode = try buffer.readWireErrorCode("FetchResponse.errorCode")
            self.sessionId = try buffer.readWireInt32("FetchResponse.sessionId")
        }
        self.responses = try buffer.readWireArray("FetchResponse.responses", compact: flexible) { buffer in
            let name = try buffer.readWireString("FetchResponse.responses.topic", compact: flexible)
            let partitions = try buffer.readWireArray("FetchResponse.partitions", compact: flexible) {
                try Self.readPartition(&$0, version: version)
            }
            if flexible {
                try buffer.readTaggedFields("FetchResponse.responses")
            }
            return Topic(topic: name, partitions: partitions)
        }
        if flexible {
            try buffer.readTaggedFields("FetchResponse")
        }
    }

    private static func readPartition(_ buffer: inout ByteBuffer, version: Int16) throws -> Partition {
        let flexible = version >= 12
        var partition = Partition(
            partitionIndex: try buffer.readWireInt32("FetchResponse.partitions.partitionIndex"),
            errorCode: try buffer.readWireErrorCode("FetchResponse.partitions.errorCode"),
            highWatermark: try buffer.readWireInt64("FetchResponse.partitions.highWatermark"),
            lastStableOffset: try buffer.readWireInt64("FetchResponse.partitions.lastStableOffset")
        )
        if version >= 5 {
            partition.logStartOffset = try buffer.readWireInt64("FetchResponse.partitions.logStartOffset")
        }
        partition.abortedTransactions = try buffer.readWireNullableArray(
            "FetchResponse.abortedTransactions", compact: flexible
        ) { buffer in
            let aborted = AbortedTransaction(
                producerId: try buffer.readWireInt64("FetchResponse.abortedTransactions.producerId"),
                firstOffset: try buffer.readWireInt64("FetchResponse.abortedTransactions.firstOffset")
            )
            if flexible {
                try buffer.readTaggedFields("FetchResponse.abortedTransactions")
            }
            return aborted
        }
        if version >= 11 {
            partition.preferredReadReplica = try buffer.readWireInt32("FetchResponse.partitions.preferredReadReplica")
        }
        if let records = try buffer.readWireNullableBytes("FetchResponse.partitions.records", compact: flexible),
            records.readableBytes > 0
        {
            partition.records = .bytes(records)
        }
        if flexible {
            try buffer.readTaggedFields("FetchResponse.partitions") { tag, value in
                switch tag {
                case 0:
                    partition.divergingEpoch = EpochEndOffset(
                        epoch: try value.readWireInt32("FetchResponse.divergingEpoch.epoch"),
                        endOffset: try value.readWireInt64("FetchResponse.divergingEpoch.endOffset")
                    )
                    try value.readTaggedFields("FetchResponse.divergingEpoch")
                case 1:
                    partition.currentLeader = LeaderIdAndEpoch(
                        leaderId: try value.readWireInt32("FetchResponse.currentLeader.leaderId"),
                        leaderEpoch: try value.readWireInt32("FetchResponse.currentLeader.leaderEpoch")
                    )
                    try value.readTaggedFields("FetchResponse.currentLeader")
                case 2:
                    partition.snapshotId = SnapshotId(
                        endOffset: try value.readWireInt64("FetchResponse.snapshotId.endOffset"),
                        epoch: try value.readWireInt32("FetchResponse.snapshotId.epoch")
                    )
                    try value.readTaggedFields("FetchResponse.snapshotId")
                default:
                    break
                }
            }
        }
        return partition
    }

    /// Encodes the whole body. Records must be `.none` or `.bytes`; `.external` needs `encodeParts`.
    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        self.encodeBody(into: &buffer, version: version) { _, _, _ in
            preconditionFailure("FetchRecords.external can only be encoded with FetchResponse.encodeParts")
        }
    }

    /// Writes the body; for each `.external` records field the length prefix is written, then
    /// `external(&buffer, token, sizeBytes)` is called and may replace `buffer` to start a new part.
    func encodeBody(
        into buffer: inout ByteBuffer,
        version: Int16,
        external: (_ buffer: inout ByteBuffer, _ token: Int, _ sizeBytes: Int) -> Void
    ) {
        let flexible = version >= 12
        buffer.writeInteger(self.throttleTimeMs)
        if version >= 7 {
            buffer.writeWireErrorCode(self.errorCode)
            buffer.writeInteger(self.sessionId)
        }
        buffer.writeWireArray(self.responses, compact: flexible) { buffer, topic in
            buffer.writeWireString(topic.topic, compact: flexible)
            buffer.writeWireArray(topic.partitions, compact: flexible) { buffer, partition in
                Self.writePartition(partition, into: &buffer, version: version, external: external)
            }
            if flexible {
                buffer.writeEmptyTaggedFields()
            }
        }
        if flexible {
            buffer.writeEmptyTaggedFields()
        }
    }

    private static func writePartition(
        _ partition: Partition,
        into buffer: inout ByteBuffer,
        version: Int16,
        external: (_ buffer: inout ByteBuffer, _ token: Int, _ sizeBytes: Int) -> Void
    ) {
        let flexible = version >= 12
        buffer.writeInteger(partition.partitionIndex)
        buffer.writeWireErrorCode(partition.errorCode)
        buffer.writeInteger(partition.highWatermark)
        buffer.writeInteger(partition.lastStableOffset)
        if version >= 5 {
            buffer.writeInteger(partition.logStartOffset)
        }
        buffer.writeWireNullableArray(partition.abortedTransactions, compact: flexible) { buffer, aborted in
            buffer.writeInteger(aborted.producerId)
            buffer.writeInteger(aborted.firstOffset)
            if flexible {
                buffer.writeEmptyTaggedFields()
            }
        }
        if version >= 11 {
            buffer.writeInteger(partition.preferredReadReplica)
        }
        switch partition.records {
        case .none:
            buffer.writeWireBytesLength(0, compact: flexible)
        case .bytes(let records):
            buffer.writeWireBytes(records, compact: flexible)
        case .external(let token, let sizeBytes):
            buffer.writeWireBytesLength(sizeBytes, compact: flexible)
            external(&buffer, token, sizeBytes)
        }
        if flexible {
            Self.writePartitionTaggedFields(partition, into: &buffer)
        }
    }

    private static func writePartitionTaggedFields(_ partition: Partition, into buffer: inout ByteBuffer) {
        guard partition.divergingEpoch != nil || partition.currentLeader != nil || partition.snapshotId != nil else {
            buffer.writeEmptyTaggedFields()
            return
        }
        var tagged: [(tag: UInt32, value: ByteBuffer)] = []
        if let diverging = partition.divergingEpoch {
            tagged.append((0, .taggedValue {
                $0.writeInteger(diverging.epoch)
                $0.writeInteger(diverging.endOffset)
                $0.writeEmptyTaggedFields()
            }))
        }
        if let leader = partition.currentLeader {
            tagged.append((1, .taggedValue {
                $0.writeInteger(leader.leaderId)
                $0.writeInteger(leader.leaderEpoch)
                $0.writeEmptyTaggedFields()
            }))
        }
        if let snapshot = partition.snapshotId {
            tagged.append((2, .taggedValue {
                $0.writeInteger(snapshot.endOffset)
                $0.writeInteger(snapshot.epoch)
                $0.writeEmptyTaggedFields()
            }))
        }
        buffer.writeTaggedFields(tagged)
    }
}
