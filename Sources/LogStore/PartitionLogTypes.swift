import SluiceModel

/// What an append did.
public struct AppendResult: Sendable, Equatable {
    /// The offset stamped on the first record of the first batch.
    public var firstOffset: Offset
    /// The offset of the last record of the last batch.
    public var lastOffset: Offset
    /// -1: Sluice keeps producers' CreateTime; it never rewrites batches to stamp LogAppendTime.
    public var logAppendTimeMs: Int64
    public var logStartOffset: Offset
    /// True when the append was an idempotent producer's retry of a batch already in the log (same producer,
    /// epoch and sequences as one of its last 5): nothing was written, and `firstOffset`/`lastOffset` are the
    /// offsets the original got. The retry is answered with them, as a success.
    public var isDuplicate: Bool

    public init(
        firstOffset: Offset, lastOffset: Offset, logAppendTimeMs: Int64, logStartOffset: Offset,
        isDuplicate: Bool = false
    ) {
        self.firstOffset = firstOffset
        self.lastOffset = lastOffset
        self.logAppendTimeMs = logAppendTimeMs
        self.logStartOffset = logStartOffset
        self.isDuplicate = isDuplicate
    }
}

/// What a read found.
public struct LogReadResult: Sendable {
    /// Whole batches to send as they are; nil when there is nothing to read at the offset (it is the log end,
    /// or the first batch is larger than `maxBytes` and `minOneBatch` was false).
    public var slice: FileSlice?
    /// The log end offset when the read was made (single node: everything appended is committed).
    public var highWatermark: Offset
    public var logStartOffset: Offset
    /// The first offset of the oldest open transaction, or the high watermark when none is open.
    public var lastStableOffset: Offset
    /// For `read_committed` reads: the aborted transactions that overlap the returned range (possibly empty);
    /// nil for `read_uncommitted` reads (Kafka answers null there).
    public var abortedTransactions: [AbortedTransaction]?

    public init(
        slice: FileSlice?, highWatermark: Offset, logStartOffset: Offset, lastStableOffset: Offset? = nil,
        abortedTransactions: [AbortedTransaction]? = nil
    ) {
        self.slice = slice
        self.highWatermark = highWatermark
        self.logStartOffset = logStartOffset
        self.lastStableOffset = lastStableOffset ?? highWatermark
        self.abortedTransactions = abortedTransactions
    }
}

/// Identifies a registered append listener, to remove it.
public struct AppendListenerToken: Hashable, Sendable {
    let identifier: UInt64
}

/// A callback for things worth a log line (recovery, truncation, rebuilt indexes, retention). LogStore
/// does not depend on a logging library; the executable forwards these to its logger.
public typealias StorageEventHandler = @Sendable (String) -> Void
