import LogStore

/// Where and how the offset store keeps committed offsets, and its bounds.
public struct OffsetStoreConfiguration: Sendable, Equatable {
    /// Generation `n` of the offsets log is the topic `<prefix>.<n>` (1 partition); see `OffsetStore`.
    public var topicNamePrefix = "__consumer_offsets"
    /// The offsets log's storage settings. Retention must stay off: a commit is live until it is replaced,
    /// however old. Commits are acknowledged once fsynced under `always` (the default), right after the
    /// append under the other policies.
    public var logConfig = LogConfig(
        segmentSizeBytes: 100 * 1024 * 1024, retentionMs: nil, retentionSizeBytes: nil, fsyncPolicy: .always
    )
    /// Offsets of a group with no members and no commit for this long are deleted
    /// (`expireAbandonedGroups`); Kafka's `offsets.retention.minutes` is 7 days as well.
    public var abandonedGroupRetentionMs: Int64 = 7 * 24 * 60 * 60 * 1000
    /// Kafka's `offset.metadata.max.bytes`.
    public var metadataLengthBytesMax = 4096
    /// The most groups with committed offsets.
    public var groupCountMax = 100_000
    /// The most partitions one group may hold offsets for.
    public var partitionsPerGroupMax = 100_000
    /// The log is not compacted before it holds this many records, so small stores never rewrite.
    public var compactionRecordCountMin: Int64 = 10_000
    /// The log is compacted once it holds this many times more records than live commits: rewriting costs
    /// one record per live commit, paid once every (ratio - 1) × live commits, so appends stay O(1)
    /// amortized and a restart reads at most ratio × live commits (or the minimum).
    public var compactionRatio: Int64 = 4

    public init() {}

    public func validate() throws(GroupCoordinatorError) {
        func require(_ condition: Bool, _ message: String) throws(GroupCoordinatorError) {
            if !condition { throw GroupCoordinatorError(code: .invalidConfiguration, message: message) }
        }
        try require(!self.topicNamePrefix.isEmpty, "the offsets topic prefix cannot be empty")
        try require(self.logConfig.retentionMs == nil, "the offsets log must not expire by time")
        try require(self.logConfig.retentionSizeBytes == nil, "the offsets log must not expire by size")
        // One record is at most a few KiB (bounded ids, topic and metadata); every record must fit a batch.
        try require(self.logConfig.batchSizeBytesMax >= 64 * 1024, "the offsets log's batches must allow 64 KiB")
        try require(self.abandonedGroupRetentionMs > 0, "the abandoned-group retention must be positive")
        try require(self.metadataLengthBytesMax >= 0 && self.metadataLengthBytesMax <= 32 * 1024,
                    "offset metadata is bounded by 0 to 32 KiB")
        try require(self.groupCountMax > 0 && self.partitionsPerGroupMax > 0, "offset bounds must be positive")
        try require(self.compactionRecordCountMin > 0, "the compaction minimum must be positive")
        try require(self.compactionRatio >= 2, "the compaction ratio must be at least 2")
    }
}
