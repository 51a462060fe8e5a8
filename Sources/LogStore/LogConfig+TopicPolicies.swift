/// The parts of a topic's configuration that shape what is kept and how appends are checked, beyond segment and
/// retention sizes: the cleanup policy (for the log cleaner), the compaction bounds and the timestamp policy.
/// Typed here so the storage layer reads them without parsing text; `TopicConfigRegistry` maps Kafka's keys
/// onto them.

/// What happens to old segments (Kafka's `cleanup.policy`): deleted by retention, compacted to the latest
/// record of each key, or both.
///
/// Sluice stores and reports the policy, and retention deletes `delete` topics' old segments as before. The log
/// cleaner that compacts `compact` topics is not built yet: until it is, a `compact` topic (without `delete`)
/// keeps every segment, which is what Kafka's retention does to a compacted topic too (retention by time and size
/// applies only with `delete` in the policy). See `PartitionLog+Retention.swift`.
public struct CleanupPolicy: OptionSet, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: UInt8

    public init(rawValue: UInt8) {
        self.rawValue = rawValue
    }

    public static let delete = CleanupPolicy(rawValue: 1 << 0)
    public static let compact = CleanupPolicy(rawValue: 1 << 1)

    /// Kafka's text: "delete", "compact" or "compact,delete".
    public var description: String {
        var names: [String] = []
        if self.contains(.compact) { names.append("compact") }
        if self.contains(.delete) { names.append("delete") }
        return names.joined(separator: ",")
    }

    /// Parses Kafka's comma-separated list ("compact, delete" and repeats are accepted); nil for an unknown
    /// word or an empty list.
    public init?(parsing text: String) {
        var policy: CleanupPolicy = []
        for word in text.split(separator: ",", omittingEmptySubsequences: true) {
            switch word.trimmingWhitespace().lowercased() {
            case "delete": policy.insert(.delete)
            case "compact": policy.insert(.compact)
            default: return nil
            }
        }
        guard !policy.isEmpty else { return nil }
        self = policy
    }
}

/// Which time a batch's timestamps carry (Kafka's `message.timestamp.type`).
public enum TimestampType: String, Sendable, Hashable, CaseIterable {
    /// The producer's timestamps are kept as sent.
    case createTime = "CreateTime"
    /// The broker sets each batch's max timestamp to the append time and marks the batch so (attribute bit 3);
    /// consumers then read that time for every record of the batch.
    case logAppendTime = "LogAppendTime"
}

extension LogConfig {
    /// The settings of the log cleaner (compaction). Stored and reported; read by the cleaner once it exists.
    public struct Compaction: Sendable, Equatable {
        /// A record stays uncompacted at least this long after it was appended (`min.compaction.lag.ms`).
        public var minLagMs: Int64 = 0
        /// A record is compacted at the latest this long after it was appended (`max.compaction.lag.ms`).
        public var maxLagMs: Int64 = Int64.max
        /// Tombstones stay readable this long after their segment is cleaned (`delete.retention.ms`).
        public var deleteRetentionMs: Int64 = 24 * 60 * 60 * 1000
        /// The share of the log that must be uncleaned before the cleaner runs (`min.cleanable.dirty.ratio`).
        public var minCleanableDirtyRatio: Double = 0.5

        public init() {}
    }

    /// How batches' timestamps are checked and set at append (`message.timestamp.*`).
    public struct TimestampPolicy: Sendable, Equatable {
        public var type: TimestampType = .createTime
        /// With CreateTime, a batch whose timestamps are further than this before the broker's clock is refused
        /// (`message.timestamp.before.max.ms`; the older `message.timestamp.difference.max.ms` also bounds it).
        public var beforeMaxMs: Int64 = Int64.max
        /// With CreateTime, a batch whose timestamps are further than this after the broker's clock is refused
        /// (`message.timestamp.after.max.ms`; the older `message.timestamp.difference.max.ms` also bounds it).
        public var afterMaxMs: Int64 = Int64.max
        /// Kafka's deprecated bound on both sides (`message.timestamp.difference.max.ms`).
        public var differenceMaxMs: Int64 = Int64.max

        public init() {}

        /// Why a CreateTime batch with these timestamps is refused at `nowMs`, or nil. Checks the batch's first
        /// and max timestamps: the records are not decompressed, and in batches producers build those two bound
        /// every record's timestamp.
        public func problem(baseTimestampMs: Int64, maxTimestampMs: Int64, nowMs: Int64) -> String? {
            let beforeMaxMs = min(self.beforeMaxMs, self.differenceMaxMs)
            let afterMaxMs = min(self.afterMaxMs, self.differenceMaxMs)
            // Unbounded on both sides (the default) nothing can be refused: the append path skips the arithmetic.
            guard self.type == .createTime, beforeMaxMs < .max || afterMaxMs < .max else { return nil }
            return Self.problem(baseTimestampMs, nowMs: nowMs, beforeMaxMs: beforeMaxMs, afterMaxMs: afterMaxMs)
                ?? Self.problem(maxTimestampMs, nowMs: nowMs, beforeMaxMs: beforeMaxMs, afterMaxMs: afterMaxMs)
        }

        private static func problem(_ timestampMs: Int64, nowMs: Int64, beforeMaxMs: Int64, afterMaxMs: Int64) -> String? {
            guard timestampMs >= 0 else { return nil }
            let (behindMs, behindOverflow) = nowMs.subtractingReportingOverflow(timestampMs)
            if !behindOverflow && behindMs > beforeMaxMs {
                return "timestamp \(timestampMs) is \(behindMs) ms before the broker's time \(nowMs), "
                    + "more than message.timestamp.before.max.ms = \(beforeMaxMs)"
            }
            let (aheadMs, aheadOverflow) = timestampMs.subtractingReportingOverflow(nowMs)
            if !aheadOverflow && aheadMs > afterMaxMs {
                return "timestamp \(timestampMs) is \(aheadMs) ms after the broker's time \(nowMs), "
                    + "more than message.timestamp.after.max.ms = \(afterMaxMs)"
            }
            return nil
        }
    }
}
