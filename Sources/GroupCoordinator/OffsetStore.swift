import LogStore
import SluiceModel
import Synchronization

/// Committed offsets per (group, topic, partition), kept in memory and written to an internal log of the
/// broker's own, so they survive a restart.
///
/// On disk (see `OffsetRecordCodec` for the record bytes):
/// - The log is a one-partition topic `<prefix>.<generation>` of the `LogManager`. Each commit is a record
///   keyed by group/topic/partition whose value is offset, leader epoch, timestamp and metadata; a deletion
///   is a tombstone (null value). Loading reads the log from its start and keeps the last value per key.
/// - Compaction writes a new generation: every live commit, then a "generation complete" marker record,
///   and from then on takes new commits. The old generation is deleted once both logs are fsynced. A start
///   uses the newest generation that has its marker, and deletes the others: a generation without a marker
///   is a compaction that a crash interrupted, and the older one it copied is still there. So a restart
///   reads at most `compactionRatio` × live commits, however long the history.
/// - LogStore has no key-compacted topics and no way to cut a log at an offset; a new topic per generation
///   needs neither, and renaming or deleting a whole topic is already atomic there.
///
/// Contract: mutations append under one lock (page-cache writes, no fsync) and update memory at once, so an
/// OffsetFetch right after sees the commit; the caller acknowledges through the returned `OffsetDurability`
/// outside its own locks. After a failed fsync the log refuses appends and commits fail, while offsets
/// already in memory are still served.
public final class OffsetStore: Sendable {
    struct State: Sendable {
        var offsetsByGroup: [String: [TopicPartition: CommittedOffset]] = [:]
        /// The newest commit timestamp of each group, for abandoned-group expiry.
        var lastCommitTimestampMsByGroup: [String: Int64] = [:]
        var liveKeyCount = 0
        var generation: Int64
        var log: PartitionLog
        /// Records in the current generation's log, tombstones and marker included.
        var recordCount: Int64

        mutating func apply(groupId: String, topicPartition: TopicPartition, _ committed: CommittedOffset?) {
            if let committed {
                let previous = self.offsetsByGroup[groupId, default: [:]].updateValue(committed, forKey: topicPartition)
                if previous == nil { self.liveKeyCount += 1 }
                let last = self.lastCommitTimestampMsByGroup[groupId] ?? Int64.min
                self.lastCommitTimestampMsByGroup[groupId] = max(last, committed.commitTimestampMs)
                return
            }
            guard self.offsetsByGroup[groupId]?.removeValue(forKey: topicPartition) != nil else { return }
            self.liveKeyCount -= 1
            if self.offsetsByGroup[groupId]!.isEmpty {
                self.offsetsByGroup.removeValue(forKey: groupId)
                self.lastCommitTimestampMsByGroup.removeValue(forKey: groupId)
            }
        }
    }

    public let configuration: OffsetStoreConfiguration
    let logManager: LogManager
    let clock: SluiceClock
    let onEvent: @Sendable (String) -> Void
    let state: Mutex<State>

    /// Opens (or creates) the offsets log in `logManager` and loads every committed offset. `clock` stamps
    /// tombstones; pass the one the log manager runs on.
    public init(
        logManager: LogManager, configuration: OffsetStoreConfiguration = OffsetStoreConfiguration(),
        clock: SluiceClock = SystemClock(), onEvent: @escaping @Sendable (String) -> Void = { _ in }
    ) throws(GroupCoordinatorError) {
        try configuration.validate()
        self.configuration = configuration
        self.logManager = logManager
        self.clock = clock
        self.onEvent = onEvent
        let loaded = try Self.openNewestGeneration(
            logManager: logManager, configuration: configuration, onEvent: onEvent
        )
        self.state = Mutex(loaded)
    }

    /// The committed offsets of `groupId`: all of them when `partitions` is nil; otherwise one per listed
    /// partition, offset -1 with empty metadata for a partition without a commit (as OffsetFetch answers).
    public func fetch(groupId: String, partitions: [TopicPartition]?) -> [TopicPartition: CommittedOffset] {
        let offsets = self.state.withLock { $0.offsetsByGroup[groupId] ?? [:] }
        guard let partitions else { return offsets }
        var answer: [TopicPartition: CommittedOffset] = [:]
        for topicPartition in partitions {
            answer[topicPartition] = offsets[topicPartition]
                ?? CommittedOffset(offset: -1, leaderEpoch: -1, metadata: "", commitTimestampMs: -1)
        }
        return answer
    }

    public func hasOffsets(groupId: String) -> Bool {
        self.state.withLock { $0.offsetsByGroup[groupId] != nil }
    }

    /// Every group holding at least one committed offset.
    public func groupIds() -> [String] {
        self.state.withLock { Array($0.offsetsByGroup.keys) }
    }

    public struct Statistics: Sendable, Equatable {
        public var generation: Int64
        public var topicName: String
        /// Records a restart would read.
        public var recordCount: Int64
        public var liveKeyCount: Int
        public var groupCount: Int
    }

    public var statistics: Statistics {
        self.state.withLock { state in
            Statistics(
                generation: state.generation, topicName: state.log.topicPartition.topic,
                recordCount: state.recordCount, liveKeyCount: state.liveKeyCount,
                groupCount: state.offsetsByGroup.count
            )
        }
    }

    static func topicName(prefix: String, generation: Int64) -> String {
        prefix + "." + String(generation)
    }
}

/// When a mutation of the offset store is on disk, by the offsets log's fsync policy.
public struct OffsetDurability: Sendable {
    let log: PartitionLog?
    let endOffset: Offset

    /// For a mutation that wrote nothing.
    public static let immediate = OffsetDurability(log: nil, endOffset: .zero)

    /// Calls `completion` once the mutation is durable: after the fsync under `always` (on the log's flusher
    /// queue, or here when it already is), at once under the other policies. Never call it holding a lock
    /// the completion takes.
    public func whenDurable(_ completion: @escaping @Sendable (Result<Void, GroupCoordinatorError>) -> Void) {
        guard let log, log.config.fsyncPolicy == .always else {
            completion(.success(()))
            return
        }
        log.whenDurable(upTo: self.endOffset) { result in
            completion(result.mapError { error in
                GroupCoordinatorError(code: .storageFailure, message: "offsets log fsync failed: \(error)")
            })
        }
    }
}
