import LogStore
import RecordFormat
import SluiceModel

/// Generations of the offsets log: choosing one at start, reading it, and writing a compacted one.
extension OffsetStore {
    /// What reading one generation's log found.
    struct LoadedGeneration {
        var state: State
        var isComplete: Bool
    }

    /// Uses the newest complete generation, deletes the others, and creates generation 0 when there is none.
    static func openNewestGeneration(
        logManager: LogManager, configuration: OffsetStoreConfiguration, onEvent: @Sendable (String) -> Void
    ) throws(GroupCoordinatorError) -> State {
        let prefix = configuration.topicNamePrefix + "."
        let generations = logManager.topicNames().compactMap { name -> Int64? in
            guard name.hasPrefix(prefix), let generation = Int64(name.dropFirst(prefix.count)), generation >= 0
            else { return nil }
            return generation
        }.sorted(by: >)
        var chosen: State?
        for generation in generations {
            let name = Self.topicName(prefix: configuration.topicNamePrefix, generation: generation)
            if chosen != nil {
                onEvent("deleting \(name): a newer generation of the offsets log supersedes it")
                try Self.deleteTopic(name, logManager: logManager)
                continue
            }
            let loaded = try Self.load(generation: generation, log: try Self.partition(of: name, in: logManager))
            if loaded.isComplete {
                chosen = loaded.state
            } else {
                onEvent("deleting \(name): its compaction did not finish")
                try Self.deleteTopic(name, logManager: logManager)
            }
        }
        if let chosen { return chosen }
        let generation = (generations.first ?? -1) + 1
        let (log, recordCount) = try Self.createGeneration(
            generation, offsetsByGroup: [:], logManager: logManager, configuration: configuration
        )
        return State(generation: generation, log: log, recordCount: recordCount)
    }

    /// Reads a generation's log from its start, keeping the last value per key.
    static func load(generation: Int64, log: PartitionLog) throws(GroupCoordinatorError) -> LoadedGeneration {
        var state = State(generation: generation, log: log, recordCount: 0)
        var isComplete = false
        try Self.forEachRecord(in: log) { (record) throws(GroupCoordinatorError) in
            state.recordCount += 1
            guard let key = record.key, let entry = try OffsetRecordCodec.decode(key: key, value: record.value) else {
                return
            }
            switch entry {
            case .commit(let groupId, let topicPartition, let committed):
                state.apply(groupId: groupId, topicPartition: topicPartition, committed)
            case .generationComplete(let markedGeneration):
                isComplete = isComplete || markedGeneration == generation
            }
        }
        return LoadedGeneration(state: state, isComplete: isComplete)
    }

    /// Visits every record of `log` in offset order, reading about a mebibyte at a time.
    static func forEachRecord(
        in log: PartitionLog, _ visit: (Record) throws(GroupCoordinatorError) -> Void
    ) throws(GroupCoordinatorError) {
        var offset = log.logStartOffset
        let endOffset = log.logEndOffset
        do {
            while offset < endOffset {
                guard let slice = try log.read(from: offset, maxBytes: 1024 * 1024, minOneBatch: true).slice else { break }
                let bytes = try slice.readBytes()
                var position = 0
                while position < bytes.count {
                    let (records, header) = try bytes.withUnsafeBytes { buffer in
                        let batch = UnsafeRawBufferPointer(rebasing: buffer[position...])
                        let header = try RecordBatchHeader(parsing: batch)
                        let bounded = UnsafeRawBufferPointer(rebasing: batch[..<header.totalSizeBytes])
                        return (try RecordBatchDecoder.decodeRecords(inBatch: bounded), header)
                    }
                    for record in records where record.offset >= offset.rawValue {
                        try visit(record)
                    }
                    offset = max(offset, Offset(header.lastOffset + 1))
                    position += header.totalSizeBytes
                }
            }
        } catch let error as GroupCoordinatorError {
            throw error
        } catch {
            throw GroupCoordinatorError(code: .storageFailure, message: "reading \(log.topicPartition) failed: \(error)")
        }
    }

    /// Creates generation `generation` holding `offsetsByGroup` followed by its completion marker. On failure
    /// the partial topic is removed (and would be, as incomplete, at the next start anyway).
    static func createGeneration(
        _ generation: Int64, offsetsByGroup: [String: [TopicPartition: CommittedOffset]],
        logManager: LogManager, configuration: OffsetStoreConfiguration
    ) throws(GroupCoordinatorError) -> (PartitionLog, Int64) {
        let name = Self.topicName(prefix: configuration.topicNamePrefix, generation: generation)
        if logManager.topic(name) != nil { try Self.deleteTopic(name, logManager: logManager) }
        do {
            try logManager.createInternalTopic(name, partitionCount: 1, config: configuration.logConfig)
        } catch {
            throw GroupCoordinatorError(code: .storageFailure, message: "creating \(name) failed: \(error)")
        }
        do {
            let log = try Self.partition(of: name, in: logManager)
            var records: [PendingRecord] = []
            for (groupId, offsets) in offsetsByGroup {
                for (topicPartition, committed) in offsets {
                    records.append(PendingRecord(
                        key: OffsetRecordCodec.commitKey(groupId: groupId, topicPartition: topicPartition),
                        value: OffsetRecordCodec.commitValue(committed), timestampMs: committed.commitTimestampMs
                    ))
                }
            }
            let marker = PendingRecord(
                key: OffsetRecordCodec.markerKey(), value: OffsetRecordCodec.markerValue(generation: generation),
                timestampMs: 0
            )
            try Self.appendInChunks(records + [marker], to: log)
            return (log, Int64(records.count + 1))
        } catch {
            try? logManager.deleteTopic(name)
            throw error
        }
    }

    /// Appends a snapshot a batch at a time, so the log's append buffer stays one batch large.
    private static func appendInChunks(_ records: [PendingRecord], to log: PartitionLog) throws(GroupCoordinatorError) {
        let batchSizeBytesMax = log.config.batchSizeBytesMax
        let chunkRecordCount = 1000
        var start = 0
        while start < records.count {
            let chunk = Array(records[start..<min(start + chunkRecordCount, records.count)])
            let bytes = try Self.encodeBatches(chunk, batchSizeBytesMax: batchSizeBytesMax)
            do {
                _ = try bytes.withUnsafeBytes { try log.appendInternal($0) }
            } catch {
                throw GroupCoordinatorError(code: .storageFailure, message: "writing the offsets snapshot failed: \(error)")
            }
            start += chunkRecordCount
        }
    }

    /// Compacts when the log holds `compactionRatio` times more records than live commits. A failure is
    /// reported and the old generation stays in use: compaction is an optimisation, not a commit's job.
    func compactIfDue(_ state: inout State) {
        let configuration = self.configuration
        guard state.recordCount >= configuration.compactionRecordCountMin,
              state.recordCount > configuration.compactionRatio * Int64(max(state.liveKeyCount, 1))
        else { return }
        do {
            try self.compact(&state)
        } catch {
            self.onEvent("compacting the offsets log failed, keeping generation \(state.generation): \(error)")
        }
    }

    /// Writes every live commit to a new generation and switches to it.
    public func compact() throws(GroupCoordinatorError) {
        try self.state.withLock { (state) throws(GroupCoordinatorError) in try self.compact(&state) }
    }

    private func compact(_ state: inout State) throws(GroupCoordinatorError) {
        let oldLog = state.log
        let oldName = oldLog.topicPartition.topic
        let generation = state.generation + 1
        let (log, recordCount) = try Self.createGeneration(
            generation, offsetsByGroup: state.offsetsByGroup, logManager: self.logManager,
            configuration: self.configuration
        )
        state.log = log
        state.generation = generation
        state.recordCount = recordCount
        self.onEvent("compacted the offsets log into \(log.topicPartition.topic): \(recordCount) records")
        // The old generation goes only once the new one is on disk (until then a restart must find the old
        // one), and after the old one's own pending fsyncs answered their commits.
        let logManager = self.logManager
        let onEvent = self.onEvent
        let oldEndOffset = oldLog.logEndOffset
        let newEndOffset = log.logEndOffset
        oldLog.whenDurable(upTo: oldEndOffset) { _ in
            log.whenDurable(upTo: newEndOffset) { result in
                guard case .success = result else { return }
                do {
                    try logManager.deleteTopic(oldName)
                } catch {
                    onEvent("could not delete \(oldName); the next start will: \(error)")
                }
            }
        }
    }

    private static func partition(of topic: String, in logManager: LogManager) throws(GroupCoordinatorError) -> PartitionLog {
        guard let log = logManager.partition(TopicPartition(topic: topic, partition: PartitionID(0))) else {
            throw GroupCoordinatorError(code: .storageFailure, message: "offsets topic \(topic) has no partition 0")
        }
        return log
    }

    private static func deleteTopic(_ name: String, logManager: LogManager) throws(GroupCoordinatorError) {
        do {
            try logManager.deleteTopic(name)
        } catch {
            throw GroupCoordinatorError(code: .storageFailure, message: "deleting \(name) failed: \(error)")
        }
    }
}
