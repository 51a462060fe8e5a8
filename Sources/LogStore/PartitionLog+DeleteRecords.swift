import SluiceModel

/// DeleteRecords: moving the log start forward on request. The new start is stored in `LogStartOffsetFile`
/// before it is published (so an answered request survives a crash), reads below it fail with
/// `offsetOutOfRange`, and the sealed segments that end at or before it are deleted at once. The segment that
/// holds the new start stays whole: its records below the start are no longer served by offset lookups
/// (`read`, `offset(forTimestampMs:)`), and go when retention or a later DeleteRecords removes the segment.
extension PartitionLog {
    /// Moves the log start to `offset` (the log end when `offset` is nil) and returns the log start afterwards
    /// (Kafka's "low watermark"). An offset at or below the current start changes nothing. Throws
    /// `offsetOutOfRange` for an offset past the log end (or negative), and storage errors when the start cannot
    /// be stored; the log start then does not move.
    @discardableResult
    public func deleteRecords(before offset: Offset?) throws(StorageError) -> Offset {
        let (logStartOffset, removed) = try self.state.withLock { (state) throws(StorageError) -> (Offset, [Segment]) in
            if state.isClosed { throw StorageError(code: .closed, message: "log \(self.topicPartition) is closed") }
            let logEndOffset = state.activeSegment.nextOffset
            let target = offset ?? logEndOffset
            guard target.rawValue >= 0 && target <= logEndOffset else {
                throw StorageError.offsetOutOfRange(target, logStartOffset: state.logStartOffset, logEndOffset: logEndOffset)
            }
            guard target > state.logStartOffset else { return (state.logStartOffset, []) }
            // Stored first, under the lock so that two requests store their offsets in order: a crash after the
            // answer must not bring the deleted records back. DeleteRecords is rare; appends wait one fsync.
            try self.fileIO.writeFileAtomically(
                self.directory + "/" + LogStartOffsetFile.fileName, LogStartOffsetFile.serialize(target)
            )
            state.deletedBeforeOffset = target
            var removedCount = 0
            while removedCount < state.segments.count - 1 && state.segments[removedCount + 1].baseOffset <= target {
                removedCount += 1
            }
            let removed = Array(state.segments[0..<removedCount])
            state.segments.removeFirst(removedCount)
            self.publishOffsets(logStartOffset: state.logStartOffset, logEndOffset: logEndOffset)
            return (state.logStartOffset, removed)
        }
        // Files go after the lock is released; readers holding a FileSlice keep their descriptor open.
        for segment in removed {
            try segment.deleteFiles(fileIO: self.fileIO)
        }
        if let offset {
            self.onEvent("\(self.topicPartition): records before \(offset) deleted on request, \(removed.count) segments removed")
        }
        return logStartOffset
    }

    /// The bytes of the partition's segment logs, as DescribeLogDirs reports them (Kafka counts the `.log` files
    /// too, not the indexes).
    public var sizeBytes: Int64 {
        self.state.withLock { state in state.segments.reduce(Int64(0)) { $0 + $1.sizeBytes } }
    }
}
