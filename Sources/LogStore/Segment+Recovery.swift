import RecordFormat
import SluiceModel

/// Bringing a segment's in-memory state back from its files when a log opens: either trust the indexes
/// (after sanity checks) or scan the log, validating each batch, and rebuild them, fencing what fails.
extension Segment {
    /// What opening a segment found, for the log's event hook.
    struct LoadReport {
        /// Why the indexes were rebuilt, when they were.
        var indexProblem: String?
        /// Where and why the log was cut short, when it was (only ever the active segment's unsynced tail).
        var truncation: (positionBytes: Int64, discardedBytes: Int64, reason: String)?
        /// Damage kept in place and fenced off (reported at error level).
        var fences: [FencedRange] = []
    }

    /// Where a segment's scan must stop and what it may cut.
    struct ScanBounds {
        /// The next segment's base offset when this segment is sealed: its batches end exactly there, and its
        /// damage is fenced, never cut. Nil for the active (last) segment.
        var sealedEndOffset: Offset?
        /// The offset below which the log was known to be synced (the checkpoint's recovery point), when known.
        /// Damage in the active segment below it is fenced rather than cut: those batches were acknowledged.
        var durableOffset: Offset?

        static let active = ScanBounds(sealedEndOffset: nil, durableOffset: nil)
    }

    /// Scans the whole log file from the start and rebuilds both indexes. With `validating` each batch's CRC is
    /// checked (recovery after an unclean stop). Bytes that are not a valid, contiguous batch are fenced off
    /// (`FencedRange`) when an intact batch follows them, when the segment is sealed, or when they lie below the
    /// durable offset; only the active segment's tail past its last intact batch, written since the last durable
    /// point (a torn write, a zero-filled tail), is truncated.
    func rebuild(
        validating: Bool, indexIntervalBytes: Int, batchSizeBytesMax: Int, bounds: ScanBounds
    ) throws(StorageError) -> LoadReport {
        try self.activate()
        self.offsetIndex.removeAll()
        self.timeIndex.removeAll()
        self.restore(
            sizeBytes: 0, nextOffset: self.baseOffset, maxTimestampMs: -1, offsetOfMaxTimestamp: self.baseOffset,
            bytesSinceLastIndexEntry: 0
        )
        let fileSizeBytes = try self.file.sizeBytes()
        var report = LoadReport()
        var positionBytes: Int64 = 0
        while true {
            guard let damage = try self.scanIndexing(
                fromPositionBytes: positionBytes, toPositionBytes: fileSizeBytes, validating: validating,
                indexIntervalBytes: indexIntervalBytes, batchSizeBytesMax: batchSizeBytesMax, bounds: bounds
            ) else { break }
            let fence = try Self.damagedRange(
                in: self.file, at: damage.positionBytes, expectedOffset: self.nextOffset,
                searchEndOffset: bounds.sealedEndOffset, endOffset: bounds.sealedEndOffset ?? max(bounds.durableOffset ?? self.nextOffset, self.nextOffset),
                endPositionBytes: fileSizeBytes, batchSizeBytesMax: batchSizeBytesMax, reason: damage.reason
            )
            let isTail = fence.endPositionBytes == fileSizeBytes
            if isTail && bounds.sealedEndOffset == nil && fence.endOffset == fence.firstOffset {
                // The active segment's tail after its last intact batch, past anything known to be durable: what
                // a crash leaves of writes in flight. Kafka cuts it too.
                report.truncation = (damage.positionBytes, fileSizeBytes - damage.positionBytes, damage.reason)
                break
            }
            self.skipDuringScan(fence, indexIntervalBytes: indexIntervalBytes)
            report.fences.append(fence)
            if isTail { break }
            positionBytes = fence.endPositionBytes
        }
        if let sealedEndOffset = bounds.sealedEndOffset, self.nextOffset < sealedEndOffset {
            // The file ends before the next segment starts: those offsets' bytes are gone (or were never here,
            // after a crash of an older version while deleting segments). Fence them; delete nothing.
            let missing = FencedRange(
                firstOffset: self.nextOffset, endOffset: sealedEndOffset, positionBytes: self.sizeBytes,
                endPositionBytes: self.sizeBytes,
                reason: "segment ends at offset \(self.nextOffset) but the next one starts at \(sealedEndOffset)"
            )
            self.skipDuringScan(missing, indexIntervalBytes: indexIntervalBytes)
            report.fences.append(missing)
        }
        if let truncation = report.truncation {
            try self.file.truncate(toSizeBytes: truncation.positionBytes)
            try self.file.sync(dataOnly: false)
        }
        if validating {
            self.markVerified(fromPositionBytes: 0, toPositionBytes: self.sizeBytes, nextOffset: self.nextOffset)
        }
        return report
    }

    /// Indexes intact, contiguous batches from `positionBytes` on; returns where and why the first bad one is,
    /// or nil when the scan reached `endBytes`.
    private func scanIndexing(
        fromPositionBytes positionBytes: Int64, toPositionBytes endBytes: Int64, validating: Bool,
        indexIntervalBytes: Int, batchSizeBytesMax: Int, bounds: ScanBounds
    ) throws(StorageError) -> (positionBytes: Int64, reason: String)? {
        var scanner = BatchScanner(
            file: self.file, fromPositionBytes: positionBytes, toPositionBytes: endBytes, validating: validating,
            batchSizeBytesMax: batchSizeBytesMax, chunkSizeBytes: 1024 * 1024
        )
        while true {
            switch try scanner.next() {
            case .batch(let batch):
                guard batch.baseOffset == self.nextOffset else {
                    return (batch.positionBytes, "batch base offset \(batch.baseOffset) where \(self.nextOffset) was expected")
                }
                if let sealedEndOffset = bounds.sealedEndOffset, batch.nextOffset > sealedEndOffset {
                    return (batch.positionBytes, "batch ends at \(batch.lastOffset), past the next segment's start")
                }
                try self.reserveIndexRoom(batchCount: 1)
                self.index(batch, indexIntervalBytes: indexIntervalBytes)
                self.setSizeAfterScan(batch.endPositionBytes)
            case .end:
                return nil
            case .invalid(let positionBytes, let reason):
                return (positionBytes, reason)
            }
        }
    }

    /// Loads the segment trusting its indexes when they pass the sanity checks; otherwise rebuilds them by
    /// scanning (without CRC checks: these bytes were synced before the stop). The batches after the last offset
    /// index entry are scanned either way, to find where the segment ends; a sealed segment must end exactly
    /// where the next one starts.
    func loadTrustingIndexes(
        indexIntervalBytes: Int, batchSizeBytesMax: Int, bounds: ScanBounds
    ) throws(StorageError) -> LoadReport {
        let fileSizeBytes = try self.file.sizeBytes()
        if let problem = self.offsetIndex.sanityProblem(logSizeBytes: fileSizeBytes) {
            return try self.rebuildExplaining(problem, indexIntervalBytes: indexIntervalBytes, batchSizeBytesMax, bounds)
        }
        let lastEntry = self.offsetIndex.lookup(Offset(Int64.max))
        var scanner = BatchScanner(
            file: self.file, fromPositionBytes: lastEntry.positionBytes, toPositionBytes: fileSizeBytes,
            validating: false, batchSizeBytesMax: batchSizeBytesMax
        )
        var nextOffset = lastEntry.offset
        var endPositionBytes = lastEntry.positionBytes
        var tailMaxTimestampMs: Int64 = -1
        var tailOffsetOfMaxTimestamp = lastEntry.offset
        scanning: while true {
            switch try scanner.next() {
            case .batch(let batch):
                guard batch.baseOffset == nextOffset else {
                    let problem = "batch at \(batch.positionBytes) has offset \(batch.baseOffset), not \(nextOffset)"
                    return try self.rebuildExplaining(
                        problem, indexIntervalBytes: indexIntervalBytes, batchSizeBytesMax, bounds
                    )
                }
                if batch.maxTimestampMs > tailMaxTimestampMs {
                    tailMaxTimestampMs = batch.maxTimestampMs
                    tailOffsetOfMaxTimestamp = batch.baseOffset
                }
                nextOffset = batch.nextOffset
                endPositionBytes = batch.endPositionBytes
            case .end:
                break scanning
            case .invalid(let positionBytes, let reason):
                let problem = "invalid batch at \(positionBytes) after the last index entry: \(reason)"
                return try self.rebuildExplaining(problem, indexIntervalBytes: indexIntervalBytes, batchSizeBytesMax, bounds)
            }
        }
        if let problem = self.timeIndex.sanityProblem(nextOffset: nextOffset) {
            return try self.rebuildExplaining(problem, indexIntervalBytes: indexIntervalBytes, batchSizeBytesMax, bounds)
        }
        if let sealedEndOffset = bounds.sealedEndOffset, nextOffset != sealedEndOffset {
            let problem = "segment ends at offset \(nextOffset) but the next one starts at \(sealedEndOffset)"
            return try self.rebuildExplaining(problem, indexIntervalBytes: indexIntervalBytes, batchSizeBytesMax, bounds)
        }
        if endPositionBytes > 0 && self.timeIndex.entryCount == 0 {
            let problem = "time index of a non-empty segment is empty"
            return try self.rebuildExplaining(problem, indexIntervalBytes: indexIntervalBytes, batchSizeBytesMax, bounds)
        }
        var maxTimestampMs = tailMaxTimestampMs
        var offsetOfMaxTimestamp = tailOffsetOfMaxTimestamp
        if self.timeIndex.entryCount > 0 {
            let last = self.timeIndex.entry(self.timeIndex.entryCount - 1)
            if last.timestampMs >= maxTimestampMs {
                maxTimestampMs = last.timestampMs
                offsetOfMaxTimestamp = last.offset
            }
        }
        self.restore(
            sizeBytes: endPositionBytes, nextOffset: nextOffset, maxTimestampMs: maxTimestampMs,
            offsetOfMaxTimestamp: offsetOfMaxTimestamp,
            bytesSinceLastIndexEntry: Int(endPositionBytes - lastEntry.positionBytes)
        )
        return LoadReport()
    }

    private func rebuildExplaining(
        _ problem: String, indexIntervalBytes: Int, _ batchSizeBytesMax: Int, _ bounds: ScanBounds
    ) throws(StorageError) -> LoadReport {
        var report = try self.rebuild(
            validating: false, indexIntervalBytes: indexIntervalBytes, batchSizeBytesMax: batchSizeBytesMax,
            bounds: bounds
        )
        report.indexProblem = problem
        return report
    }
}
