import LogStore
import RecordFormat
import SluiceModel
import Synchronization

/// Kafka's error codes that transaction requests answer, mapped 1:1 by the server.
public enum TransactionErrorCode: Int16, Sendable {
    case none = 0
    case unknownTopicOrPartition = 3
    case offsetMetadataTooLarge = 12
    case coordinatorNotAvailable = 15
    case invalidRequest = 42
    case invalidProducerEpoch = 47
    case invalidTxnState = 48
    case invalidProducerIdMapping = 49
    case invalidTransactionTimeout = 50
    case concurrentTransactions = 51
    case operationNotAttempted = 55
}

/// Limits and the state log's settings.
public struct TransactionCoordinatorConfiguration: Sendable {
    public var topicName = "__transaction_state"
    /// The state log: fsync as the broker's data (a decision must be durable before its markers), and no
    /// retention: an id's newest record may be old, and replay must still find it (compaction will bound it).
    public var logConfig: LogConfig = {
        var config = LogConfig()
        config.retentionMs = nil
        config.retentionSizeBytes = nil
        return config
    }()
    /// Kafka's `transaction.max.timeout.ms`: a longer `transaction.timeout.ms` is INVALID_TRANSACTION_TIMEOUT.
    public var transactionTimeoutMsMax: Int32 = 900_000
    public var transactionalIdsMax = 100_000
    public var partitionsPerTransactionMax = 10_000
    public var groupsPerTransactionMax = 100
    public var pendingOffsetsPerTransactionMax = 100_000

    public init() {}
}

/// The transaction coordinator of a single broker (`Docs/decisions/0004-transactions.md`): transactional ids,
/// their producer ids and epochs, the partitions and groups of each open transaction, the two-phase end
/// (a durable Prepare* record, then a marker on every partition and the offsets, then Complete*), timeouts,
/// and the state log `__transaction_state`, replayed at start.
///
/// Thread-safe: one `Mutex` over every id (requests are short; marker appends take each partition's own lock,
/// which never calls back here). Answers go through completions, called once the writes they depend on are
/// durable under the logs' fsync policy (on a flusher queue under `always`), never with the lock held.
public final class TransactionCoordinator: Sendable {
    struct State {
        var transactions: [String: TransactionMetadata] = [:]
        var transactionalIdByProducer: [Int64: String] = [:]
        /// Monotonic start of each Ongoing transaction, for the timeout.
        var startedNsById: [String: UInt64] = [:]
        /// Ids whose completion (markers, offsets, Complete record) is under way.
        var completing: Set<String> = []
    }

    /// The coordinator epoch written in markers: one coordinator per broker, never moved.
    static let coordinatorEpoch: Int32 = 0

    let logs: LogManager
    let stateLog: PartitionLog
    let offsetStore: OffsetStore
    let producerIds: ProducerIdAllocator
    let clock: SluiceClock
    public let configuration: TransactionCoordinatorConfiguration
    let onEvent: @Sendable (String) -> Void
    let state: Mutex<State>

    /// Opens (creating if needed) the state log and replays it. A transaction found Prepare* is completed; one
    /// found Ongoing is aborted with its epoch bumped (its pending offsets were never durable, and the producer,
    /// if it is still alive, learns it is fenced on its next request).
    public init(
        logs: LogManager, offsetStore: OffsetStore, producerIds: ProducerIdAllocator, clock: SluiceClock,
        configuration: TransactionCoordinatorConfiguration = TransactionCoordinatorConfiguration(),
        onEvent: @escaping @Sendable (String) -> Void = { _ in }
    ) throws(GroupCoordinatorError) {
        self.logs = logs
        self.offsetStore = offsetStore
        self.producerIds = producerIds
        self.clock = clock
        self.configuration = configuration
        self.onEvent = onEvent
        guard configuration.logConfig.retentionMs == nil, configuration.logConfig.retentionSizeBytes == nil else {
            throw GroupCoordinatorError(code: .invalidConfiguration, message: "the transaction log must not expire")
        }
        do {
            if logs.topic(configuration.topicName) == nil {
                try logs.createInternalTopic(configuration.topicName, partitionCount: 1, config: configuration.logConfig)
            }
        } catch {
            throw GroupCoordinatorError(code: .storageFailure, message: "creating \(configuration.topicName): \(error)")
        }
        guard let log = logs.partition(TopicPartition(topic: configuration.topicName, partition: PartitionID(0))) else {
            throw GroupCoordinatorError(code: .storageFailure, message: "\(configuration.topicName) has no partition 0")
        }
        self.stateLog = log
        var state = State()
        try OffsetStore.forEachRecord(in: log) { record in
            guard let key = record.key, let value = record.value,
                  let metadata = TransactionRecordCodec.parse(key: key, value: value)
            else { return }
            state.transactions[metadata.transactionalId] = metadata
        }
        for metadata in state.transactions.values {
            state.transactionalIdByProducer[metadata.producerId] = metadata.transactionalId
        }
        self.state = Mutex(state)
        self.recoverUnfinishedTransactions()
    }

    /// How many transactional ids the coordinator knows.
    public var transactionalIdCount: Int { self.state.withLock { $0.transactions.count } }

    /// The state of `transactionalId`, or nil when unknown.
    public func metadata(of transactionalId: String) -> TransactionMetadata? {
        self.state.withLock { $0.transactions[transactionalId] }
    }

    // MARK: - Queries for the other request paths

    /// Whether a transactional batch of `producerId` at `producerEpoch` may go to `topicPartition`: its
    /// transaction is Ongoing and the partition was added (Kafka 3.6+'s verification), so every batch the log
    /// takes belongs to a transaction whose end will reach that partition.
    public func isPartitionInTransaction(producerId: Int64, producerEpoch: Int16, _ topicPartition: TopicPartition)
        -> Bool
    {
        self.state.withLock { state in
            guard let id = state.transactionalIdByProducer[producerId], let metadata = state.transactions[id] else {
                return false
            }
            return metadata.state == .ongoing && metadata.producerEpoch == producerEpoch
                && metadata.partitions.contains(topicPartition)
        }
    }

    /// Runs `body` (the append of a transactional batch) under the coordinator's lock when the partition is in
    /// the producer's Ongoing transaction at that epoch; nil (and `body` not run) otherwise. Markers are written
    /// under the same lock, so a batch that passes the check lands before the transaction's marker.
    public func whileInTransaction<Value>(
        producerId: Int64, producerEpoch: Int16, _ topicPartition: TopicPartition, _ body: () -> Value
    ) -> Value? {
        self.state.withLock { state -> Value? in
            guard let id = state.transactionalIdByProducer[producerId], let metadata = state.transactions[id],
                  metadata.state == .ongoing, metadata.producerEpoch == producerEpoch,
                  metadata.partitions.contains(topicPartition), !state.completing.contains(id)
            else { return nil }
            return body()
        }
    }

    /// Whether a transaction not yet complete carries an offset of `groupId` for `topicPartition` (OffsetFetch
    /// with `require_stable` then answers UNSTABLE_OFFSET_COMMIT). A scan of the ids (bounded by
    /// `transactionalIdsMax`); OffsetFetch with require_stable is rare enough (consumer start, rebalance).
    public func hasPendingOffset(groupId: String, _ topicPartition: TopicPartition) -> Bool {
        self.state.withLock { state in
            state.transactions.values.contains { $0.pendingOffsets[groupId]?[topicPartition] != nil }
        }
    }

    // MARK: - Writing

    /// A set of appends an answer must wait for.
    struct Writes: Sendable {
        var waits: [(log: PartitionLog, endOffset: Offset)] = []
        var offsetDurabilities: [OffsetDurability] = []

        mutating func add(_ log: PartitionLog, _ result: AppendResult) {
            self.waits.append((log, result.lastOffset + 1))
        }

        mutating func add(_ durability: OffsetDurability) {
            self.offsetDurabilities.append(durability)
        }

        /// Calls `completion(true)` once every write is durable under its log's policy (at once when none
        /// waits for an fsync), `false` when one failed.
        func whenDurable(_ completion: @escaping @Sendable (Bool) -> Void) {
            let fsynced = self.waits.filter { $0.log.config.fsyncPolicy == .always }
            let total = fsynced.count + self.offsetDurabilities.count
            guard total > 0 else {
                completion(true)
                return
            }
            let remaining = Atomic<Int>(total)
            let failed = Atomic<Bool>(false)
            let countDown: @Sendable (Bool) -> Void = { ok in
                if !ok { failed.store(true, ordering: .relaxed) }
                if remaining.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 {
                    completion(!failed.load(ordering: .acquiring))
                }
            }
            for wait in fsynced {
                wait.log.whenDurable(upTo: wait.endOffset) { result in
                    if case .failure = result { countDown(false) } else { countDown(true) }
                }
            }
            for durability in self.offsetDurabilities {
                durability.whenDurable { result in
                    if case .failure = result { countDown(false) } else { countDown(true) }
                }
            }
        }
    }

    /// Appends `metadata` to the state log and makes it current. Called with the lock held.
    func persist(_ metadata: TransactionMetadata, in state: inout State, writes: inout Writes) throws(GroupCoordinatorError) {
        var builder = RecordBatchBuilder()
        let bytes: [UInt8]
        do {
            try builder.append(
                timestampMs: self.clock.wallTimeMs(), key: TransactionRecordCodec.key(transactionalId: metadata.transactionalId),
                value: TransactionRecordCodec.value(metadata)
            )
            bytes = try builder.finish()
        } catch {
            throw GroupCoordinatorError(code: .tooLarge, message: "transaction record too large: \(error)")
        }
        do {
            let result = try bytes.withUnsafeBytes { try self.stateLog.appendInternal($0) }
            writes.add(self.stateLog, result)
        } catch {
            throw GroupCoordinatorError(code: .storageFailure, message: "\(self.configuration.topicName) append failed: \(error)")
        }
        if let previous = state.transactions[metadata.transactionalId], previous.producerId != metadata.producerId {
            state.transactionalIdByProducer.removeValue(forKey: previous.producerId)
        }
        state.transactions[metadata.transactionalId] = metadata
        state.transactionalIdByProducer[metadata.producerId] = metadata.transactionalId
    }

    /// Writes a marker for `metadata`'s producer (at `producerEpoch`) on each of its partitions. A partition whose
    /// topic was deleted is skipped; an append that fails is reported and makes the whole step fail, so the
    /// Prepare* state stays and the timer tries again.
    func writeMarkers(
        for metadata: TransactionMetadata, producerEpoch: Int16, commit: Bool, writes: inout Writes
    ) -> Bool {
        let marker = ControlBatch(
            type: commit ? .commit : .abort, producerId: metadata.producerId, producerEpoch: producerEpoch,
            coordinatorEpoch: Self.coordinatorEpoch
        )
        var isComplete = true
        for topicPartition in metadata.partitions.sorted(by: { ($0.topic, $0.partition.rawValue) < ($1.topic, $1.partition.rawValue) }) {
            guard let log = self.logs.partition(topicPartition) else { continue }
            do {
                writes.add(log, try log.appendTransactionMarker(marker, timestampMs: self.clock.wallTimeMs()))
            } catch {
                isComplete = false
                self.onEvent(
                    "transaction \(metadata.transactionalId): \(commit ? "commit" : "abort") marker on \(topicPartition) failed: \(error)"
                )
            }
        }
        return isComplete
    }

    /// The epoch a fencing abort uses, or nil when the epoch is exhausted (a new producer id is then needed).
    static func bumpedEpoch(_ epoch: Int16) -> Int16? {
        epoch < Int16.max - 1 ? epoch + 1 : nil
    }
}
