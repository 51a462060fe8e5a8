import RecordFormat
import SluiceModel

/// Idempotent producers: the check before an append, and bringing the producer state back when a log opens.
///
/// The state is rebuilt, never trusted blindly: the newest intact `.producers` snapshot at or below the log end
/// is loaded, then the headers of every batch from its offset to the log end are replayed (only the 61-byte
/// headers are read). Snapshots are written when a segment rolls and when the log closes, so the replay covers
/// at most the active segment. After `kill -9`, recovery has already cut the log at the first invalid byte
/// before the replay runs, so the state matches exactly the batches that survived. The same replay brings back
/// open transactions and the aborted-transaction index of the replayed range (`PartitionLog+Transactions.swift`);
/// when a segment below the replay start has no usable `.txnindex`, the replay starts at the log start instead.
extension PartitionLog {
    /// What the producer-state check decided for an append, carried out of the lock.
    enum ProducerCheckedAppend {
        case appended(AppendResult)
        case duplicate(AppendResult)
        case rejected(ProducerStateError)
    }

    /// The largest producer id any batch of this partition carried (-1 for none), for the id allocator.
    public var producerIdMax: Int64 {
        self.state.withLock { $0.producers.producerIdMax }
    }

    /// The sequence of the last record that `producerId` appended here (nil when none of its batches is in
    /// the log): the operator runtime asks it after a crash to learn how much of a batch's output landed.
    public func lastSequence(ofProducer producerId: Int64) -> Int32? {
        self.state.withLock { $0.producers.producers[producerId]?.lastSequence }
    }

    /// How many producers the partition keeps state for.
    public var producerCount: Int {
        self.state.withLock { $0.producers.count }
    }

    // MARK: - Rebuild at open

    /// Loads the newest usable snapshot and replays the batch headers after it. `segments` are recovered.
    static func loadProducerState(
        directory: String, segments: [Segment], topicPartition: TopicPartition, fileIO: FileIO,
        onEvent: StorageEventHandler, onError: StorageEventHandler
    ) throws(StorageError) -> (producers: ProducerStateTable, aborted: AbortedTransactionIndex) {
        let logStartOffset = segments[0].baseOffset
        let logEndOffset = segments[segments.count - 1].nextOffset
        var snapshotOffsets: [Offset] = []
        for entry in try fileIO.listDirectory(directory) where !entry.isDirectory {
            if entry.name.hasSuffix(ProducerStateSnapshotFile.suffix + ".tmp") {
                try fileIO.unlink(directory + "/" + entry.name)  // an interrupted snapshot write
            } else if let offset = ProducerStateSnapshotFile.offset(fromFileName: entry.name) {
                snapshotOffsets.append(offset)
            }
        }
        var table = ProducerStateTable()
        var replayFromOffset = logStartOffset
        var loadedOffset: Offset?
        for offset in snapshotOffsets.sorted(by: >) {
            let path = directory + "/" + ProducerStateSnapshotFile.fileName(offset: offset)
            guard offset <= logEndOffset else {
                // It describes batches recovery cut off: it must never be loaded.
                try fileIO.unlink(path)
                onEvent("\(topicPartition): removed producer snapshot \(offset), past the log end \(logEndOffset)")
                continue
            }
            guard let bytes = try? fileIO.readSmallFile(path, sizeBytesMax: ProducerStateSnapshotFile.sizeBytesMax),
                  let parsed = ProducerStateSnapshotFile.parse(bytes), parsed.offset == offset
            else {
                // Its CRC-32C failed or it does not parse: never trusted; an older snapshot or a replay replaces it.
                onError("\(topicPartition): ignoring damaged or unreadable producer snapshot \(path)")
                continue
            }
            table = parsed.table
            loadedOffset = offset
            replayFromOffset = max(offset, logStartOffset)
            break
        }
        var aborted = AbortedTransactionIndex()
        if let loaded = try Self.loadAbortedTransactionIndexes(
            directory: directory, segments: segments, below: replayFromOffset, topicPartition: topicPartition,
            fileIO: fileIO, onEvent: onEvent, onError: onError
        ) {
            aborted = loaded.index
        } else {
            onEvent("\(topicPartition): an aborted-transaction index is missing or damaged: replaying from the log start")
            table = ProducerStateTable()
            loadedOffset = nil
            replayFromOffset = logStartOffset
        }
        let replayedBatchCount = try Self.replayProducerBatches(
            segments: segments, fromOffset: replayFromOffset, into: &table, aborted: &aborted
        )
        if replayFromOffset < segments[segments.count - 1].baseOffset {
            Self.writeMissingAbortedTransactionIndexes(
                aborted, segments: segments, directory: directory, topicPartition: topicPartition, fileIO: fileIO,
                onEvent: onEvent
            )
        }
        if replayedBatchCount > 0 || !table.producers.isEmpty {
            let source = loadedOffset.map { "snapshot \($0)" } ?? "no snapshot"
            onEvent(
                "\(topicPartition): producer state of \(table.count) producers from \(source) and "
                    + "\(replayedBatchCount) replayed batch headers"
            )
        }
        return (table, aborted)
    }

    /// Reads the header of every batch whose offsets reach `fromOffset` and records the idempotent ones; reads
    /// the one record of each control batch and applies it (aborts go to `aborted`). Returns how many headers
    /// were read.
    private static func replayProducerBatches(
        segments: [Segment], fromOffset: Offset, into table: inout ProducerStateTable,
        aborted: inout AbortedTransactionIndex
    ) throws(StorageError) -> Int {
        var header = [UInt8](repeating: 0, count: RecordBatchHeader.sizeBytes)
        var batchCount = 0
        for segment in segments where segment.nextOffset > fromOffset && !segment.isEmpty {
            var positionBytes = segment.baseOffset >= fromOffset ? 0 : segment.offsetIndex.lookup(fromOffset).positionBytes
            while positionBytes < segment.sizeBytes {
                let file = segment.file
                let readBytes = try header.withUnsafeMutableBytes { buffer in
                    Result { () throws(StorageError) in try file.readFully(into: buffer, at: positionBytes) }
                }.get()
                guard readBytes == RecordBatchHeader.sizeBytes else {
                    throw StorageError(
                        code: .corruptFile, message: "batch header at \(positionBytes) is cut short", path: file.path
                    )
                }
                // Recovery validated these bytes (or they were synced before a clean stop): parse without checks.
                let parsed = header.withUnsafeBytes { bytes in
                    (
                        baseOffset: bytes.readBigEndian(Int64.self, at: 0),
                        sizeBytes: Int(bytes.readBigEndian(Int32.self, at: 8)) + RecordBatchHeader.logOverheadBytes,
                        lastOffsetDelta: bytes.readBigEndian(Int32.self, at: 23),
                        producerId: bytes.readBigEndian(Int64.self, at: 43),
                        producerEpoch: bytes.readBigEndian(Int16.self, at: 51),
                        baseSequence: bytes.readBigEndian(Int32.self, at: 53),
                        attributes: RecordBatchAttributes(
                            rawValue: bytes.readBigEndian(Int16.self, at: RecordBatchHeader.attributesOffset)
                        )
                    )
                }
                guard parsed.sizeBytes >= RecordBatchHeader.sizeBytes else {
                    throw StorageError(
                        code: .corruptFile, message: "batch at \(positionBytes) has a length below a header",
                        path: file.path
                    )
                }
                batchCount += 1
                let lastOffset = Offset(parsed.baseOffset + Int64(parsed.lastOffsetDelta))
                if parsed.attributes.isControl && parsed.producerId >= 0 && lastOffset >= fromOffset {
                    let marker = try Self.readMarker(in: file, at: positionBytes, sizeBytes: parsed.sizeBytes)
                    if let marker, let entry = table.applyMarker(
                        producerId: marker.producerId, producerEpoch: marker.producerEpoch, isCommit: marker.isCommit,
                        markerOffset: Offset(parsed.baseOffset)
                    ) {
                        aborted.append(entry)
                    }
                } else if parsed.producerId >= 0 && parsed.baseSequence >= 0 && parsed.lastOffsetDelta >= 0
                    && lastOffset >= fromOffset
                {
                    let batch = IdempotentBatch(
                        producerId: parsed.producerId, producerEpoch: parsed.producerEpoch,
                        baseSequence: parsed.baseSequence, lastOffsetDelta: parsed.lastOffsetDelta,
                        isTransactional: parsed.attributes.isTransactional
                    )
                    table.record(batch, firstOffset: Offset(parsed.baseOffset), lastOffset: lastOffset)
                }
                positionBytes += Int64(parsed.sizeBytes)
            }
        }
        return batchCount
    }

    /// The marker of the control batch at `positionBytes`, or nil when it is not one (only the broker writes
    /// control batches, so that would be a batch of some future kind, skipped as consumers skip it).
    private static func readMarker(
        in file: SegmentFileHandle, at positionBytes: Int64, sizeBytes: Int
    ) throws(StorageError) -> ControlBatch? {
        guard sizeBytes <= ControlBatch.sizeBytesMax else { return nil }
        var bytes = [UInt8](repeating: 0, count: sizeBytes)
        let readBytes = try bytes.withUnsafeMutableBytes { buffer in
            Result { () throws(StorageError) in try file.readFully(into: buffer, at: positionBytes) }
        }.get()
        guard readBytes == sizeBytes else { return nil }
        return bytes.withUnsafeBytes { try? ControlBatch(parsing: $0) }
    }

    // MARK: - Snapshots

    /// Writes the state as of `offset` (the log end: a roll's new base offset, or the end at close) and removes
    /// all but the newest two snapshots. Returns a description of a failure instead of throwing: a missing
    /// snapshot only makes the next open replay more headers, so it must not fail a roll or a close. Called with
    /// the lock held (the state must be exactly that of the batches below `offset`).
    func writeProducerSnapshot(_ state: inout State, offset: Offset) -> String? {
        precondition(offset == state.activeSegment.nextOffset, "a snapshot is taken at the log end")
        let path = self.directory + "/" + ProducerStateSnapshotFile.fileName(offset: offset)
        do throws(StorageError) {
            try self.fileIO.writeFileAtomically(
                path, ProducerStateSnapshotFile.serialize(state.producers, offset: offset)
            )
            let older = try self.fileIO.listDirectory(self.directory)
                .compactMap { ProducerStateSnapshotFile.offset(fromFileName: $0.name) }
                .filter { $0 < offset }
                .sorted(by: >)
            for stale in older.dropFirst() {
                try self.fileIO.unlink(self.directory + "/" + ProducerStateSnapshotFile.fileName(offset: stale))
            }
            return nil
        } catch {
            return "\(self.topicPartition): could not write producer snapshot \(offset): \(error)"
        }
    }

    // MARK: - The check

    /// Under the lock: decides what to do with an idempotent batch about to go at `firstOffset`.
    static func checkProducer(
        _ batch: IdempotentBatch, table: ProducerStateTable, logStartOffset: Offset
    ) -> ProducerCheckedAppend? {
        switch table.check(batch) {
        case .append:
            return nil
        case .duplicate(let firstOffset, let lastOffset):
            return .duplicate(
                AppendResult(
                    firstOffset: firstOffset, lastOffset: lastOffset, logAppendTimeMs: -1,
                    logStartOffset: logStartOffset, isDuplicate: true
                )
            )
        case .rejected(let error):
            return .rejected(error)
        }
    }
}
