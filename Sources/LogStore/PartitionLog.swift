import RecordFormat
import SluiceModel
import Synchronization

/// The log of one topic-partition: an ordered list of segments in `<data>/topics/<topic>/<partition>/`,
/// the last of which takes appends.
///
/// Contract:
/// - Appends are serialized by one mutex. An append validates every batch (outside the lock), stamps base
///   offsets, and writes all of its batches with one positional write; when it returns, the bytes are in
///   the page cache and visible to readers, not necessarily on disk.
/// - Durability is requested with `whenDurable`; the flusher (`Flusher`) fsyncs on its own queue, outside the
///   lock, and one fsync answers every waiter whose offset it covers (group commit). Completions run on the
///   flusher's queue: they should hand work off (e.g. to an event loop) rather than do it there.
/// - `onEvent` is never called with the lock held, but must not block for long either.
/// - Reads hold the lock only to find a file position; the file scan happens outside it, on a reference-counted
///   descriptor that survives the segment's deletion.
/// - Damaged bytes (found by recovery, a read's once-per-start CRC check or the scrubber) are fenced: kept on
///   disk, never served, answered with `corruptMessage`; the batches around them stay readable and nothing is
///   cut but the active segment's unsynced tail (`Segment+Fences.swift`, `PartitionLog+Fences.swift`).
/// - A failed fsync or an unremovable partial write puts the log into a failed state: appends and waits fail
///   from then on (after fsync fails, what the page cache holds is unknown), reads still work.
/// - A full disk does not: a write that fails with ENOSPC is cut back to the last whole batch, a roll that
///   cannot create the next segment leaves the sealed one last, and the append fails with `diskFull`; the
///   next append tries again, so writes resume by themselves once space is freed (`Docs/durability.md`).
/// - Idempotent producers' batches (producerId >= 0) are checked against the partition's producer state under
///   the same lock hold as their write: a retry of one of the producer's last 5 batches is answered with the
///   original offsets and not written (`PartitionLog+ProducerState.swift`, `Docs/idempotence.md`).
/// - Transactional batches open a transaction that holds the last stable offset back until the broker writes its
///   marker (`appendTransactionMarker`); clients cannot write control batches. `read_committed` reads stop at the
///   last stable offset and carry the aborted transactions they overlap (`PartitionLog+Transactions.swift`).
public final class PartitionLog: @unchecked Sendable {
    // @unchecked: mutable state lives in `state` (a Mutex) or in atomics; the rest is immutable.

    struct DurabilityWaiter {
        var endOffset: Offset
        var completion: @Sendable (Result<Void, StorageError>) -> Void
    }

    struct State {
        /// Sorted by base offset; the last one is active. Never empty.
        var segments: [Segment]
        var durableOffset: Offset
        var waiters: [DurabilityWaiter] = []
        var isFlushScheduled = false
        var lastFlushMonotonicNs: UInt64
        var failure: StorageError?
        var isClosed = false
        /// Idempotent producers' epochs and last batches (`PartitionLog+ProducerState.swift`).
        var producers: ProducerStateTable
        /// Aborted transactions of every segment, by marker offset (`PartitionLog+Transactions.swift`).
        var abortedTransactions: AbortedTransactionIndex
        /// Where appended batches are copied to stamp their offsets (the caller's buffer is read-only).
        var scratch = UnsafeMutableRawBufferPointer(start: nil, count: 0)
        /// Where DeleteRecords moved the log start (`PartitionLog+DeleteRecords.swift`); zero when it never did.
        var deletedBeforeOffset: Offset = .zero

        var activeSegment: Segment { self.segments[self.segments.count - 1] }
        /// The first offset served: the first segment's base, or later when DeleteRecords moved it inside it.
        var logStartOffset: Offset { max(self.deletedBeforeOffset, self.segments[0].baseOffset) }
    }

    typealias AppendListener = @Sendable (Offset) -> Void

    struct AppendListeners {
        var nextIdentifier: UInt64 = 0
        var byIdentifier: [UInt64: AppendListener] = [:]
        /// `byIdentifier`'s values, rebuilt on (rare) changes so that notifying after each append only retains
        /// an array instead of building one.
        var snapshot: [AppendListener] = []
    }

    /// Appends larger than this use a scratch buffer that is freed afterwards, so that one huge request does
    /// not pin its size in memory for every partition it touched.
    static let scratchRetainedBytesMax = 8 * 1024 * 1024

    public let topicPartition: TopicPartition
    /// The topic's settings; replaced whole when its configs change (`updateConfig`), read once per operation.
    private let liveConfig: Mutex<LogConfig>
    public var config: LogConfig { self.liveConfig.withLock { $0 } }
    let directory: String
    let clock: SluiceClock
    let fileIO: FileIO
    let flusher: Flusher
    let onEvent: StorageEventHandler
    /// The data directory's free-space floor and refusal accounting; nil only for logs opened without a manager.
    let diskSpaceGuard: DiskSpaceGuard?
    /// Damage found (corrupt batches, unreadable state): the executable logs these at error level.
    let onError: StorageEventHandler
    let state: Mutex<State>
    private let logStartOffsetValue = Atomic<Int64>(0)
    private let logEndOffsetValue = Atomic<Int64>(0)
    private let listeners = Mutex(AppendListeners())
    /// Totals since this log was opened, for metrics (`PartitionLog+Stats.swift`).
    let appendedRecordsCount = Atomic<Int64>(0)
    let appendedBytesCount = Atomic<Int64>(0)
    /// Damaged ranges fenced off since this log was opened, by recovery, reads and the scrubber.
    let fencedRangesCount = Atomic<Int64>(0)

    public var logStartOffset: Offset { Offset(self.logStartOffsetValue.load(ordering: .acquiring)) }
    /// The next offset to be assigned; also the high watermark (a single node commits what it appends).
    public var logEndOffset: Offset { Offset(self.logEndOffsetValue.load(ordering: .acquiring)) }

    /// Opens the partition directory (creating it and a first segment when empty) and recovers it: see
    /// `PartitionLog+Open.swift`. `recoveryPoint` is the checkpointed offset below which data was synced.
    init(
        topicPartition: TopicPartition, directory: String, config: LogConfig, clock: SluiceClock, fileIO: FileIO,
        flusher: Flusher, recoveryPoint: Offset?, wasCleanShutdown: Bool, diskSpaceGuard: DiskSpaceGuard? = nil,
        onEvent: @escaping StorageEventHandler, onError: StorageEventHandler? = nil
    ) throws(StorageError) {
        self.topicPartition = topicPartition
        self.liveConfig = Mutex(config)
        self.directory = directory
        self.clock = clock
        self.fileIO = fileIO
        self.flusher = flusher
        self.onEvent = onEvent
        self.diskSpaceGuard = diskSpaceGuard
        let onErrorHandler = onError ?? onEvent
        self.onError = onErrorHandler
        let (segments, fenceCount) = try Self.openSegments(
            directory: directory, topicPartition: topicPartition, config: config, fileIO: fileIO,
            scanFromOffset: wasCleanShutdown ? nil : (recoveryPoint ?? .zero), durableOffset: recoveryPoint,
            onEvent: onEvent, onError: onErrorHandler
        )
        let endOffset = segments[segments.count - 1].nextOffset
        let (producers, abortedTransactions) = try Self.loadProducerState(
            directory: directory, segments: segments, topicPartition: topicPartition, fileIO: fileIO,
            onEvent: onEvent, onError: onErrorHandler
        )
        var state = State(
            segments: segments, durableOffset: endOffset, lastFlushMonotonicNs: clock.monotonicNs(),
            producers: producers, abortedTransactions: abortedTransactions
        )
        if let stored = LogStartOffsetFile.read(directory: directory, fileIO: fileIO, onError: onErrorHandler) {
            state.deletedBeforeOffset = min(stored, endOffset)
        }
        let logStartOffset = state.logStartOffset
        self.state = Mutex(state)
        self.fencedRangesCount.store(Int64(fenceCount), ordering: .relaxed)
        self.publishOffsets(logStartOffset: logStartOffset, logEndOffset: endOffset)
    }

    deinit {
        self.state.withLock { state in
            state.scratch.deallocate()
        }
    }

    /// Validates each batch in `batches` (one or more concatenated v2 batches), stamps base offsets, writes
    /// them and indexes them. Throws `RecordFormatError` for a corrupt batch, `StorageError` with code
    /// `recordBatchTooLarge` for an oversized one, `ProducerStateError` for an idempotent batch out of sequence
    /// or of a fenced epoch, and other `StorageError`s for storage failures. On error nothing of the request is
    /// in the log. An idempotent producer's retry of one of its last 5 batches writes nothing and returns the
    /// original offsets with `isDuplicate` set. The producer check and the write happen under one lock hold.
    /// Below the data directory's free-space floor, appends to ordinary topics fail with `diskFull` before
    /// the lock is taken (`DiskSpaceGuard`).
    ///
    /// Refuses (`internalTopic`) a topic that belongs to the broker: those take `appendInternal` only.
    public func append(_ batches: UnsafeRawBufferPointer) throws -> AppendResult {
        guard !self.isInternal else {
            throw StorageError(
                code: .internalTopic, message: "\(self.topicPartition.topic) is internal: only the broker appends to it"
            )
        }
        return try self.appendAny(batches)
    }

    /// Takes the topic's new settings: the next append, roll and retention pass use them.
    func updateConfig(_ config: LogConfig) {
        self.liveConfig.withLock { $0 = config }
    }

    /// `allowingControlBatch`: only `appendTransactionMarker` writes control batches.
    func appendAny(_ batches: UnsafeRawBufferPointer, allowingControlBatch: Bool = false) throws -> AppendResult {
        let config = self.config
        let nowMs = self.clock.wallTimeMs()
        let validated = try Self.validate(
            batches, batchSizeBytesMax: config.batchSizeBytesMax, timestampPolicy: config.timestampPolicy, nowMs: nowMs,
            allowingControlBatch: allowingControlBatch
        )
        try self.diskSpaceGuard?.checkRoom(for: self.topicPartition, sizeBytes: batches.count)
        let offsetSpan = validated.offsetSpan
        let nowNs = self.clock.monotonicNs()
        var rolledToOffset: Offset?
        var snapshotProblem: String?
        let outcome: ProducerCheckedAppend
        do {
            outcome = try self.lockedAppend(
                batches, validated: validated, config: config, nowNs: nowNs, nowMs: nowMs,
                rolledToOffset: &rolledToOffset, snapshotProblem: &snapshotProblem
            )
        } catch {
            self.reportFailedAppend(error)
            throw error
        }
        if let rolledToOffset {
            self.onEvent("\(self.topicPartition): rolled to a new segment at offset \(rolledToOffset)")
        }
        if let snapshotProblem { self.onEvent(snapshotProblem) }
        switch outcome {
        case .appended(let result):
            self.countAppend(records: offsetSpan, bytes: batches.count)
            self.diskSpaceGuard?.recordAppend(sizeBytes: batches.count)
            self.notifyListeners(newLogEndOffset: result.lastOffset + 1)
            return result
        case .duplicate(let result):
            return result
        case .rejected(let error):
            throw error
        }
    }

    /// The part of `append` under the lock: the producer check, a roll when due, the write and its index.
    private func lockedAppend(
        _ batches: UnsafeRawBufferPointer, validated: ValidatedAppend, config: LogConfig, nowNs: UInt64, nowMs: Int64,
        rolledToOffset: inout Offset?, snapshotProblem: inout String?
    ) throws(StorageError) -> ProducerCheckedAppend {
        let offsetSpan = validated.offsetSpan
        return try self.state.withLock { (state) throws(StorageError) -> ProducerCheckedAppend in
            if let failure = state.failure { throw StorageError(code: .closed, message: "log failed: \(failure)") }
            if state.isClosed { throw StorageError(code: .closed, message: "log \(self.topicPartition) is closed") }
            if let idempotentBatch = validated.idempotentBatch, let verdict = Self.checkProducer(
                idempotentBatch, table: state.producers, logStartOffset: state.logStartOffset
            ) {
                return verdict
            }
            if let marker = validated.marker, let error = state.producers.checkMarker(
                producerId: marker.producerId, producerEpoch: marker.producerEpoch
            ) {
                return .rejected(error)
            }
            let firstOffset = state.activeSegment.nextOffset
            let lastOffset = firstOffset + (offsetSpan - 1)
            if state.activeSegment.isSealed || state.activeSegment.mustRoll(
                appendSizeBytes: batches.count, lastOffset: lastOffset, config: config, nowMonotonicNs: nowNs
            ) {
                try self.roll(&state, newBaseOffset: firstOffset)
                rolledToOffset = firstOffset
                snapshotProblem = self.writeStateFilesAtRoll(&state, newBaseOffset: firstOffset)
            }
            let logAppendTimeMs: Int64? = config.timestampPolicy.type == .logAppendTime ? nowMs : nil
            let stamped = Self.copyStampingOffsets(
                batches, firstOffset: firstOffset, logAppendTimeMs: logAppendTimeMs, into: &state.scratch
            )
            let segment = state.activeSegment
            do throws(StorageError) {
                try segment.append(stamped, indexIntervalBytes: config.indexIntervalBytes, nowMonotonicNs: nowNs)
            } catch {
                if segment.isPoisoned { state.failure = error }
                throw error
            }
            precondition(segment.nextOffset == lastOffset + 1, "stamped offsets match the validated span")
            if let idempotentBatch = validated.idempotentBatch {
                state.producers.record(idempotentBatch, firstOffset: firstOffset, lastOffset: lastOffset)
            }
            if let marker = validated.marker, let aborted = state.producers.applyMarker(
                producerId: marker.producerId, producerEpoch: marker.producerEpoch, isCommit: marker.isCommit,
                markerOffset: firstOffset
            ) {
                state.abortedTransactions.append(aborted)
            }
            if state.scratch.count > Self.scratchRetainedBytesMax {
                state.scratch.deallocate()
                state.scratch = UnsafeMutableRawBufferPointer(start: nil, count: 0)
            }
            self.publishOffsets(logStartOffset: state.logStartOffset, logEndOffset: lastOffset + 1)
            return .appended(
                AppendResult(
                    firstOffset: firstOffset, lastOffset: lastOffset, logAppendTimeMs: logAppendTimeMs ?? -1,
                    logStartOffset: state.logStartOffset
                )
            )
        }
    }

    /// Counts and logs (rate-limited, through the manager's guard) an append the storage layer failed.
    private func reportFailedAppend(_ error: StorageError) {
        let reason: String
        switch error.code {
        case .diskFull: reason = "disk full"
        case .ioFailure: reason = "storage failure"
        case .closed: reason = "log closed or failed"
        default: reason = "\(error.code)"
        }
        if let diskSpaceGuard = self.diskSpaceGuard {
            diskSpaceGuard.recordRefusal(of: self.topicPartition, error: error, reason: reason)
        } else {
            self.onEvent("append to \(self.topicPartition) failed (\(reason)): \(error)")
        }
    }

    /// Registers a callback run on the appending thread after every successful append, with the new log end.
    public func addAppendListener(_ listener: @escaping @Sendable (Offset) -> Void) -> AppendListenerToken {
        self.listeners.withLock { listeners in
            let identifier = listeners.nextIdentifier
            listeners.nextIdentifier += 1
            listeners.byIdentifier[identifier] = listener
            listeners.snapshot = Array(listeners.byIdentifier.values)
            return AppendListenerToken(identifier: identifier)
        }
    }

    public func removeAppendListener(_ token: AppendListenerToken) {
        self.listeners.withLock { listeners in
            listeners.byIdentifier.removeValue(forKey: token.identifier)
            listeners.snapshot = Array(listeners.byIdentifier.values)
        }
    }

    private func notifyListeners(newLogEndOffset: Offset) {
        let callbacks = self.listeners.withLock { $0.snapshot }
        for callback in callbacks {
            callback(newLogEndOffset)
        }
    }

    func publishOffsets(logStartOffset: Offset, logEndOffset: Offset) {
        self.logStartOffsetValue.store(logStartOffset.rawValue, ordering: .releasing)
        self.logEndOffsetValue.store(logEndOffset.rawValue, ordering: .releasing)
    }

    /// Seals the active segment (syncing it) and starts a new one at `newBaseOffset`.
    ///
    /// Two failures, two outcomes. A failed seal (its fsync) fails the log: what the page cache holds is
    /// unknown. A failure to create the next segment (typically `diskFull` while allocating its indexes)
    /// does not: the sealed segment is synced and complete, the new files are removed, and the sealed segment
    /// stays last, so the next append retries the roll and writes resume by themselves once there is room.
    func roll(_ state: inout State, newBaseOffset: Offset) throws(StorageError) {
        let old = state.activeSegment
        precondition(newBaseOffset == old.nextOffset, "a new segment starts where the old one ends")
        if !old.isSealed {
            do {
                try old.seal()
            } catch {
                // The old segment's indexes may be trimmed and its sync failed: no safe way to go on appending.
                state.failure = error
                throw error
            }
            state.durableOffset = max(state.durableOffset, old.nextOffset)
        }
        if old.isEmpty {
            // Only a sealed, empty last segment gets here (its creation's own roll failed): reuse it.
            try old.activate()
            return
        }
        let segment = try Segment.create(directory: self.directory, baseOffset: newBaseOffset, fileIO: self.fileIO)
        do {
            try self.fileIO.syncDirectory(self.directory)
        } catch {
            try? segment.deleteFiles(fileIO: self.fileIO)
            throw error
        }
        state.segments.append(segment)
    }
}
