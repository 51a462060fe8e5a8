import SluiceModel

/// Group commit: waiters queue up under the lock; the flusher captures what is appended so far, fsyncs it
/// outside the lock, and answers every waiter that fsync covers. Waiters arriving during an fsync share the
/// next one. Sealed segments were synced when they rolled, so only the active segment ever needs syncing.
extension PartitionLog {
    /// Calls `completion` (on the flusher's queue, or here when already durable) once every offset below
    /// `endOffset` is on disk. `endOffset` must not be past the log end (nothing could ever satisfy it: the
    /// completion gets `offsetOutOfRange`); after a failed fsync or `close`, waits fail.
    public func whenDurable(
        upTo endOffset: Offset, _ completion: @escaping @Sendable (Result<Void, StorageError>) -> Void
    ) {
        enum Action {
            case answer(Result<Void, StorageError>)
            case scheduleFlush
            case wait
        }
        let action: Action = self.state.withLock { state in
            if let failure = state.failure { return .answer(.failure(failure)) }
            if endOffset <= state.durableOffset { return .answer(.success(())) }
            let logEndOffset = state.activeSegment.nextOffset
            if endOffset > logEndOffset {
                let error = StorageError.offsetOutOfRange(
                    endOffset, logStartOffset: state.logStartOffset, logEndOffset: logEndOffset
                )
                return .answer(.failure(error))
            }
            if state.isClosed {
                return .answer(.failure(StorageError(code: .closed, message: "log \(self.topicPartition) is closed")))
            }
            state.waiters.append(DurabilityWaiter(endOffset: endOffset, completion: completion))
            if state.isFlushScheduled { return .wait }
            state.isFlushScheduled = true
            return .scheduleFlush
        }
        switch action {
        case .answer(let result): completion(result)
        case .scheduleFlush: self.flusher.requestFlush(of: self)
        case .wait: break
        }
    }

    /// Fsyncs everything appended so far (if anything is new) and answers the waiters it covers. Runs on the
    /// flusher queue, or on the caller's thread for `flushAll`/`close`.
    func flush() throws(StorageError) {
        /// What one flush covers, taken under the lock.
        struct Capture {
            var pending: (file: SegmentFileHandle, sizeBytes: Int64)?
            var segment: Segment
            var endOffset: Offset
            var failure: StorageError?
        }
        let captured = self.state.withLock { state in
            // A flush scheduled from now on runs after this one and covers what this one does not.
            state.isFlushScheduled = false
            let segment = state.activeSegment
            return Capture(
                pending: segment.pendingSync, segment: segment, endOffset: segment.nextOffset, failure: state.failure
            )
        }
        if let failure = captured.failure {
            self.answerWaiters(failingWith: failure)
            throw failure
        }
        var syncError: StorageError?
        if let pending = captured.pending {
            do {
                try pending.file.sync(dataOnly: true)
            } catch {
                syncError = error
            }
        }
        let completions = self.state.withLock { state -> [DurabilityWaiter] in
            state.lastFlushMonotonicNs = self.clock.monotonicNs()
            if let syncError {
                state.failure = state.failure ?? syncError
                let failed = state.waiters
                state.waiters = []
                return failed
            }
            if let pending = captured.pending { captured.segment.markSynced(upToSizeBytes: pending.sizeBytes) }
            state.durableOffset = max(state.durableOffset, captured.endOffset)
            let durableOffset = state.durableOffset
            let answered = state.waiters.filter { $0.endOffset <= durableOffset }
            state.waiters.removeAll { $0.endOffset <= durableOffset }
            if !state.waiters.isEmpty && !state.isFlushScheduled {
                state.isFlushScheduled = true
                self.flusher.requestFlush(of: self)
            }
            return answered
        }
        let result: Result<Void, StorageError> = syncError.map { .failure($0) } ?? .success(())
        for waiter in completions {
            waiter.completion(result)
        }
        if let syncError {
            self.onEvent("\(self.topicPartition): fsync failed, the log stops taking appends: \(syncError)")
            throw syncError
        }
    }

    /// The flusher's periodic check for `interval` policies: flushes when the interval has passed and
    /// something is unsynced.
    func flushIfIntervalElapsed(nowMonotonicNs: UInt64) {
        guard case .interval(let milliseconds) = self.config.fsyncPolicy else { return }
        let isDue = self.state.withLock { state in
            state.failure == nil && !state.isClosed && state.activeSegment.pendingSync != nil
                && nowMonotonicNs >= state.lastFlushMonotonicNs
                && nowMonotonicNs - state.lastFlushMonotonicNs >= UInt64(milliseconds) * 1_000_000
        }
        if isDue { try? self.flush() }
    }

    /// The offset below which everything is on disk: what the recovery checkpoint records.
    var durableOffset: Offset {
        self.state.withLock { $0.durableOffset }
    }

    /// Flushes, seals the active segment (trimming its indexes) and refuses further appends.
    func close() throws(StorageError) {
        try self.flush()
        let snapshotProblem = try self.state.withLock { (state) throws(StorageError) -> String? in
            guard !state.isClosed else { return nil }
            state.isClosed = true
            try state.activeSegment.seal()
            return self.writeStateFilesAtClose(&state)
        }
        if let snapshotProblem { self.onEvent(snapshotProblem) }
        self.answerWaiters(failingWith: StorageError(code: .closed, message: "log \(self.topicPartition) closed"))
    }

    /// Stops the log without sealing it: its topic is being deleted, so its files are about to go.
    func abandon() {
        self.state.withLock { $0.isClosed = true }
        self.answerWaiters(failingWith: StorageError(code: .closed, message: "topic of \(self.topicPartition) deleted"))
    }

    private func answerWaiters(failingWith error: StorageError) {
        let waiters = self.state.withLock { state -> [DurabilityWaiter] in
            let waiters = state.waiters
            state.waiters = []
            return waiters
        }
        for waiter in waiters {
            waiter.completion(.failure(error))
        }
    }
}
