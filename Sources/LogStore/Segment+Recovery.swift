import RecordFormat
import SluiceModel

/// Bringing a segment's in-memory state back from its files when a log opens: either trust the indexes
/// (after sanity checks) or scan the log, validating each batch, and rebuild them.
extension Segment {
    /// What opening a segment found, for the log's event hook.
    struct LoadReport {
        /// Why the indexes were rebuilt, when they were.
        var indexProblem: String?
        /// Where and why the log was cut short, when it was.
        var truncation: (positionBytes: Int64, discardedBytes: Int64, reason: String)?
    }

    /// Scans the whole log file from the start and rebuilds both indexes. With `validating` each batch's CRC is
    /// checked (recovery after an unclean stop). The log is truncated at the first byte that is not a valid,
    /// contiguous batch: a torn write, a zero-filled tail, a flipped bit.
    func rebuild(validating: Bool, indexIntervalBytes: Int, batchSizeBytesMax: Int) throws(StorageError) -> LoadReport {
        try self.activate()
        self.offsetIndex.removeAll()
        self.timeIndex.removeAll()
        self.restore(
            sizeBytes: 0, nextOffset: self.baseOffset, maxTimestampMs: -1, offsetOfMaxTimestamp: self.baseOffset,
            bytesSinceLastIndexEntry: 0
        )
        let fileSizeBytes = try self.file.sizeBytes()
        var scanner = BatchScanner(
            file: self.file, fromPositionBytes: 0, toPositionBytes: fileSizeBytes, validating: validating,
            batchSizeBytesMax: batchSizeBytesMax, chunkSizeBytes: 1024 * 1024
        )
        var report = LoadReport()
        scanning: while true {
            switch try scanner.next() {
            case .batch(let batch):
                guard batch.baseOffset == self.nextOffset else {
                    let reason = "batch base offset \(batch.baseOffset) where \(self.nextOffset) was expected"
                    report.truncation = (batch.positionBytes, fileSizeBytes - batch.positionBytes, reason)
                    break scanning
                }
                try self.reserveIndexRoom(batchCount: 1)
                self.index(batch, indexIntervalBytes: indexIntervalBytes)
                self.setSizeAfterScan(batch.endPositionBytes)
            case .end:
                break scanning
            case .invalid(let positionBytes, let reason):
                report.truncation = (positionBytes, fileSizeBytes - positionBytes, reason)
                break scanning
            }
        }
        if let truncation = report.truncation {
            try self.file.truncate(toSizeBytes: truncation.positionBytes)
            try self.file.sync(dataOnly: false)
        }
        return report
    }

    /// Loads the segment trusting its indexes when they pass the sanity checks; otherwise rebuilds them by
    /// scanning (without CRC checks: these bytes were synced before the stop). The batches after the last offset
    /// index entry are scanned either way, to find where the segment ends.
    func loadTrustingIndexes(indexIntervalBytes: Int, batchSizeBytesMax: Int) throws(StorageError) -> LoadReport {
        let fileSizeBytes = try self.file.sizeBytes()
        if let problem = self.offsetIndex.sanityProblem(logSizeBytes: fileSizeBytes) {
            return try self.rebuildExplaining(problem, indexIntervalBytes: indexIntervalBytes, batchSizeBytesMax)
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
                        problem, indexIntervalBytes: indexIntervalBytes, batchSizeBytesMax
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
                return try self.rebuildExplaining(problem, indexIntervalBytes: indexIntervalBytes, batchSizeBytesMax)
            }
        }
        if let problem = self.timeIndex.sanityProblem(nextOffset: nextOffset) {
            return try self.rebuildExplaining(problem, indexIntervalBytes: indexIntervalBytes, batchSizeBytesMax)
        }
        if endPositionBytes > 0 && self.timeIndex.entryCount == 0 {
            let problem = "time index of a non-empty segment is empty"
            return try self.rebuildExplaining(problem, indexIntervalBytes: indexIntervalBytes, batchSizeBytesMax)
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
        _ problem: String, indexIntervalBytes: Int, _ batchSizeBytesMax: Int
    ) throws(StorageError) -> LoadReport {
        var report = try self.rebuild(
            validating: false, indexIntervalBytes: indexIntervalBytes, batchSizeBytesMax: batchSizeBytesMax
        )
        report.indexProblem = problem
        return report
    }
}
