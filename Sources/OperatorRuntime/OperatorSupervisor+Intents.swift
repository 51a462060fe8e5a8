import GroupCoordinator
import LogStore
import SluiceModel

/// Exactly once across a broker crash (`OutputIntent`, `Docs/decisions/0003-exactly-once-across-broker-crashes.md`):
/// before a Records batch's outputs are appended, its intent is committed with the inputs' current offsets;
/// the commit that follows the outputs clears it. After a crash, the intents still in the group's metadata
/// name the batches to send again, exactly as before, and how many of their outputs to drop.
extension OperatorSupervisor {
    /// The intent of a Records batch made of retained records `records` whose outputs are `prepared`.
    func intent(
        for prepared: OutputWriter.PreparedOutputs, records: Range<Int>, producerId: Int64
    ) -> OutputIntent {
        OutputIntent(
            producerId: producerId, inputs: self.retained.runs(in: records, streams: self.inputStreams),
            outputs: prepared.ranges, roundRobinStarts: prepared.roundRobinStarts
        )
    }

    /// `intent` as commit metadata, or nil (logged) when it is over the metadata limit: the batch then goes
    /// on without one, and a broker crash before its commit could repeat its outputs.
    func intentMetadata(_ intent: OutputIntent) -> String? {
        let metadata = intent.encoded
        guard metadata.utf8.count <= self.groups.offsetMetadataLengthBytesMax else {
            self.noteError("a batch over \(intent.inputs.count) input runs is too wide for an intent: a broker crash now could repeat its outputs")
            return nil
        }
        return metadata
    }

    /// Makes `intent` durable in the group's commit metadata (on the batch's first input partition, at its
    /// committed offset: only the metadata changes).
    func writeIntent(_ intent: OutputIntent) async throws {
        guard let first = intent.inputs.first, let metadata = self.intentMetadata(intent) else { return }
        let topicPartition = TopicPartition(topic: first.stream, partition: PartitionID(first.partition))
        let commit = PartitionOffsetCommit(
            topicPartition: topicPartition, offset: self.committed[topicPartition] ?? 0, metadata: metadata
        )
        let results = await self.groups.commitOffsets(GroupOffsetCommitRequest(groupId: self.placement.groupId, partitions: [commit]))
        if let failed = results.first(where: { $0.errorCode != .none }) {
            throw OperatorRuntimeError(code: .storageFailed, message: "intent on \(failed.topicPartition) failed: \(failed.errorCode)")
        }
    }

    /// When the answer to `next` (the Records batch pipelined behind the one being committed, whose records
    /// start at retained index `first`) has already come, builds its outputs now and returns its intent, to
    /// be written with the commit in front of it; `complete` then uses what was built here.
    func prepareAhead(_ next: SentBatch?, after first: Int) throws -> OutputIntent? {
        guard let next, case .records(let count) = next.work, self.activeReplay == nil,
              case .result(let result)? = self.arrivedOutcomes[next.batchId]?.outcome, var writer = self.writer else { return nil }
        let outputs = try writer.prepare(result, timestampMs: self.clock.wallTimeMs())
        self.writer = writer
        guard !outputs.ranges.isEmpty else { return nil }
        self.preparedAhead = (next.batchId, outputs)
        return self.intent(for: outputs, records: first..<first + count, producerId: writer.producerId)
    }

    /// The intents left in `fetched` (a group's committed offsets) whose input runs all read partitions in
    /// `owned`, with what each already landed. One naming a partition another instance owns (the instance
    /// count changed under it) cannot be sent again exactly: its batch is read afresh, and that is logged.
    func replays(of fetched: [TopicPartition: CommittedOffset], owned: Set<TopicPartition>) -> [OutputReplay] {
        var seen: Set<String> = []
        var replays: [OutputReplay] = []
        for (_, committed) in fetched.sorted(by: { $0.key.description < $1.key.description }) {
            guard seen.insert(committed.metadata).inserted, let intent = OutputIntent(decoding: committed.metadata),
                  !intent.isDeadLetter else { continue }
            let partitions = intent.inputs.map { TopicPartition(topic: $0.stream, partition: PartitionID($0.partition)) }
            guard partitions.allSatisfy(owned.contains) else {
                self.noteError("an interrupted batch reads partitions this instance does not own; it is processed afresh")
                continue
            }
            replays.append(self.replay(of: intent))
        }
        return replays
    }

    /// Per input partition, the position past a record whose dead letter landed before a crash stopped the
    /// commit after it (`OutputIntent.isDeadLetter`). A dead letter that did not land needs nothing: its record
    /// is still uncommitted and is fed to the operator again.
    func landedDeadLetters(of fetched: [TopicPartition: CommittedOffset]) -> [TopicPartition: Int64] {
        var positions: [TopicPartition: Int64] = [:]
        for committed in fetched.values {
            guard let intent = OutputIntent(decoding: committed.metadata), intent.isDeadLetter,
                  let run = intent.inputs.first, let range = intent.outputs.first else { continue }
            let log = self.logs.partition(TopicPartition(topic: range.slot.stream, partition: PartitionID(range.slot.partition)))
            let landed = OutputIntent.landedCount(of: range, lastSequence: log?.lastSequence(ofProducer: intent.producerId))
            guard landed == range.count else { continue }
            positions[TopicPartition(topic: run.stream, partition: PartitionID(run.partition))] = run.endOffset
            self.onEvent("operator \(self.name): \(run.stream)-\(run.partition)@\(run.endOffset - 1) was dead-lettered before the broker stopped")
        }
        return positions
    }

    /// `intent` with, per output partition, how many of its outputs are in the log already.
    private func replay(of intent: OutputIntent, timers: [OperatorTimer] = []) -> OutputReplay {
        var skips: [OutputIntent.OutputSlot: Int] = [:]
        for range in intent.outputs {
            let log = self.logs.partition(TopicPartition(topic: range.slot.stream, partition: PartitionID(range.slot.partition)))
            let landed = OutputIntent.landedCount(of: range, lastSequence: log?.lastSequence(ofProducer: intent.producerId))
            skips[range.slot] = range.skip + landed
        }
        let landed = skips.values.reduce(0, +)
        let kind = timers.isEmpty ? "batch" : "timers batch"
        self.onEvent("operator \(self.name): sending an interrupted \(kind) again (\(landed) of its outputs had landed)")
        return OutputReplay(intent: intent, timers: timers, skips: skips)
    }

    /// The Timers batch that was being applied when the broker stopped, if its timers are all still pending
    /// (otherwise it finished, and its file goes).
    func interruptedTimersReplay() -> OutputReplay? {
        let file = self.placement.timersFileName
        guard let inFlight = self.store.loadInFlightTimers(of: self.name, timersFile: file) else { return nil }
        let pending = self.timers.pending
        guard !inFlight.timers.isEmpty, inFlight.timers.allSatisfy({ pending[$0.key] == $0.timeMs }),
              let intent = OutputIntent(decoding: inFlight.intent) else {
            self.store.removeInFlightTimers(of: self.name, timersFile: file)
            return nil
        }
        return self.replay(of: intent, timers: inFlight.timers)
    }

    /// Before a Timers batch's outputs are appended: what it delivered and what it appends, on disk.
    func writeTimersIntent(_ delivered: [OperatorTimer], prepared: OutputWriter.PreparedOutputs, producerId: Int64) throws {
        let intent = OutputIntent(
            producerId: producerId, inputs: [], outputs: prepared.ranges, roundRobinStarts: prepared.roundRobinStarts
        )
        try self.store.saveInFlightTimers(
            InFlightTimerBatch(timers: delivered, intent: intent.encoded), of: self.name, timersFile: self.placement.timersFileName
        )
    }

    /// The next interrupted batch, read exactly as it was first sent, as the work to feed now.
    func takeReplayWork() -> Work? {
        guard self.retained.isEmpty, !self.pendingReplays.isEmpty else { return nil }
        let replay = self.pendingReplays.removeFirst()
        if !replay.timers.isEmpty {
            // Still pending in the heap: delivered again as they are, retired when this batch is applied.
            self.activeReplay = replay
            return .timers(replay.timers)
        }
        guard let reader = self.reader else { return nil }
        var batch = InputBatch()
        guard reader.fill(&batch, runs: replay.intent.inputs), !batch.isEmpty else { return nil }
        self.retained = batch
        self.activeReplay = replay
        return .records(count: batch.count)
    }

    /// A replayed batch that failed is retried like any other: what landed before may then repeat.
    func abandonReplay() {
        guard self.activeReplay != nil else { return }
        self.activeReplay = nil
        self.noteError("an interrupted batch failed when sent again; its outputs may repeat")
    }
}
