import SluiceModel
import Synchronization

/// What a partition log has taken in since it was opened, as plain numbers.
///
/// LogStore does not depend on swift-metrics: storage stays free of a process-wide telemetry API, and an
/// append pays two relaxed atomic adds instead of a metrics handler call. The broker reads these stats
/// when it is scraped and turns them into metrics there (`BrokerServer/Metrics`).
public struct PartitionLogStats: Sendable, Equatable {
    /// Offsets taken by appended batches: the records, for batches as producers and operators write them.
    /// An idempotent producer's retry that was answered as a duplicate adds nothing.
    public var appendedRecords: Int64
    /// Bytes of the appended batches, as stored.
    public var appendedBytes: Int64
    /// The next offset to be assigned.
    public var logEndOffset: Int64
    public var logStartOffset: Int64
    /// Damaged ranges found and fenced off since the log was opened (by recovery, reads and the scrubber).
    public var fencedRanges: Int64

    public init(
        appendedRecords: Int64, appendedBytes: Int64, logEndOffset: Int64, logStartOffset: Int64,
        fencedRanges: Int64 = 0
    ) {
        self.appendedRecords = appendedRecords
        self.appendedBytes = appendedBytes
        self.logEndOffset = logEndOffset
        self.logStartOffset = logStartOffset
        self.fencedRanges = fencedRanges
    }
}

extension PartitionLog {
    /// The totals since this log was opened; they start at zero at every broker start (Prometheus treats
    /// the drop as a counter reset).
    public var stats: PartitionLogStats {
        PartitionLogStats(
            appendedRecords: self.appendedRecordsCount.load(ordering: .relaxed),
            appendedBytes: self.appendedBytesCount.load(ordering: .relaxed),
            logEndOffset: self.logEndOffset.rawValue,
            logStartOffset: self.logStartOffset.rawValue,
            fencedRanges: self.fencedRangesCount.load(ordering: .relaxed)
        )
    }

    /// Called once per successful append, after the lock is released: the stats are advisory, so they
    /// need no ordering with the write itself.
    func countAppend(records: Int64, bytes: Int) {
        self.appendedRecordsCount.add(records, ordering: .relaxed)
        self.appendedBytesCount.add(Int64(bytes), ordering: .relaxed)
    }
}
