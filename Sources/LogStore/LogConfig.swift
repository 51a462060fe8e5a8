import RecordFormat
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
    /// Deletion by retention, compaction (not built yet: see `CleanupPolicy`) or both (Kafka's `cleanup.policy`).
    public var cleanupPolicy: CleanupPolicy = .delete
    /// The log cleaner's bounds (`LogConfig+TopicPolicies.swift`).
    public var compaction = Compaction()
    /// Which timestamps batches carry and how far from the broker's clock they may be.
    public var timestampPolicy = TimestampPolicy()

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

    /// A field of `LogConfig`, so that a broken rule can name the settings it involves; the broker maps each
    /// to its config key (`LogSettings.configKey(for:)`), topic configs to theirs.
    public enum Setting: String, Sendable, CaseIterable {
        case segmentSizeBytes, segmentAgeMs, retentionMs, retentionSizeBytes, indexIntervalBytes, fsyncPolicy
        case batchSizeBytesMax
    }

    /// A rule the configuration breaks: the settings that clash (one for a value out of range, two or more
    /// for values that do not fit together) and why.
    public struct Violation: Sendable, Equatable, CustomStringConvertible {
        public var settings: [Setting]
        public var message: String

        public var description: String {
            let names = self.settings.map(\.rawValue).joined(separator: " and ")
            return self.settings.count > 1 ? "\(names) clash: \(self.message)" : "\(names): \(self.message)"
        }
    }

    /// Every rule the configuration breaks, in a fixed order. The one set of rules: `validate()` (the storage
    /// layer at open and topic creation) and the broker's start-time check (`BrokerConfig.validate`) both
    /// read it, so a configuration the check accepts is one the broker opens.
    public func violations() -> [Violation] {
        var violations: [Violation] = []
        func require(_ condition: Bool, _ settings: [Setting], _ message: String) {
            if !condition { violations.append(Violation(settings: settings, message: message)) }
        }
        // Index positions are 32-bit.
        require(
            self.segmentSizeBytes > 0 && self.segmentSizeBytes <= Limits.segmentSizeBytesMax, [.segmentSizeBytes],
            "segment size \(self.segmentSizeBytes) must be between 1 and \(Limits.segmentSizeBytesMax)"
        )
        require(
            self.batchSizeBytesMax >= RecordBatchHeader.sizeBytes && self.batchSizeBytesMax <= Limits.batchSizeBytesMax,
            [.batchSizeBytesMax],
            "batch size limit \(self.batchSizeBytesMax) must be between \(RecordBatchHeader.sizeBytes) and "
                + "\(Limits.batchSizeBytesMax)"
        )
        // The largest batch accepted must fit in one segment, or an append of it could never be stored.
        require(
            self.segmentSizeBytes >= Int64(self.batchSizeBytesMax), [.segmentSizeBytes, .batchSizeBytesMax],
            "segment size \(self.segmentSizeBytes) is below the batch size limit \(self.batchSizeBytesMax); "
                + "one batch must fit in a segment: raise the segment size or lower the batch size limit"
        )
        require(self.segmentAgeMs > 0, [.segmentAgeMs], "segment age must be positive")
        require((self.retentionMs ?? 1) > 0, [.retentionMs], "retention time must be positive")
        require((self.retentionSizeBytes ?? 1) > 0, [.retentionSizeBytes], "retention size must be positive")
        require(self.indexIntervalBytes > 0, [.indexIntervalBytes], "index interval must be positive")
        if case .interval(let milliseconds) = self.fsyncPolicy {
            require(milliseconds > 0, [.fsyncPolicy], "fsync interval must be positive")
        }
        return violations
    }

    /// Throws `invalidConfig` for the first rule of `violations()` the configuration breaks.
    public func validate() throws(StorageError) {
        if let violation = self.violations().first {
            throw StorageError(code: .invalidConfig, message: violation.description)
        }
    }
}

