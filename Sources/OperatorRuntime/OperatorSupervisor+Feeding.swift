import GroupCoordinator
import LogStore
import RecordFormat
import SluiceModel

/// The feeding loop. A batch's outputs are appended, made durable, its timers persisted and its inputs
/// committed, in that order, before the next batch's outputs are appended; the next batch is already sent
/// while that happens (pipelining), so the operator and the broker work at the same time. A crash between
/// any two steps replays at most one batch's outputs: the pipelined batch's were never appended.
extension OperatorSupervisor {
    enum Work {
        /// The first `count` retained records (once the batches before it are applied and dropped; a batch
        /// pipelined behind another is sent from further on).
        case records(count: Int)
        case timers([OperatorTimer])
    }

    func runLoop() async {
        while !Task.isCancelled && self.lifecycle.state != .stopped {
            if self.lifecycle.mayFeed, self.current != nil, let work = self.nextWork() {
                await self.runBatch(work)
                continue
            }
            self.scheduleTimerWake()
            await self.wakeup.wait()
        }
    }

    /// Batches interrupted by a broker stop first (exactly as sent then), retained records (a retry), then
    /// due timers, then fresh input.
    private func nextWork() -> Work? {
        if let replay = self.takeReplayWork() { return replay }
        if self.retained.isEmpty, let reader = self.reader, reader.hasInput {
            var batch = InputBatch(reservingCapacityBytes: min(self.configuration.batchBytesMax, 1 << 20))
            reader.fill(&batch, recordsMax: self.configuration.batchRecordsMax, bytesMax: self.configuration.batchBytesMax)
            self.retained = batch
        }
        if !self.retained.isEmpty {
            // A record that failed waits out its backoff; the loop is woken when it ends.
            guard self.planner.mayRetry(nowNs: self.clock.monotonicNs()) else {
                self.scheduleRetryWake()
                return nil
            }
            var limit = self.configuration.batchRecordsMax
            if let plannerLimit = self.planner.batchLimit(head: self.retained.head) { limit = min(limit, plannerLimit) }
            if let once = self.nextBatchLimit { limit = min(limit, once) }
            self.nextBatchLimit = nil
            // Due timers go first when records have waited their turn: a busy input must not starve timers.
            if let earliest = self.timers.earliestTimeMs, earliest <= self.clock.wallTimeMs(), self.planner.limit == nil {
                return .timers(self.takeDueTimers())
            }
            return .records(count: min(limit, self.retained.count))
        }
        let due = self.takeDueTimers()
        return due.isEmpty ? nil : .timers(due)
    }

    private func takeDueTimers() -> [OperatorTimer] {
        self.timers.takeDue(
            nowMs: self.clock.wallTimeMs(), countMax: self.timerBatchLimit ?? self.configuration.batchRecordsMax
        )
    }

    /// Wakes the loop when the earliest timer is due (one sleeping task per distinct wake time).
    func scheduleTimerWake() {
        guard let earliest = self.timers.earliestTimeMs else { return }
        if let scheduled = self.timerWakeAtMs, scheduled <= earliest { return }
        self.timerWakeAtMs = earliest
        let delayMs = max(0, earliest - self.clock.wallTimeMs())
        let wakeup = self.wakeup
        Task { [weak self] in
            try? await Task.sleep(nanoseconds: UInt64(delayMs) * 1_000_000 + 1_000_000)
            await self?.timerWakeFired(earliest)
            wakeup.signal()
        }
    }

    private func timerWakeFired(_ timeMs: Int64) {
        if self.timerWakeAtMs == timeMs { self.timerWakeAtMs = nil }
    }

    /// A batch sent to the current process and not yet applied.
    struct SentBatch {
        var batchId: UInt64
        var work: Work
        var sentNs: UInt64
        /// The wall-clock send time: where the spans of its traced records start.
        var sentWallTimeMs: Int64
        var watchdog: Task<Void, Never>
    }

    /// Feeds `work` and, while its answer is applied, the records after it: one feeding span for the
    /// lifecycle, ended when nothing more is pipelined or a batch fails.
    private func runBatch(_ work: Work) async {
        guard let instance = self.current else { return }
        self.lifecycle.batchSent()
        var inFlight = [self.send(work, to: instance)]
        var succeeded = true
        while let head = inFlight.first {
            let (outcome, answeredNs) = await self.outcome(of: head.batchId, from: instance)
            head.watchdog.cancel()
            self.recordBatchAnswered(outcome, durationNs: answeredNs &- head.sentNs, instance: instance)
            inFlight.removeFirst()
            if case .result = outcome, inFlight.isEmpty, let next = self.pipelinedWork(after: head.work) {
                inFlight.append(self.send(next.work, to: instance, recordsFrom: next.first))
            }
            if case .crashed(let status) = outcome {
                self.discard(inFlight)
                self.abandonReplay()
                // A process stopped over its limit is the operator's problem, not the records': none is blamed
                // (the operator is not restarted, so no record would be tried again to find the one to blame).
                if instance.limitBreach == nil {
                    await self.batchFailedApplyingDeadLetters(
                        head.work, recordIndex: nil, error: "the operator process died (\(status)) while processing this record"
                    )
                }
                instance.exitStatus = status
                self.processCrashed(instance)
                return
            }
            if !(await self.apply(outcome, of: head, next: inFlight.first, answeredNs: answeredNs, instance: instance)) {
                self.abandonReplay()
                self.discard(inFlight)
                inFlight.removeAll()
                succeeded = false
            }
        }
        await self.finishBatch(succeeded: succeeded)
        if instance.hasExited { self.processCrashed(instance) }
    }

    /// Sends `work`; its records start at retained index `first` (past the records of the batch in front).
    private func send(_ work: Work, to instance: OperatorInstance, recordsFrom first: Int = 0) -> SentBatch {
        let batchId = instance.nextBatchId
        instance.nextBatchId += 1
        let frame: [UInt8]
        switch work {
        case .records(let count): frame = self.retained.slice(first..<first + count).frame(batchId: batchId)
        case .timers(let due): frame = OperatorProtocol.timersFrame(batchId: batchId, timers: due)
        }
        self.awaitedBatchIds.append(batchId)
        if let startNs = self.handOffStartNs {
            self.handOffStartNs = nil
            self.recordHandOffGap(Double(self.clock.monotonicNs() &- startNs) / 1_000_000)
        }
        let sentNs = self.clock.monotonicNs()
        let sentWallTimeMs = self.clock.wallTimeMs()
        instance.process.send(frame)
        return SentBatch(
            batchId: batchId, work: work, sentNs: sentNs, sentWallTimeMs: sentWallTimeMs,
            watchdog: self.batchWatchdog(instance)
        )
    }

    /// The answer to `batchId` and when it arrived (monotonic): kept from earlier, or awaited; `.crashed`
    /// when the process is gone.
    private func outcome(of batchId: UInt64, from instance: OperatorInstance) async -> (BatchOutcome, UInt64) {
        defer { self.awaitedBatchIds.removeAll { $0 == batchId } }
        if let arrived = self.arrivedOutcomes.removeValue(forKey: batchId) { return (arrived.outcome, arrived.arrivedNs) }
        if instance.hasExited { return (.crashed(instance.exitStatus), self.clock.monotonicNs()) }
        let outcome = await withCheckedContinuation { self.resultWaiter = (batchId, $0) }
        return (outcome, self.clock.monotonicNs())
    }

    /// Batches sent behind one that failed: their answers are dropped and their records sent again.
    private func discard(_ batches: [SentBatch]) {
        for batch in batches {
            batch.watchdog.cancel()
            self.awaitedBatchIds.removeAll { $0 == batch.batchId }
            self.arrivedOutcomes[batch.batchId] = nil
        }
    }

    /// Applies a batch's answer; false when the batch failed (the retry is planned).
    private func apply(
        _ outcome: BatchOutcome, of batch: SentBatch, next: SentBatch?, answeredNs: UInt64, instance: OperatorInstance
    ) async -> Bool {
        switch outcome {
        case .result(let result):
            do {
                try await self.complete(batch, result: result, next: next, answeredNs: answeredNs)
                instance.batchesCompleted += 1
                self.failingReason = nil
                return true
            } catch {
                // OperatorSupervisor+Containment.swift: the operator's fault or the storage's, never a busy loop.
                await self.answerNotApplied(batch, error: error, instance: instance)
                return false
            }
        case .failed(let recordIndex, let error):
            self.noteError(
                "\(instance.label): batch \(batch.batchId) failed at record \(recordIndex.map(String.init) ?? "-"): \(error)",
                repeated: true
            )
            await self.batchFailedApplyingDeadLetters(batch.work, recordIndex: recordIndex, error: error)
            return false
        case .crashed:
            return false
        }
    }

    /// The records to send behind a Records batch whose answer just came, while that answer is applied:
    /// only in the steady state (running, no retry being planned, no timer due), so pause, swap, stop and
    /// failures see at most the two batches of one span.
    private func pipelinedWork(after work: Work) -> (work: Work, first: Int)? {
        guard case .records(let count) = work, self.lifecycle.state == .running, self.activeReplay == nil,
              self.pendingReplays.isEmpty, self.planner.limit == nil, self.nextBatchLimit == nil,
              let reader = self.reader else { return nil }
        if let earliest = self.timers.earliestTimeMs, earliest <= self.clock.wallTimeMs() { return nil }
        let recordsMax = self.configuration.batchRecordsMax
        if self.retained.count < count + recordsMax && reader.hasInput {
            reader.fill(
                &self.retained, recordsMax: count + recordsMax,
                bytesMax: self.retained.recordsSizeBytes + self.configuration.batchBytesMax
            )
        }
        let available = self.retained.count - count
        return available > 0 ? (.records(count: min(available, recordsMax)), count) : nil
    }

    /// Kills `instance` if the batch now in flight is not answered within the batch timeout.
    private func batchWatchdog(_ instance: OperatorInstance) -> Task<Void, Never> {
        let timeoutMs = self.configuration.batchTimeoutMs
        return Task { [weak self] in
            guard (try? await Task.sleep(nanoseconds: UInt64(timeoutMs) * 1_000_000)) != nil else { return }
            await self?.noteError("\(instance.label) did not answer a batch within \(timeoutMs) ms; killing it")
            instance.process.kill()
        }
    }

    private func finishBatch(succeeded: Bool) async {
        let action = self.lifecycle.batchFinished(succeeded: succeeded)
        if action == .handOff, let instance = self.pendingSwap {
            self.pendingSwap = nil
            await self.handOff(to: instance)
        } else {
            self.perform(action)
        }
    }

    /// Applies a BatchResult: intent committed (a Records batch with outputs), outputs appended and durable,
    /// timers persisted, inputs committed (which clears the intent). When the answer to the batch pipelined
    /// behind (`next`) is already there, its intent goes into this batch's commit, so it costs no write of
    /// its own.
    private func complete(_ batch: SentBatch, result: BatchResultMessage, next: SentBatch?, answeredNs: UInt64) async throws {
        let work = batch.work
        guard var writer = self.writer else { return }
        let replay = self.activeReplay
        let prepared: OutputWriter.PreparedOutputs
        if let ahead = self.preparedAhead, ahead.batchId == batch.batchId {
            prepared = ahead.outputs
        } else {
            prepared = try writer.prepare(result, timestampMs: self.clock.wallTimeMs(), replay: replay)
            switch work {
            case .records(let count) where !prepared.ranges.isEmpty:
                try await self.writeIntent(self.intent(for: prepared, records: 0..<count, producerId: writer.producerId))
            case .timers(let delivered) where !prepared.ranges.isEmpty:
                try self.writeTimersIntent(delivered, prepared: prepared, producerId: writer.producerId)
            default:
                break
            }
        }
        self.preparedAhead = nil
        let outputCount = prepared.count
        let durability = try writer.append(prepared)
        self.writer = writer
        for (log, endOffset) in durability { try await log.waitUntilDurable(upTo: endOffset) }
        // The answer first retires the timers it delivered, then applies the ones it sets (the last per key wins).
        let before = self.timers.pending
        if case .timers(let delivered) = work {
            self.timers.retire(delivered)
            self.timerBatchLimit = nil
            for timer in delivered { self.timerFailures[timer] = nil }
        }
        for timer in result.timers { self.timers.set(timer) }
        if self.timers.pending != before { try self.persistTimers() }
        if case .timers = work, !prepared.ranges.isEmpty {
            self.store.removeInFlightTimers(of: self.name, timersFile: self.placement.timersFileName)
        }
        if case .records(let count) = work {
            try await self.commit(self.retained.commitPositions(upTo: count), intent: self.prepareAhead(next, after: count))
            self.recordSpans(
                count: count, sentWallTimeMs: batch.sentWallTimeMs, operatorTimeNs: answeredNs &- batch.sentNs
            )
            self.dropRetained(count)
            self.counters.recordsIn += Int64(count)
            self.recordRecordsIn(count)
        }
        if replay != nil { self.activeReplay = nil }
        self.counters.recordsOut += Int64(outputCount)
        self.recordRecordsOut(outputCount)
    }

    /// Init's timers (from Ready) replace the pending ones of the same keys.
    func applyInitTimers(_ timers: [OperatorTimer]) throws {
        let before = self.timers.pending
        for timer in timers { self.timers.set(timer) }
        if self.timers.pending != before { try self.persistTimers() }
    }

    func dropRetained(_ count: Int) {
        if count >= self.retained.count {
            self.retained = InputBatch()
            self.planner.retainedRecordsDrained()
        } else {
            self.retained = self.retained.slice(count..<self.retained.count)
        }
    }

    /// Commits input positions in the operator's group (generation -1: the runtime is a simple consumer),
    /// with `intent` (the next batch's) as the metadata of its first input partition.
    func commit(_ positions: [InputPartitionKey: Int64], intent: OutputIntent? = nil) async throws {
        guard !positions.isEmpty else { return }
        var partitions: [PartitionOffsetCommit] = []
        for (key, offset) in positions {
            let topicPartition = TopicPartition(topic: self.inputStreams[key.inputIndex], partition: PartitionID(key.partition))
            partitions.append(PartitionOffsetCommit(topicPartition: topicPartition, offset: offset))
            self.committed[topicPartition] = offset
        }
        if let intent, let metadata = self.intentMetadata(intent), let first = intent.inputs.first {
            let topicPartition = TopicPartition(topic: first.stream, partition: PartitionID(first.partition))
            if let index = partitions.firstIndex(where: { $0.topicPartition == topicPartition }) {
                partitions[index].metadata = metadata
            } else {
                partitions.append(PartitionOffsetCommit(
                    topicPartition: topicPartition, offset: self.committed[topicPartition] ?? 0, metadata: metadata
                ))
            }
        }
        let results = await self.groups.commitOffsets(GroupOffsetCommitRequest(groupId: self.placement.groupId, partitions: partitions))
        if let failed = results.first(where: { $0.errorCode != .none }) {
            throw OperatorRuntimeError(
                code: .storageFailed, message: "commit of \(failed.topicPartition) failed: \(failed.errorCode)"
            )
        }
        self.lastCommitNs = self.clock.monotonicNs()
        self.updateRate()
    }

    func persistTimers() throws {
        try self.store.saveTimers(self.timers.timers, of: self.name, file: self.placement.timersFileName)
    }

    func recordHandOffGap(_ gapMs: Double) {
        self.lastHandOffGapMs = gapMs
        self.recordHandOffGapMetric(milliseconds: gapMs)
        self.counters.handOffGapsMs.append(gapMs)
        if self.counters.handOffGapsMs.count > Self.handOffGapsMax { self.counters.handOffGapsMs.removeFirst() }
    }

    private func updateRate() {
        let nowNs = self.clock.monotonicNs()
        let elapsedNs = nowNs &- self.counters.rateWindowStartNs
        guard elapsedNs >= 1_000_000_000 else { return }
        self.counters.recordsPerSecond = Double(self.counters.recordsIn - self.counters.rateWindowStartRecords)
            / (Double(elapsedNs) / 1e9)
        self.counters.rateWindowStartNs = nowNs
        self.counters.rateWindowStartRecords = self.counters.recordsIn
        self.publishStatus()
    }
}
