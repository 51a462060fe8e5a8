import SluiceModel

/// The producer fields of one idempotent batch (producerId >= 0), read from its header while validating.
struct IdempotentBatch: Equatable {
    var producerId: Int64
    var producerEpoch: Int16
    var firstSequence: Int32
    var lastSequence: Int32
    /// Attributes bit 4: the batch belongs to a transaction, which stays open on this partition until a marker.
    var isTransactional: Bool

    /// `lastOffsetDelta` is the batch's record span minus one; sequences advance by one per record.
    init(
        producerId: Int64, producerEpoch: Int16, baseSequence: Int32, lastOffsetDelta: Int32,
        isTransactional: Bool = false
    ) {
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.firstSequence = baseSequence
        self.lastSequence = Self.sequence(baseSequence, advancedBy: lastOffsetDelta)
        self.isTransactional = isTransactional
    }

    /// Sequences are non-negative Int32s that wrap from Int32.max to 0 (not to Int32.min): that is what Kafka
    /// clients do when a long-lived producer passes 2^31 records on one partition.
    static func sequence(_ sequence: Int32, advancedBy delta: Int32) -> Int32 {
        precondition(sequence >= 0 && delta >= 0, "sequences and deltas are not negative")
        let sum = Int64(sequence) + Int64(delta)
        return Int32(sum > Int64(Int32.max) ? sum - Int64(Int32.max) - 1 : sum)
    }
}

/// Where one of a producer's recent batches landed.
struct ProducerBatchMetadata: Equatable {
    var firstSequence: Int32
    var lastSequence: Int32
    var firstOffset: Offset
    var lastOffset: Offset
}

/// What the log knows about one producer on one partition: its newest epoch and its last batches. After a
/// transaction marker that raised the epoch (the coordinator fenced an older producer) it has no batches yet.
struct ProducerEntry: Equatable {
    /// Kafka clients keep at most 5 batches in flight per partition (max.in.flight.requests.per.connection <= 5
    /// with idempotence), so a retry is always one of the last 5 batches the log took from that producer.
    static let retainedBatchCountMax = 5

    var epoch: Int16
    /// Oldest first, at most `retainedBatchCountMax`; empty only after an epoch-raising marker. Kept in order (a shift of at most 4 elements
    /// per append) so the newest is `batches.last` and snapshots need no ring arithmetic.
    private(set) var batches: [ProducerBatchMetadata]

    init(epoch: Int16, firstBatch: ProducerBatchMetadata) {
        self.epoch = epoch
        self.batches = [firstBatch]
        self.batches.reserveCapacity(Self.retainedBatchCountMax)
    }

    /// Restores an entry from a snapshot (`batches` oldest first), or starts one at a marker (no batches).
    init?(epoch: Int16, batches: [ProducerBatchMetadata]) {
        guard batches.count <= Self.retainedBatchCountMax else { return nil }
        self.epoch = epoch
        self.batches = batches
    }

    /// Nil when the producer has no batch in its current epoch.
    var lastSequence: Int32? { self.batches.last?.lastSequence }

    func duplicate(firstSequence: Int32, lastSequence: Int32) -> ProducerBatchMetadata? {
        self.batches.first { $0.firstSequence == firstSequence && $0.lastSequence == lastSequence }
    }

    mutating func append(_ batch: ProducerBatchMetadata, epoch: Int16) {
        if epoch != self.epoch {
            // A new epoch starts a new sequence space: older batches can no longer be retried.
            self.epoch = epoch
            self.batches.removeAll(keepingCapacity: true)
        } else if self.batches.count == Self.retainedBatchCountMax {
            self.batches.removeFirst()
        }
        self.batches.append(batch)
    }

    /// A transaction marker with a newer epoch: the producer was fenced and its successor starts at sequence 0.
    mutating func raiseEpoch(to epoch: Int16) {
        guard epoch > self.epoch else { return }
        self.epoch = epoch
        self.batches.removeAll(keepingCapacity: true)
    }
}

/// The verdict on an idempotent batch before it is written.
enum ProducerAppendCheck: Equatable {
    /// Write it, then `record` it.
    case append
    /// A retry of a batch already in the log: write nothing, answer with the original offsets.
    case duplicate(firstOffset: Offset, lastOffset: Offset)
    case rejected(ProducerStateError)
}

/// Per-partition idempotence and transaction state: for each producer id, its epoch and its last 5 batches, and
/// the first offset of each producer's open transaction (what the last stable offset is made of). Not synchronized:
/// it lives in `PartitionLog.State`, so the check and the append that follows it happen under one lock.
///
/// Rules (KIP-98, as Kafka brokers apply them since 2.5):
/// - unknown producer: accept any sequence (its state may have been lost with deleted segments, or this is its
///   first batch here);
/// - older epoch than known: INVALID_PRODUCER_EPOCH (a fenced, zombie producer);
/// - same epoch, same first and last sequence as one of the last 5 batches: a duplicate;
/// - same epoch, first sequence = last sequence + 1 (wrapping to 0 after Int32.max): append;
/// - newer epoch, first sequence 0: append (the producer bumped its epoch and restarted its sequences);
/// - same epoch but no batch in it yet (after an epoch-raising marker): first sequence 0;
/// - anything else: OUT_OF_ORDER_SEQUENCE_NUMBER.
/// Transactions (KIP-98): a non-transactional batch from a producer with an open transaction here is
/// INVALID_TXN_STATE; a marker older than the producer's epoch is INVALID_PRODUCER_EPOCH.
struct ProducerStateTable: Equatable {
    private(set) var producers: [Int64: ProducerEntry] = [:]
    /// Producer id -> the offset of its open transaction's first batch on this partition. Small: one entry per
    /// transaction in flight, removed by its marker.
    private(set) var ongoingTransactions: [Int64: Offset] = [:]

    var count: Int { self.producers.count }

    /// The largest producer id seen on this partition, or -1: the id allocator starts above it.
    var producerIdMax: Int64 { self.producers.keys.max() ?? -1 }

    /// The first offset of the oldest open transaction, or nil: the last stable offset is this or the log end.
    var firstUnstableOffset: Offset? { self.ongoingTransactions.values.min() }

    /// O(1): one dictionary lookup and at most 5 comparisons.
    func check(_ batch: IdempotentBatch) -> ProducerAppendCheck {
        guard let entry = self.producers[batch.producerId] else { return .append }
        if batch.producerEpoch < entry.epoch {
            return .rejected(
                ProducerStateError(
                    code: .invalidProducerEpoch,
                    message: "producer \(batch.producerId) epoch \(batch.producerEpoch) is older than the current "
                        + "epoch \(entry.epoch)"
                )
            )
        }
        if batch.producerEpoch > entry.epoch {
            if batch.firstSequence == 0 { return .append }
            return .rejected(
                ProducerStateError(
                    code: .outOfOrderSequence,
                    message: "producer \(batch.producerId) started epoch \(batch.producerEpoch) at sequence "
                        + "\(batch.firstSequence), not 0"
                )
            )
        }
        if let original = entry.duplicate(firstSequence: batch.firstSequence, lastSequence: batch.lastSequence) {
            return .duplicate(firstOffset: original.firstOffset, lastOffset: original.lastOffset)
        }
        if !batch.isTransactional && self.ongoingTransactions[batch.producerId] != nil {
            return .rejected(
                ProducerStateError(
                    code: .invalidTransactionState,
                    message: "producer \(batch.producerId) sent a non-transactional batch while its transaction is open"
                )
            )
        }
        let expected = entry.lastSequence.map { IdempotentBatch.sequence($0, advancedBy: 1) } ?? 0
        if batch.firstSequence == expected { return .append }
        return .rejected(
            ProducerStateError(
                code: .outOfOrderSequence,
                message: "producer \(batch.producerId) epoch \(batch.producerEpoch) sent sequence "
                    + "\(batch.firstSequence) where \(expected) was expected"
            )
        )
    }

    /// Records a batch written at `firstOffset...lastOffset`: after a successful `check`, and when replaying the
    /// log at open (where batches are taken as they are: they passed the check when they were appended).
    mutating func record(_ batch: IdempotentBatch, firstOffset: Offset, lastOffset: Offset) {
        if batch.isTransactional && self.ongoingTransactions[batch.producerId] == nil {
            self.ongoingTransactions[batch.producerId] = firstOffset
        }
        let metadata = ProducerBatchMetadata(
            firstSequence: batch.firstSequence, lastSequence: batch.lastSequence, firstOffset: firstOffset,
            lastOffset: lastOffset
        )
        if self.producers[batch.producerId] == nil {
            self.producers[batch.producerId] = ProducerEntry(epoch: batch.producerEpoch, firstBatch: metadata)
            return
        }
        // In place (the dictionary's modify accessor), so the entry's array is not copied.
        self.producers[batch.producerId]!.append(metadata, epoch: batch.producerEpoch)
    }

    /// Replaces an entry wholesale (snapshot loading), with the first offset of its open transaction if any.
    mutating func restore(producerId: Int64, entry: ProducerEntry, ongoingTransactionFirstOffset: Offset? = nil) {
        self.producers[producerId] = entry
        self.ongoingTransactions[producerId] = ongoingTransactionFirstOffset
    }

    // MARK: - Transaction markers

    /// Under the lock, before a marker is written: a marker older than the producer's epoch comes from a
    /// coordinator that lost track of a fencing, and is refused.
    func checkMarker(producerId: Int64, producerEpoch: Int16) -> ProducerStateError? {
        guard let entry = self.producers[producerId], producerEpoch < entry.epoch else { return nil }
        return ProducerStateError(
            code: .invalidProducerEpoch,
            message: "marker for producer \(producerId) has epoch \(producerEpoch), older than the current \(entry.epoch)"
        )
    }

    /// Records a marker written at `markerOffset`: closes the producer's open transaction (if any), raises its
    /// epoch when the marker's is newer, and returns the aborted-index entry when an open transaction was aborted.
    mutating func applyMarker(
        producerId: Int64, producerEpoch: Int16, isCommit: Bool, markerOffset: Offset
    ) -> AbortedTransaction? {
        if self.producers[producerId] == nil {
            self.producers[producerId] = ProducerEntry(epoch: producerEpoch, batches: [])
        } else {
            self.producers[producerId]!.raiseEpoch(to: producerEpoch)
        }
        guard let firstOffset = self.ongoingTransactions.removeValue(forKey: producerId), !isCommit else {
            return nil
        }
        return AbortedTransaction(
            producerId: producerId, firstOffset: firstOffset, lastOffset: markerOffset,
            lastStableOffset: self.firstUnstableOffset ?? markerOffset + 1
        )
    }
}

/// Why the log refused an idempotent batch. A struct with an opaque code, like `StorageError`, so new codes do
/// not break callers; the server maps codes to Kafka error codes.
public struct ProducerStateError: Error, Sendable, Equatable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String

        private init(_ name: String) {
            self.name = name
        }

        /// The batch's sequence does not follow the producer's last one; Kafka's OUT_OF_ORDER_SEQUENCE_NUMBER.
        public static let outOfOrderSequence = Code("outOfOrderSequence")
        /// The batch's epoch is older than one the partition has seen; Kafka's INVALID_PRODUCER_EPOCH.
        public static let invalidProducerEpoch = Code("invalidProducerEpoch")
        /// An idempotent batch with a negative sequence or not alone in its append (Kafka's produce v3+ carries
        /// one batch per partition); Kafka's INVALID_RECORD.
        public static let invalidIdempotentBatch = Code("invalidIdempotentBatch")
        /// A non-transactional batch from a producer whose transaction is open on the partition; Kafka's
        /// INVALID_TXN_STATE.
        public static let invalidTransactionState = Code("invalidTransactionState")
        /// A control batch (transaction marker) from a client, or a transactional batch without a producer id:
        /// only the broker writes markers. Kafka's INVALID_RECORD.
        public static let invalidControlBatch = Code("invalidControlBatch")

        public var description: String { self.name }
    }

    public var code: Code
    public var message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(self.code): \(self.message)" }
}
