import RecordFormat
import SluiceModel

/// Reads: the lock is held only to pick the segment and look up the sparse indexes; the scan of batch headers
/// that follows reads the file outside it, up to the segment size seen under the lock, stopping at fenced
/// (damaged) ranges. What a read returns beyond its segment's verified prefix has its CRCs checked once
/// (`PartitionLog+Fences.swift`); the bytes are then sent as they are.
extension PartitionLog {
    /// Where a read scans, fixed under the lock.
    struct ScanStart {
        var file: SegmentFileHandle
        var positionBytes: Int64
        var segmentSizeBytes: Int64
        /// A batch boundary at most `maxBytes` after `positionBytes`, from the offset index: the read can skip
        /// there once it has found its first batch, since everything before is whole batches that fit.
        var skipToPositionBytes: Int64?
        var segmentBaseOffset: Offset = .zero
        /// The base offset of the batch at `positionBytes` (to place damage found by the scan).
        var startOffset: Offset = .zero
        var segmentEndOffset: Offset = .zero
        /// The segment's CRC-verified prefix (`Segment.verifiedEnd`) when the read started.
        var verifiedEnd: (positionBytes: Int64, offset: Offset) = (0, .zero)
        /// Batches starting at or after this offset are not returned: the LSO for `read_committed` reads.
        var readEndOffset = Offset(Int64.max)
    }

    /// Whole batches starting at the batch that contains `offset`, up to `maxBytes`; at least one whole batch
    /// when `minOneBatch` (so a batch larger than `maxBytes` still makes progress). Reads one segment only.
    /// Throws `offsetOutOfRange` when `offset` is below the log start or past the log end, and `corruptMessage`
    /// when `offset` is in a fenced (damaged) range; a read starting before a fence stops at it, one starting
    /// after it is served from the next intact batch.
    ///
    /// `readCommitted` returns only batches below the last stable offset (nothing, without error, from there to
    /// the log end) and the aborted transactions that overlap the range it could return.
    public func read(
        from offset: Offset, maxBytes: Int, minOneBatch: Bool, isolation: IsolationLevel = .readUncommitted
    ) throws -> LogReadResult {
        try self.read(from: offset, maxBytes: maxBytes, minOneBatch: minOneBatch, isolation: isolation, isRetry: false)
    }

    /// A read that found new damage before its first batch is retried once, with the damage fenced: it then
    /// starts after the fence or answers `corruptMessage`.
    private func read(
        from offset: Offset, maxBytes: Int, minOneBatch: Bool, isolation: IsolationLevel, isRetry: Bool
    ) throws -> LogReadResult {
        var lastStableOffset = Offset.zero
        var aborted: [AbortedTransaction]?
        let (start, logStartOffset, logEndOffset) = try self.state.withLock { (state) throws(StorageError) in
            let logStartOffset = state.logStartOffset
            let logEndOffset = state.activeSegment.nextOffset
            guard offset >= logStartOffset && offset <= logEndOffset else {
                throw StorageError.offsetOutOfRange(offset, logStartOffset: logStartOffset, logEndOffset: logEndOffset)
            }
            lastStableOffset = state.producers.firstUnstableOffset ?? logEndOffset
            if isolation == .readCommitted { aborted = [] }
            // A read_committed read ends at the LSO, which is always a batch's first offset or the log end.
            let readEndOffset = isolation == .readCommitted ? lastStableOffset : logEndOffset
            if offset >= readEndOffset { return (ScanStart?.none, logStartOffset, logEndOffset) }
            let segment = Self.segment(containing: offset, in: state.segments)
            let entry = segment.offsetIndex.lookup(offset)
            // Fences are nearly always absent; when present they bound the scan so damaged bytes are never sent.
            guard let range = segment.readableRange(from: offset, indexEntry: entry) else {
                throw Self.fencedError(segment.fence(containing: offset)!, offset: offset, in: self.topicPartition)
            }
            var readEndBytes = min(range.startBytes + min(Int64(max(maxBytes, 0)), segment.sizeBytes), range.endBytes)
            if readEndOffset < segment.nextOffset {
                // The skip must not pass the LSO's batch: the scan stops there.
                readEndBytes = min(readEndBytes, segment.offsetIndex.lookup(readEndOffset).positionBytes)
            }
            var start = ScanStart(
                file: segment.file, positionBytes: range.startBytes, segmentSizeBytes: range.endBytes,
                skipToPositionBytes: segment.offsetIndex.lastPosition(atOrBefore: readEndBytes),
                segmentBaseOffset: segment.baseOffset, startOffset: range.startOffset,
                segmentEndOffset: segment.nextOffset, verifiedEnd: segment.verifiedEnd
            )
            start.readEndOffset = readEndOffset
            if isolation == .readCommitted {
                aborted = state.abortedTransactions.overlapping(
                    fromOffset: offset, upperBound: min(readEndOffset, segment.nextOffset)
                )
            }
            return (start, logStartOffset, logEndOffset)
        }
        var result = LogReadResult(
            slice: nil, highWatermark: logEndOffset, logStartOffset: logStartOffset, lastStableOffset: lastStableOffset,
            abortedTransactions: aborted
        )
        guard let start else { return result }
        var scanner = BatchScanner(
            file: start.file, fromPositionBytes: start.positionBytes, toPositionBytes: start.segmentSizeBytes,
            validating: false, chunkSizeBytes: 4096
        )
        var first: StoredBatch?
        var endPositionBytes: Int64 = 0
        // The offset the next batch should start at, to place damage; unknown after a skip over whole batches.
        var expectedOffset: Offset? = start.startOffset
        let retry = { [self] () throws -> LogReadResult in
            try self.read(from: offset, maxBytes: maxBytes, minOneBatch: minOneBatch, isolation: isolation, isRetry: true)
        }
        scanning: while true {
            switch try scanner.next() {
            case .batch(let batch):
                guard batch.baseOffset < start.readEndOffset else { break scanning }
                expectedOffset = expectedOffset.map { _ in batch.nextOffset }
                if let first {
                    guard batch.endPositionBytes - first.positionBytes <= Int64(maxBytes) else { break scanning }
                    endPositionBytes = batch.endPositionBytes
                } else if batch.lastOffset >= offset {
                    guard batch.sizeBytes <= maxBytes || minOneBatch else { break scanning }
                    first = batch
                    endPositionBytes = batch.endPositionBytes
                    if let skipTo = start.skipToPositionBytes, skipTo > endPositionBytes {
                        scanner.skip(toPositionBytes: skipTo)
                        endPositionBytes = skipTo
                        expectedOffset = nil
                    }
                }
            case .end:
                break scanning
            case .invalid(let positionBytes, let reason):
                // Damage in a header the scan walks through: fence it as the scrubber would (CRCs of what is
                // returned are checked below, once per start). Serve what came before it; a read that has
                // nothing yet is retried once the fence is in place, and then answers CORRUPT_MESSAGE or starts
                // after the fence.
                guard let expectedOffset else { break scanning }
                let fence = try Segment.damagedRange(
                    in: start.file, at: positionBytes, expectedOffset: expectedOffset,
                    searchEndOffset: start.segmentEndOffset, endOffset: start.segmentEndOffset,
                    endPositionBytes: start.segmentSizeBytes, batchSizeBytesMax: self.config.batchSizeBytesMax,
                    reason: reason
                )
                let isNew = self.recordFence(fence, segmentBaseOffset: start.segmentBaseOffset, foundBy: "a read")
                guard first == nil else { break scanning }
                if isNew && !isRetry { return try retry() }
                throw Self.fencedError(fence, offset: offset, in: self.topicPartition)
            }
        }
        if let found = first, endPositionBytes > start.verifiedEnd.positionBytes {
            switch try self.verifyOnce(from: found, to: endPositionBytes, start: start) {
            case .intact:
                break
            case .damaged(let positionBytes, let fence):
                if positionBytes > found.positionBytes {
                    endPositionBytes = positionBytes  // serve the intact batches before the damage
                } else if !isRetry {
                    return try retry()
                } else {
                    throw Self.fencedError(fence, offset: offset, in: self.topicPartition)
                }
            }
        }
        if let first {
            result.slice = FileSlice(
                file: start.file, positionBytes: first.positionBytes,
                sizeBytes: Int(endPositionBytes - first.positionBytes)
            )
        }
        return result
    }

    /// The first offset whose record timestamp is at or after `timestampMs`, or nil when no record is that
    /// recent (the caller then answers the log end offset, as Kafka does).
    /// Records below the log start (moved there by DeleteRecords) are not answered: the log start is.
    public func offset(forTimestampMs timestampMs: Int64) throws -> Offset? {
        let (candidates, logStartOffset) = self.state.withLock { state -> ([ScanStart], Offset) in
            let candidates = state.segments.filter { $0.maxTimestampMs >= timestampMs }.map { segment in
                let startOffset = segment.timeIndex.lookupStart(forTimestampMs: timestampMs)
                let entry = segment.offsetIndex.lookup(startOffset)
                return ScanStart(
                    file: segment.file, positionBytes: entry.positionBytes, segmentSizeBytes: segment.sizeBytes,
                    skipToPositionBytes: nil
                )
            }
            return (candidates, state.logStartOffset)
        }
        for candidate in candidates {
            if let offset = try self.firstOffset(atOrAfterTimestampMs: timestampMs, scanning: candidate) {
                return max(offset, logStartOffset)
            }
        }
        return nil
    }

    private func firstOffset(atOrAfterTimestampMs timestampMs: Int64, scanning start: ScanStart) throws -> Offset? {
        var scanner = BatchScanner(
            file: start.file, fromPositionBytes: start.positionBytes, toPositionBytes: start.segmentSizeBytes,
            validating: false, chunkSizeBytes: 4096
        )
        while case .batch(let batch) = try scanner.next() {
            guard batch.maxTimestampMs >= timestampMs else { continue }
            var bytes = [UInt8](repeating: 0, count: batch.sizeBytes)
            let count = try bytes.withUnsafeMutableBytes { (buffer) throws(StorageError) in
                try start.file.readFully(into: buffer, at: batch.positionBytes)
            }
            guard count == batch.sizeBytes else { return nil }
            let found = try bytes.withUnsafeBytes { buffer in
                try RecordBatchTimestampSearch.firstOffset(atOrAfterTimestampMs: timestampMs, inBatch: buffer)
            }
            if let found { return Offset(found) }
        }
        return nil
    }

    /// The segment whose range holds `offset` (the last one starting at or before it).
    static func segment(containing offset: Offset, in segments: [Segment]) -> Segment {
        var low = 0
        var high = segments.count
        // Invariant: segments before `low` start at or before `offset`; segments from `high` on start after it.
        while low < high {
            let middle = (low + high) / 2
            if segments[middle].baseOffset <= offset {
                low = middle + 1
            } else {
                high = middle
            }
        }
        precondition(low > 0, "offset below the first segment")
        return segments[low - 1]
    }
}
