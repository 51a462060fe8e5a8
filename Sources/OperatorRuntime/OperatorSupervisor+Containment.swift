import GroupCoordinator
import LogStore
import SluiceModel

/// What keeps a misbehaving operator, or a stream deleted under it, from costing the broker more than a
/// bounded trickle of work: an answer that cannot be applied is a failed batch (halved, retried with backoff,
/// dead-lettered, the operator shown `failing`); a deleted stream pauses the operator with the reason; a
/// resume after the stream came back reopens the logs; a committed offset past the log end is reset.
extension OperatorSupervisor {
    /// The answer to `batch` was not applied. An answer the runtime cannot apply (an undeclared output index, a
    /// record over the batch limit) is the operator's fault and handled like a Failed without a record to
    /// blame; a storage failure is not, so nothing is dead-lettered for it: a deleted stream pauses the
    /// operator, anything else is retried with backoff.
    func answerNotApplied(_ batch: SentBatch, error: Error, instance: OperatorInstance) async {
        if let outputError = error as? OutputWriter.OutputError {
            self.failingReason = "its answers cannot be applied: \(outputError)"
            self.noteError("\(instance.label): batch \(batch.batchId) not applied: \(outputError)", repeated: true)
            await self.batchFailedApplyingDeadLetters(
                batch.work, recordIndex: nil, error: "the operator's answer cannot be applied: \(outputError)"
            )
            self.publishStatus()
            return
        }
        self.noteError("\(instance.label): batch \(batch.batchId) not applied: \(error)", repeated: true)
        if let stream = self.deletedStream() {
            self.pauseItself(reason: "stream \(stream) was deleted; recreate it and resume, or kill the operator")
            return
        }
        self.batchFailed(batch.work, recordIndex: nil, error: "\(error)")
    }

    /// A stream this supervisor reads or writes whose log is no longer the one the manager has (deleted, or
    /// deleted and recreated), if any.
    func deletedStream() -> String? {
        for source in self.reader?.sources ?? [] where self.logs.partition(source.log.topicPartition) !== source.log {
            return source.stream
        }
        for target in self.writer?.targets ?? [] {
            for log in target.logs where self.logs.partition(log.topicPartition) !== log { return target.stream }
        }
        return nil
    }

    /// Pauses from inside the feeding loop (the batch in flight ends, then nothing is fed) with `reason` shown
    /// in the status. The deployment persists pauses it asks for; this one is the loop's own backstop.
    func pauseItself(reason: String) {
        self.record.paused = true
        self.record.pauseReason = reason
        self.perform(self.lifecycle.pause())
        self.noteError("paused: \(reason)")
    }

    /// Sets the pause's reason, then pauses like `pause()`.
    func pause(reason: String) async {
        self.record.pauseReason = reason
        self.noteError("paused: \(reason)")
        await self.pause()
    }

    /// Before a resume: when a stream was deleted under the operator (and, it is hoped, created again), its
    /// logs are reopened, the inputs read from the committed offsets (reset by `offsetResets` where they are
    /// past the new log's end). Throws, and the operator stays paused, when an input is still missing.
    func prepareResume() async throws {
        guard self.deletedStream() != nil, let instance = self.current else { return }
        let reader = try self.makeReader(for: instance.metadata)
        var outputs: [String] = []
        for output in instance.metadata.outputs {
            let stream = self.placement.stream(forOutput: output)
            let partitions = self.logs.topic(output)?.partitionCount ?? self.configuration.outputPartitions
            try OperatorRuntime.createStreams([stream], logs: self.logs, partitions: partitions)
            outputs.append(stream)
        }
        self.writer = try OutputWriter(streams: outputs, logs: self.logs, producerId: try self.producerIds.allocate())
        self.deadLetterWriter = nil
        self.activeReplay = nil
        self.preparedAhead = nil
        self.reader?.close()
        self.reader = reader
        self.retained = InputBatch()
        self.nextBatchLimit = nil
        self.planner.retainedRecordsDrained()
        self.inputStreams = instance.metadata.inputs.map(\.stream)
        try await self.commitOffsetResets()
        self.noteError("reopened its streams after a deletion")
        self.publishStatus()
    }

    /// Commits the positions `makeReader` moved (committed offsets past the log end, landed dead letters), so
    /// the group shows them.
    func commitOffsetResets() async throws {
        let resets = self.offsetResets
        self.offsetResets = [:]
        try await self.commit(resets)
    }

    /// The rule for a committed offset past the end of its log (the stream was deleted and created again, or
    /// lost its tail): read from the log start, as a Kafka consumer with `auto.offset.reset=earliest` would.
    /// That loses no record of the log as it is now; keeping the offset would skip every record below it.
    func resetPosition(committed: Int64, log: PartitionLog, key: InputPartitionKey, stream: String) -> Int64 {
        let start = log.logStartOffset.rawValue
        let end = log.logEndOffset.rawValue
        guard committed > end else { return max(committed, start) }
        self.offsetResets[key] = start
        self.noteError(
            "\(stream)-\(key.partition): committed offset \(committed) is past the log end \(end) "
                + "(the stream was recreated or lost its tail); reading from the log start \(start)"
        )
        return start
    }

    /// Wakes the feeding loop when the planner's backoff ends, sleeping on the supervisor's clock (one task
    /// per distinct time), so a failing record is retried neither early nor by polling.
    func scheduleRetryWake() {
        guard let dueNs = self.planner.retryNotBeforeNs else { return }
        if let scheduled = self.retryWakeAtNs, scheduled <= dueNs, scheduled > self.clock.monotonicNs() { return }
        self.retryWakeAtNs = dueNs
        let wakeup = self.wakeup
        let clock = self.clock
        Task { [weak self] in
            await clock.sleep(untilMonotonicNs: dueNs)
            await self?.retryWakeFired(dueNs)
            wakeup.signal()
        }
    }

    private func retryWakeFired(_ dueNs: UInt64) {
        if self.retryWakeAtNs == dueNs { self.retryWakeAtNs = nil }
    }
}
