import SluiceModel

/// ListOffsets with MAX_TIMESTAMP (-3, KIP-734): the record with the largest timestamp in the partition.
extension PartitionLog {
    /// A record found by timestamp.
    public struct TimestampedOffset: Sendable, Equatable {
        public var offset: Offset
        public var timestampMs: Int64
    }

    /// The first record (in offset order) carrying the largest timestamp of the log, nil when the log holds no
    /// record with a timestamp. Each segment knows its largest timestamp, so only the batches of the segment
    /// that first reached the maximum are scanned: the first record at or after that timestamp is the first
    /// record with it, since no record anywhere is later. Records below the log start are not answered.
    public func offsetOfMaxTimestamp() throws -> TimestampedOffset? {
        let (maxTimestampMs, logStartOffset) = self.state.withLock { state in
            (state.segments.map(\.maxTimestampMs).max() ?? -1, state.logStartOffset)
        }
        guard maxTimestampMs >= 0, let offset = try self.offset(forTimestampMs: maxTimestampMs),
              offset >= logStartOffset
        else { return nil }
        return TimestampedOffset(offset: offset, timestampMs: maxTimestampMs)
    }
}
