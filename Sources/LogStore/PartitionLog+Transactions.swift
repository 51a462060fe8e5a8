import RecordFormat
import SluiceModel

/// Transactions on one partition (`Docs/decisions/0004-transactions.md`): markers written for the coordinator,
/// the last stable offset, and the aborted-transaction index: in memory (`AbortedTransactionIndex`), on disk one
/// `.txnindex` per segment (`AbortedTransactionIndexFile`), written when a segment is sealed and when the log
/// closes, and brought back at open from those files plus the same replay that rebuilds the producer state.
extension PartitionLog {
    /// Which records a read may return.
    public enum IsolationLevel: Sendable, Equatable {
        /// Everything up to the high watermark, open and aborted transactions included.
        case readUncommitted
        /// Only below the last stable offset, with the aborted transactions that overlap what is returned.
        case readCommitted
    }

    /// Writes the control batch that ends `marker.producerId`'s transaction on this partition: a commit makes its
    /// batches visible to `read_committed` readers, an abort adds it to the aborted index. A marker for a
    /// producer with no open transaction here is written and changes nothing but the epoch (the coordinator
    /// writes markers to every partition it was told of). A marker with a newer epoch fences the older producer
    /// (its next batches get INVALID_PRODUCER_EPOCH); one with an older epoch is refused
    /// (`ProducerStateError.invalidProducerEpoch`). The broker's own path: takes internal topics too.
    public func appendTransactionMarker(_ marker: ControlBatch, timestampMs: Int64) throws -> AppendResult {
        let batch = marker.encode(timestampMs: timestampMs)
        return try batch.withUnsafeBytes { try self.appendAny($0, allowingControlBatch: true) }
    }

    /// The offset below which every transaction is decided: the first offset of the oldest open transaction,
    /// or the log end when none is open.
    public var lastStableOffset: Offset {
        self.state.withLock { state in state.producers.firstUnstableOffset ?? state.activeSegment.nextOffset }
    }

    /// The first offset of `producerId`'s open transaction here, or nil.
    public func openTransactionFirstOffset(ofProducer producerId: Int64) -> Offset? {
        self.state.withLock { $0.producers.ongoingTransactions[producerId] }
    }

    /// How many aborted transactions the partition's index holds (all segments).
    public var abortedTransactionCount: Int {
        self.state.withLock { $0.abortedTransactions.count }
    }

    // MARK: - Writing the index files

    /// At a roll: the sealed segment's `.txnindex`, then the producer snapshot (in that order, so a crash between
    /// them leaves an older snapshot, whose replay covers the segment). Returns problems instead of throwing:
    /// both files are rebuilt from the log when missing. Called with the lock held.
    func writeStateFilesAtRoll(_ state: inout State, newBaseOffset: Offset) -> String? {
        var problems: [String] = []
        state.abortedTransactions.removeEntries(markersBelow: state.segments[0].baseOffset)
        if state.segments.count >= 2 {
            let sealed = state.segments[state.segments.count - 2]
            if sealed.nextOffset == newBaseOffset, let problem = self.writeAbortedTransactionIndex(state, of: sealed) {
                problems.append(problem)
            }
        }
        if let problem = self.writeProducerSnapshot(&state, offset: newBaseOffset) { problems.append(problem) }
        return problems.isEmpty ? nil : problems.joined(separator: "; ")
    }

    /// At close: the active segment's `.txnindex`, then the producer snapshot at the log end.
    func writeStateFilesAtClose(_ state: inout State) -> String? {
        var problems: [String] = []
        if let problem = self.writeAbortedTransactionIndex(state, of: state.activeSegment) { problems.append(problem) }
        if let problem = self.writeProducerSnapshot(&state, offset: state.activeSegment.nextOffset) {
            problems.append(problem)
        }
        return problems.isEmpty ? nil : problems.joined(separator: "; ")
    }

    private func writeAbortedTransactionIndex(_ state: State, of segment: Segment) -> String? {
        Self.writeAbortedTransactionIndex(
            state.abortedTransactions, of: segment, directory: self.directory, fileIO: self.fileIO
        ).map { "\(self.topicPartition): \($0)" }
    }

    static func writeAbortedTransactionIndex(
        _ index: AbortedTransactionIndex, of segment: Segment, directory: String, fileIO: FileIO
    ) -> String? {
        let contents = AbortedTransactionIndexFile.Contents(
            segmentBaseOffset: segment.baseOffset, coveredEndOffset: segment.nextOffset,
            entries: Array(index.entries(markersFrom: segment.baseOffset, to: segment.nextOffset))
        )
        let path = directory + "/" + AbortedTransactionIndexFile.fileName(segmentBaseOffset: segment.baseOffset)
        do throws(StorageError) {
            try fileIO.writeFileAtomically(path, AbortedTransactionIndexFile.serialize(contents))
            return nil
        } catch {
            return "could not write aborted-transaction index \(path): \(error)"
        }
    }

    // MARK: - Loading at open

    /// The entries of every segment's `.txnindex` whose marker is below `replayFromOffset` (the replay brings
    /// the rest), or nil when a file that should hold some of them is missing, damaged or covers too little:
    /// the caller then replays from the log start. Removes leftover temporary files.
    static func loadAbortedTransactionIndexes(
        directory: String, segments: [Segment], below replayFromOffset: Offset, topicPartition: TopicPartition,
        fileIO: FileIO, onEvent: StorageEventHandler, onError: StorageEventHandler
    ) throws(StorageError) -> (index: AbortedTransactionIndex, missing: [Offset])? {
        for entry in try fileIO.listDirectory(directory)
        where !entry.isDirectory && entry.name.hasSuffix(AbortedTransactionIndexFile.suffix + ".tmp") {
            try fileIO.unlink(directory + "/" + entry.name)  // an interrupted write
        }
        var index = AbortedTransactionIndex()
        var missing: [Offset] = []
        for segment in segments where !segment.isEmpty {
            guard segment.baseOffset < replayFromOffset else { continue }
            let path = directory + "/" + AbortedTransactionIndexFile.fileName(segmentBaseOffset: segment.baseOffset)
            let bytes = fileIO.fileExists(path)
                ? try? fileIO.readSmallFile(path, sizeBytesMax: AbortedTransactionIndexFile.sizeBytesMax) : nil
            let contents = bytes.flatMap {
                AbortedTransactionIndexFile.parse($0, segmentBaseOffset: segment.baseOffset)
            }
            if bytes != nil && contents == nil {
                onError("\(topicPartition): ignoring damaged aborted-transaction index \(path)")
            }
            let neededEndOffset = min(segment.nextOffset, replayFromOffset)
            guard let contents, contents.coveredEndOffset >= neededEndOffset else {
                missing.append(segment.baseOffset)
                continue
            }
            for entry in contents.entries where entry.lastOffset < neededEndOffset {
                index.append(entry)
            }
        }
        return missing.isEmpty ? (index, []) : nil
    }

    /// Writes the `.txnindex` of every sealed segment that has none (or a damaged or short one) after the
    /// replay rebuilt its entries; failures are reported, the next open rebuilds again.
    static func writeMissingAbortedTransactionIndexes(
        _ index: AbortedTransactionIndex, segments: [Segment], directory: String, topicPartition: TopicPartition,
        fileIO: FileIO, onEvent: StorageEventHandler
    ) {
        for segment in segments.dropLast() where !segment.isEmpty {
            let path = directory + "/" + AbortedTransactionIndexFile.fileName(segmentBaseOffset: segment.baseOffset)
            let existing = try? fileIO.readSmallFile(path, sizeBytesMax: AbortedTransactionIndexFile.sizeBytesMax)
            let contents = existing.flatMap {
                AbortedTransactionIndexFile.parse($0, segmentBaseOffset: segment.baseOffset)
            }
            if let contents, contents.coveredEndOffset >= segment.nextOffset { continue }
            if let problem = Self.writeAbortedTransactionIndex(
                index, of: segment, directory: directory, fileIO: fileIO
            ) {
                onEvent("\(topicPartition): \(problem)")
            }
        }
    }
}
