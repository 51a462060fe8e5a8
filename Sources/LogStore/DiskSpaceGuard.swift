import SluiceModel
import Synchronization

/// The free-space floor of one data directory, and the accounting of appends refused for lack of space.
///
/// Below `minFreeBytes` of available space, appends to ordinary topics fail with `StorageError(.diskFull)`
/// before anything is written, so the last bytes of the disk stay for what must not fail: internal topics
/// (names starting with `__`, e.g. the consumer offsets log), the recovery checkpoint, producer snapshots and
/// the index chunks of segments already open. Clients see KAFKA_STORAGE_ERROR and retry; once space is freed
/// (retention, an operator deleting files) appends are accepted again without a restart.
///
/// The check runs on every append, so it must not be a system call each time: `statvfs` is asked at most
/// every `refreshIntervalNs`, and bytes appended since are subtracted from the last answer, which keeps the
/// estimate conservative between refreshes.
public final class DiskSpaceGuard: Sendable {
    /// A floor that leaves room for a few segment rolls and checkpoints on a small disk and is small next
    /// to any production disk.
    public static let defaultMinFreeBytes: Int64 = 64 * 1024 * 1024
    /// How long an answer of `statvfs` is trusted (with appended bytes subtracted).
    static let refreshIntervalNs: UInt64 = 250_000_000
    /// At most one log line per reason per this interval; the lines in between are counted, not lost.
    static let refusalReportIntervalNs: UInt64 = 1_000_000_000

    /// Topics whose appends the floor never refuses: Kafka's convention for internal topics.
    static let internalTopicPrefix = "__"

    public let path: String
    public let minFreeBytes: Int64
    private let fileIO: FileIO
    private let clock: SluiceClock
    private let onEvent: StorageEventHandler
    private let estimate: Mutex<Estimate>
    private let reports: Mutex<[String: RefusalReport]>
    private let refusedAppends = Atomic<Int64>(0)

    struct Estimate {
        var lastSpace: DiskSpace?
        var checkedMonotonicNs: UInt64 = 0
        var appendedBytesSinceCheck: Int64 = 0
    }

    struct RefusalReport {
        var lastReportMonotonicNs: UInt64
        var suppressedCount: Int
    }

    public init(
        path: String, minFreeBytes: Int64, fileIO: FileIO, clock: SluiceClock,
        onEvent: @escaping StorageEventHandler
    ) {
        precondition(minFreeBytes >= 0, "a free-space floor is not negative")
        self.path = path
        self.minFreeBytes = minFreeBytes
        self.fileIO = fileIO
        self.clock = clock
        self.onEvent = onEvent
        self.estimate = Mutex(Estimate())
        self.reports = Mutex([:])
    }

    /// Appends refused for lack of space since the broker started: by the floor or by the disk (ENOSPC).
    public var refusedAppendCount: Int64 { self.refusedAppends.load(ordering: .relaxed) }

    /// The directory's file system now (a fresh `statvfs`, for metrics scrapes); nil when it cannot be read.
    public func currentSpace() -> DiskSpace? {
        try? self.fileIO.diskSpace(self.path)
    }

    static func isInternal(_ topic: String) -> Bool {
        topic.hasPrefix(Self.internalTopicPrefix)
    }

    /// Throws `diskFull` when appending `sizeBytes` to `topicPartition` would take the available space below
    /// the floor (and counts and reports the refusal); internal topics always pass.
    func checkRoom(for topicPartition: TopicPartition, sizeBytes: Int) throws(StorageError) {
        guard let error = self.problem(writingTo: topicPartition.topic, sizeBytes: sizeBytes) else { return }
        self.recordRefusal(of: topicPartition, error: error, reason: "free-space floor", fromDisk: false)
        throw error
    }

    /// The `diskFull` error for writing `sizeBytes` more to `topic` when that would take the available space
    /// below the floor, nil when it would not or the topic is internal. An unreadable `statvfs` lets the write
    /// through: the write itself still reports a really full disk.
    func problem(writingTo topic: String, sizeBytes: Int) -> StorageError? {
        guard self.minFreeBytes > 0, !Self.isInternal(topic) else { return nil }
        let nowNs = self.clock.monotonicNs()
        let availableBytes: Int64? = self.estimate.withLock { estimate in
            let isStale = estimate.lastSpace == nil || nowNs &- estimate.checkedMonotonicNs >= Self.refreshIntervalNs
            if isStale, let space = try? self.fileIO.diskSpace(self.path) {
                estimate.lastSpace = space
                estimate.checkedMonotonicNs = nowNs
                estimate.appendedBytesSinceCheck = 0
            }
            return estimate.lastSpace.map { $0.availableBytes - estimate.appendedBytesSinceCheck }
        }
        guard let availableBytes, availableBytes - Int64(sizeBytes) < self.minFreeBytes else { return nil }
        return StorageError(
            code: .diskFull,
            message: "\(availableBytes) bytes available in \(self.path), below the free-space floor of "
                + "\(self.minFreeBytes) bytes (storage.min_free_bytes): writes to ordinary topics are refused "
                + "until space is freed",
            path: self.path
        )
    }

    /// Counts bytes written since the last `statvfs`, so the estimate shrinks between refreshes.
    func recordAppend(sizeBytes: Int) {
        self.estimate.withLock { $0.appendedBytesSinceCheck += Int64(sizeBytes) }
    }

    /// Counts and reports (rate-limited) an append that failed for lack of space or a storage fault.
    /// `fromDisk`: the file system refused it (ENOSPC), not the floor.
    func recordRefusal(of topicPartition: TopicPartition, error: StorageError, reason: String, fromDisk: Bool = true) {
        if error.code == .diskFull {
            self.refusedAppends.add(1, ordering: .relaxed)
        }
        if error.code == .diskFull && fromDisk {
            // The disk said no whatever the estimate was: ask statvfs again at the next append.
            self.estimate.withLock { $0.lastSpace = nil }
        }
        let nowNs = self.clock.monotonicNs()
        let suppressedCount: Int? = self.reports.withLock { reports in
            if let report = reports[reason], nowNs &- report.lastReportMonotonicNs < Self.refusalReportIntervalNs {
                reports[reason]?.suppressedCount += 1
                return nil
            }
            let suppressed = reports[reason]?.suppressedCount ?? 0
            reports[reason] = RefusalReport(lastReportMonotonicNs: nowNs, suppressedCount: 0)
            return suppressed
        }
        guard let suppressedCount else { return }
        var line = "append to \(topicPartition) refused (\(reason)): \(error)"
        if suppressedCount > 0 { line += "; \(suppressedCount) more refused since the last report" }
        self.onEvent(line)
    }
}
