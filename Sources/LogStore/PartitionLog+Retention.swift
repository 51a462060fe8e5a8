import SluiceModel

/// Retention deletes whole sealed segments from the front of the log; the active segment always stays, so
/// the log end never moves back and the log start only moves forward.
extension PartitionLog {
    /// Deletes the oldest sealed segments that are past the time limit (newest record older than
    /// `retentionMs` before `nowMs`) or that make the log larger than `retentionSizeBytes`. Returns how many.
    /// As in Kafka, retention applies only to topics whose `cleanup.policy` includes `delete`: a `compact` topic
    /// keeps its segments for the log cleaner.
    @discardableResult
    func enforceRetention(nowMs: Int64) throws(StorageError) -> Int {
        let config = self.config
        guard config.cleanupPolicy.contains(.delete) else { return 0 }
        let removed = self.state.withLock { state -> [Segment] in
            guard !state.isClosed else { return [] }
            var totalSizeBytes = state.segments.reduce(Int64(0)) { $0 + $1.sizeBytes }
            var removedCount = 0
            while removedCount < state.segments.count - 1 {
                let oldest = state.segments[removedCount]
                let isExpired = config.retentionMs.map { oldest.maxTimestampMs < nowMs - $0 } ?? false
                let isOverSize = config.retentionSizeBytes.map { totalSizeBytes > $0 } ?? false
                guard isExpired || isOverSize else { break }
                totalSizeBytes -= oldest.sizeBytes
                removedCount += 1
            }
            let removed = Array(state.segments[0..<removedCount])
            state.segments.removeFirst(removedCount)
            self.publishOffsets(
                logStartOffset: state.segments[0].baseOffset, logEndOffset: state.activeSegment.nextOffset
            )
            return removed
        }
        // Files go after the lock is released; readers holding a FileSlice keep their descriptor open.
        for segment in removed {
            try segment.deleteFiles(fileIO: self.fileIO)
            self.onEvent(
                "\(self.topicPartition): retention deleted segment \(segment.baseOffset) "
                    + "(\(segment.sizeBytes) bytes, newest record at \(segment.maxTimestampMs) ms)"
            )
        }
        return removed.count
    }
}
