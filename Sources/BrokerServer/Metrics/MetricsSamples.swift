import GroupCoordinator
import LogStore
import SluiceModel

/// What one scrape reads from the broker, as plain values: the collector turns them into metrics, so the
/// collector is tested with samples and these readers with a real log directory and coordinator.
struct MetricsSamples: Sendable, Equatable {
    struct Partition: Sendable, Equatable {
        var topic: String
        var partition: Int32
        var stats: PartitionLogStats
    }

    /// Records between a group's committed offsets and the log end, summed over a topic's partitions.
    struct GroupLag: Sendable, Equatable {
        var group: String
        var topic: String
        var lagRecords: Int64
    }

    /// The data directory's file system and the appends refused for lack of space there.
    struct DataDirectory: Sendable, Equatable {
        var path: String
        /// Nil when `statvfs` failed: the space series are then left out of that scrape.
        var space: DiskSpace?
        var refusedAppends: Int64
    }

    var partitions: [Partition] = []
    var dataDirectories: [DataDirectory] = []
    var groupLags: [GroupLag] = []
    /// Nil where /proc is not there (not Linux): the series is then left out.
    var residentMemoryBytes: Int64?
    var openKafkaConnections: Int
    /// The request memory pool and what the connection limits did; nil in tests that build samples by hand.
    var clientLimits: ClientLimitTotals? = nil
    /// Spans sent to and dropped on the way to the OTLP collector; nil when no endpoint is configured.
    var traceExport: TraceExportTotals?
    /// The background scrubber's totals; nil in tests that build samples by hand.
    var scrubber: ScrubberTotals? = nil
}

/// The segment scrubber's totals since the broker started.
struct ScrubberTotals: Sendable, Equatable {
    var verifiedBytes: Int64
    var completedPasses: Int64
}

/// The OTLP exporter's totals since the broker started.
struct TraceExportTotals: Sendable, Equatable {
    var exportedSpans: Int64
    var droppedSpans: Int64
}

extension MetricsSamples {
    /// Every partition of every topic, the internal offsets log included (its appends are commits).
    static func partitions(of logs: LogManager) -> [Partition] {
        var samples: [Partition] = []
        for topic in logs.topicNames() {
            guard let info = logs.topic(topic) else { continue }  // deleted since the listing
            for partition in 0..<info.partitionCount {
                let topicPartition = TopicPartition(topic: topic, partition: PartitionID(Int32(partition)))
                guard let log = logs.partition(topicPartition) else { continue }
                samples.append(Partition(topic: topic, partition: Int32(partition), stats: log.stats))
            }
        }
        return samples
    }

    /// The broker's one data directory (a list, so that more can come without a new series).
    static func dataDirectories(of logs: LogManager) -> [DataDirectory] {
        let diskSpaceGuard = logs.diskSpaceGuard
        return [
            DataDirectory(
                path: diskSpaceGuard.path, space: diskSpaceGuard.currentSpace(),
                refusedAppends: diskSpaceGuard.refusedAppendCount
            )
        ]
    }

    /// Each group's lag per topic, as `sluice group describe` computes it per partition: the log end minus
    /// the committed offset, never below 0. Partitions without a commit, or whose topic is gone, are left
    /// out: there is no position to measure from.
    static func groupLags(of groups: GroupCoordinator, logs: LogManager) -> [GroupLag] {
        var samples: [GroupLag] = []
        for listing in groups.listGroups() {
            let committed = groups.fetchOffsets(groupId: listing.groupId, partitions: nil).offsets
            var lagByTopic: [String: Int64] = [:]
            for (topicPartition, offset) in committed where offset.offset >= 0 {
                guard let log = logs.partition(topicPartition) else { continue }
                let lag = max(0, log.logEndOffset.rawValue - offset.offset)
                lagByTopic[topicPartition.topic, default: 0] += lag
            }
            for (topic, lag) in lagByTopic.sorted(by: { $0.key < $1.key }) {
                samples.append(GroupLag(group: listing.groupId, topic: topic, lagRecords: lag))
            }
        }
        return samples
    }
}
