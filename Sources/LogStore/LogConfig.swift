import SluiceModel

/// When appended data is forced to disk.
public enum FsyncPolicy: Sendable, Equatable, CustomStringConvertible {
    /// The server waits for `PartitionLog.whenDurable` before acknowledging; concurrent waiters share fsyncs.
    case always
    /// The flusher fsyncs partitions with unsynced data every this many milliseconds.
    case interval(milliseconds: Int64)
    /// Only segment rolls, `flushAll` and `close` fsync; the page cache decides the rest.
    case never

    /// Parses `"always"`, `"interval:<ms>"` (ms > 0) or `"never"`.
    public init?(parsing text: String) {
        switch text {
        case "always":
            self = .always
        case "never":
            self = .never
        default:
            let prefix = "interval:"
            guard text.hasPrefix(prefix), let milliseconds = Int64(text.dropFirst(prefix.count)), milliseconds > 0
            else { return nil }
            self = .interval(milliseconds: milliseconds)
        }
    }

    /// The text `init(parsing:)` reads back.
    public var description: String {
        switch self {
        case .always: return "always"
        case .interval(let milliseconds): return "interval:\(milliseconds)"
        case .never: return "never"
        }
    }
}

/// How one topic's partition logs are stored. Broker-wide defaults, overridable per topic (`topic.conf`).
public struct LogConfig: Sendable, Equatable {
    /// A segment rolls before an append would take it past this size (Kafka's `segment.bytes`).
    public var segmentSizeBytes: Int64 = 1024 * 1024 * 1024
    /// A segment rolls once this long has passed since its first append (Kafka's `segment.ms`).
    public var segmentAgeMs: Int64 = 7 * 24 * 60 * 60 * 1000
    /// Sealed segments whose newest record is older than this are deleted; nil keeps them forever.
    public var retentionMs: Int64? = 7 * 24 * 60 * 60 * 1000
    /// Oldest sealed segments are deleted while the partition is larger than this; nil means no size limit.
    public var retentionSizeBytes: Int64?
    /// Bytes of log between sparse index entries (Kafka's `index.interval.bytes`).
    public var indexIntervalBytes = 4096
    /// Kafka's default is flush-never, relying on replication; a single node has no replicas, so Sluice
    /// bounds loss to about a second of appends by default, at the cost of one fsync per partition per second.
    public var fsyncPolicy: FsyncPolicy = .interval(milliseconds: 1000)
    /// The largest batch accepted (Kafka's `max.message.bytes`, whose default this is).
    public var batchSizeBytesMax = 1024 * 1024 + 12

    public init(
        segmentSizeBytes: Int64 = 1024 * 1024 * 1024,
        segmentAgeMs: Int64 = 7 * 24 * 60 * 60 * 1000,
        retentionMs: Int64? = 7 * 24 * 60 * 60 * 1000,
        retentionSizeBytes: Int64? = nil,
        indexIntervalBytes: Int = 4096,
        fsyncPolicy: FsyncPolicy = .interval(milliseconds: 1000),
        batchSizeBytesMax: Int = 1024 * 1024 + 12
    ) {
        self.segmentSizeBytes = segmentSizeBytes
        self.segmentAgeMs = segmentAgeMs
        self.retentionMs = retentionMs
        self.retentionSizeBytes = retentionSizeBytes
        self.indexIntervalBytes = indexIntervalBytes
        self.fsyncPolicy = fsyncPolicy
        self.batchSizeBytesMax = batchSizeBytesMax
    }

    /// Throws `invalidConfig` when a value is outside what the on-disk formats can hold.
    public func validate() throws(StorageError) {
        func require(_ condition: Bool, _ message: String) throws(StorageError) {
            if !condition { throw StorageError(code: .invalidConfig, message: message) }
        }
        // Index positions are 32-bit, and one batch must fit in a segment.
        try require(
            self.segmentSizeBytes >= Int64(self.batchSizeBytesMax)
                && self.segmentSizeBytes <= Limits.segmentSizeBytesMax,
            "segment size \(self.segmentSizeBytes) must be between the batch size limit and "
                + "\(Limits.segmentSizeBytesMax)"
        )
        try require(self.segmentAgeMs > 0, "segment age must be positive")
        try require((self.retentionMs ?? 1) > 0, "retention time must be positive")
        try require((self.retentionSizeBytes ?? 1) > 0, "retention size must be positive")
        try require(self.indexIntervalBytes > 0, "index interval must be positive")
        try require(
            self.batchSizeBytesMax >= 61 && self.batchSizeBytesMax <= Limits.batchSizeBytesMax,
            "batch size limit must be between 61 and \(Limits.batchSizeBytesMax)"
        )
        if case .interval(let milliseconds) = self.fsyncPolicy {
            try require(milliseconds > 0, "fsync interval must be positive")
        }
    }
}
