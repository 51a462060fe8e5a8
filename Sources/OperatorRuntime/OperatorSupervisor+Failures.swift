import GroupCoordinator
import LogStore
import RecordFormat
import SluiceModel

/// What happens when a batch fails (Failed, a crash, outputs that cannot be appended): records are retried
/// in smaller batches and, after the configured attempts, the one to blame goes to the dead-letter stream;
/// timers are put back, and a timer that keeps failing is dropped.
extension OperatorSupervisor {
    /// Puts fired timers back, or decides the retry of the records (and dead-letters one when its attempts
    /// are used up).
    func batchFailedApplyingDeadLetters(_ work: Work, recordIndex: Int?, error: String) async {
        if case .timers(let delivered) = work {
            self.timersFailed(delivered, index: recordIndex, error: error)
            return
        }
        guard case .records(let count) = work, let head = self.retained.head else { return }
        let decision: BatchRetryPlanner.Decision
        if let recordIndex, recordIndex < count {
            decision = self.planner.recordFailed(
                index: recordIndex, of: count, record: self.retained.identity(at: recordIndex), error: error,
                nowNs: self.clock.monotonicNs()
            )
        } else {
            decision = self.planner.batchCrashed(count: count, head: head, error: error, nowNs: self.clock.monotonicNs())
        }
        switch decision {
        case .retry(let limit):
            self.nextBatchLimit = limit
        case .deadLetter(let reason):
            do {
                try await self.deadLetterHead(error: reason)
            } catch {
                // Opened afresh next time: the dead-letter stream may have been deleted under the writer.
                self.deadLetterWriter = nil
                self.noteError("dead-lettering failed: \(error)", repeated: true)
            }
        }
    }

    /// A Timers batch failed (at `index`) or died: the timers are due again; the one to blame (the one named,
    /// or the only one of a batch that died) is counted and dropped after the configured attempts, since a
    /// timer has no record to dead-letter. A dying batch of several timers is halved.
    func timersFailed(_ delivered: [OperatorTimer], index: Int?, error: String) {
        var blamed: OperatorTimer?
        if let index, index < delivered.count {
            blamed = delivered[index]
        } else if delivered.count == 1 {
            blamed = delivered[0]
        } else if delivered.count > 1 {
            self.timerBatchLimit = delivered.count / 2
        }
        if let blamed {
            self.timerFailures[blamed, default: 0] += 1
            if self.timerFailures[blamed, default: 0] >= self.configuration.deadLetterAttempts {
                self.timerFailures[blamed] = nil
                self.timers.retire([blamed])
                try? self.persistTimers()
                self.noteError("dropped the timer at \(blamed.timeMs) after \(self.configuration.deadLetterAttempts) failures: \(error)")
            }
        }
        self.timers.restore(delivered)
    }

    func batchFailed(_ work: Work, recordIndex: Int?, error: String) {
        switch work {
        case .timers(let delivered):
            self.timersFailed(delivered, index: recordIndex, error: error)
        case .records(let count):
            if let head = self.retained.head {
                let nowNs = self.clock.monotonicNs()
                if case .retry(let limit) = self.planner.batchCrashed(count: count, head: head, error: error, nowNs: nowNs) {
                    self.nextBatchLimit = limit
                }
            }
        }
    }

    /// Appends the first retained record to `<name>.dlq` with the error and its source, and commits past it.
    /// Like a batch's outputs, the dead letter is numbered under its own producer id and announced by an
    /// intent first, so a broker crash before the commit neither repeats nor loses it (`landedDeadLetters`).
    func deadLetterHead(error: String) async throws {
        let entry = self.retained.entries[0]
        let stream = self.inputStreams[Int(entry.inputIndex)]
        let record = self.retained.decodedRecord(at: 0)
        if self.deadLetterWriter == nil {
            let dlq = self.placement.deadLetterStream
            try OperatorRuntime.createStreams([dlq], logs: self.logs, partitions: self.configuration.outputPartitions)
            self.deadLetterWriter = try OutputWriter(streams: [dlq], logs: self.logs, producerId: try self.producerIds.allocate())
        }
        var headers = record.headers.map { RecordHeader(key: $0.0, value: $0.1) }
        headers.append(RecordHeader(key: "sluice.error", value: Array(error.utf8)))
        headers.append(RecordHeader(key: "sluice.source.stream", value: Array(stream.utf8)))
        headers.append(RecordHeader(key: "sluice.source.partition", value: Array(String(entry.partition).utf8)))
        headers.append(RecordHeader(key: "sluice.source.offset", value: Array(String(entry.offset).utf8)))
        var writer = self.deadLetterWriter!
        let prepared = try writer.prepareOne(
            target: 0, timestampMs: self.clock.wallTimeMs(), key: record.key, value: record.value, headers: headers
        )
        self.deadLetterWriter = writer
        let run = OutputIntent.InputRun(stream: stream, partition: entry.partition, endOffset: entry.offset + 1)
        try await self.writeIntent(OutputIntent(
            producerId: writer.producerId, inputs: [run], outputs: prepared.ranges, roundRobinStarts: [:], isDeadLetter: true
        ))
        let durability = try writer.append(prepared)
        self.deadLetterWriter = writer
        for (log, endOffset) in durability { try await log.waitUntilDurable(upTo: endOffset) }
        try await self.commit(self.retained.commitPositions(upTo: 1))
        self.dropRetained(1)
        self.counters.deadLettered += 1
        self.recordDeadLettered()
        self.noteError("dead-lettered \(stream)-\(entry.partition)@\(entry.offset): \(error)", repeated: true)
    }
}
