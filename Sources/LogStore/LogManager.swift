import SluiceModel
import Synchronization

/// A topic as the broker sees it.
public struct TopicInfo: Sendable, Equatable {
    public var name: String
    public var partitionCount: Int
    public var config: LogConfig
    /// The topic configs set for this topic (by Kafka name, as set); the others follow the broker's defaults.
    public var overrides: [String: String]

    public init(name: String, partitionCount: Int, config: LogConfig, overrides: [String: String] = [:]) {
        self.name = name
        self.partitionCount = partitionCount
        self.config = config
        self.overrides = overrides
    }
}

/// Owns the data directory: every topic's partition logs, the flusher, the recovery checkpoint and the
/// clean-shutdown marker. Layout:
///
/// ```
/// <data>/.clean-shutdown                     present only while the broker is stopped after a clean close
/// <data>/recovery-point-offset-checkpoint    see RecoveryCheckpointFile
/// <data>/topics/<topic>/topic.conf           see TopicConfigFile
/// <data>/topics/<topic>/<partition>/<20-digit base offset>.log|.index|.timeindex
/// <data>/deleting/<topic>-<n>/               topics being deleted; emptied at open
/// ```
public final class LogManager: @unchecked Sendable {
    // @unchecked: mutable state is in `state` (a Mutex); the rest is immutable.
    struct Topic {
        var info: TopicInfo
        var partitions: [PartitionLog]
    }

    struct State {
        var topics: [String: Topic] = [:]
        var isClosed = false
        var deletionCounter: UInt64 = 0
    }

    static let cleanShutdownFileName = ".clean-shutdown"
    static let checkpointIntervalNs: UInt64 = 1_000_000_000
    static let flusherTickMs = 50

    public let dataDirectory: String
    public let defaultConfig: LogConfig
    let clock: SluiceClock
    let fileIO: FileIO
    let onEvent: StorageEventHandler
    /// The free-space floor shared by every partition, and the count of appends refused for lack of space.
    public let diskSpaceGuard: DiskSpaceGuard
    /// Damage found: corrupt batches, state files failing their checksum. The executable logs these at error
    /// level; by default they go to `onEvent`.
    let onError: StorageEventHandler
    let state = Mutex(State())
    struct CheckpointState {
        var lastWriteMonotonicNs: UInt64
        var lastWrittenPoints: [TopicPartition: Offset]?
    }

    /// Serializes checkpoint writes (flusher tick, flushAll, close) and remembers the last one.
    let checkpointState: Mutex<CheckpointState>
    private(set) var flusher: Flusher!
    let scrubberConfiguration: ScrubberConfiguration
    /// Re-verifies sealed segments in the background (`SegmentScrubber`); started once every log is open.
    public private(set) var scrubber: SegmentScrubber!

    var topicsDirectory: String { self.dataDirectory + "/topics" }
    var deletingDirectory: String { self.dataDirectory + "/deleting" }
    var checkpointPath: String { self.dataDirectory + "/" + RecoveryCheckpointFile.fileName }
    var cleanShutdownPath: String { self.dataDirectory + "/" + Self.cleanShutdownFileName }

    /// Opens the data directory (creating it when missing) and recovers every partition. After an unclean stop
    /// (no clean-shutdown marker) each partition scans its segments from its checkpointed recovery point on.
    /// `minFreeBytes` is the free-space floor below which appends to ordinary topics are refused
    /// (`DiskSpaceGuard`); 0, the default for embedding and tests, sets none. The broker passes its
    /// `storage.min_free_bytes` (64 MiB unless configured).
    public init(
        dataDirectory: String, defaultConfig: LogConfig, clock: SluiceClock = SystemClock(),
        fileIO: FileIO = SystemFileIO(), minFreeBytes: Int64 = 0,
        onEvent: @escaping @Sendable (String) -> Void = { _ in },
        onError: (@Sendable (String) -> Void)? = nil, scrubber scrubberConfiguration: ScrubberConfiguration = .init()
    ) throws {
        try defaultConfig.validate()
        self.dataDirectory = dataDirectory
        self.defaultConfig = defaultConfig
        self.clock = clock
        self.fileIO = fileIO
        self.onEvent = onEvent
        self.diskSpaceGuard = DiskSpaceGuard(
            path: dataDirectory, minFreeBytes: minFreeBytes, fileIO: fileIO, clock: clock, onEvent: onEvent
        )
        self.onError = onError ?? onEvent
        self.scrubberConfiguration = scrubberConfiguration
        self.checkpointState = Mutex(CheckpointState(lastWriteMonotonicNs: clock.monotonicNs()))
        // A data directory without a topics directory has never held data: nothing to recover.
        let isNew = !fileIO.fileExists(dataDirectory + "/topics")
        try fileIO.makeDirectoryIfMissing(dataDirectory)
        try fileIO.makeDirectoryIfMissing(self.topicsDirectory)
        try fileIO.makeDirectoryIfMissing(self.deletingDirectory)
        self.flusher = Flusher(clock: clock, tickMs: Self.flusherTickMs) { [weak self] in
            self?.writeCheckpointIfDue()
        }
        do {
            try self.openTopics(isNew: isNew)
        } catch {
            self.flusher.shutdown(waitingForQueuedFlushes: true)
            throw error
        }
        self.scrubber = SegmentScrubber(
            configuration: scrubberConfiguration, clock: clock, onError: self.onError,
            partitions: { [weak self] in self?.allPartitions() ?? [] }
        )
    }

    deinit {
        // Without close() (a simulated crash in tests, or a caller's bug) the files stay as a crash leaves them.
        // The last reference may go on the flusher's queue (its tick holds one briefly): do not wait on it.
        self.flusher.shutdown(waitingForQueuedFlushes: false)
    }

    private func openTopics(isNew: Bool) throws {
        try self.finishDeletions()
        let hasCleanShutdownMarker = self.fileIO.fileExists(self.cleanShutdownPath)
        let wasCleanShutdown = isNew || hasCleanShutdownMarker
        // Read after a clean stop too: the recovery points are then the durable ends that let an index rebuild
        // fence damage instead of cutting acknowledged batches.
        let recoveryPoints = isNew ? [:] : self.readCheckpoint()
        if !wasCleanShutdown {
            self.onEvent("no clean-shutdown marker in \(self.dataDirectory): recovering unflushed data")
        }
        for entry in try self.fileIO.listDirectory(self.topicsDirectory) where entry.isDirectory {
            let topicDirectory = self.topicsDirectory + "/" + entry.name
            guard TopicNames.isValid(entry.name) else {
                self.onEvent("ignoring \(topicDirectory): not a valid topic name")
                continue
            }
            guard self.fileIO.fileExists(topicDirectory + "/" + TopicConfigFile.fileName) else {
                self.onEvent("removing \(topicDirectory): its creation did not finish")
                try self.fileIO.removeTree(topicDirectory)
                continue
            }
            let topic = try self.openTopic(
                named: entry.name, recoveryPoints: recoveryPoints, wasCleanShutdown: wasCleanShutdown
            )
            self.state.withLock { $0.topics[entry.name] = topic }
        }
        if hasCleanShutdownMarker {
            // From here on the directory may change without a clean close: the marker must go first.
            try self.fileIO.unlink(self.cleanShutdownPath)
            try self.fileIO.syncDirectory(self.dataDirectory)
        }
        try self.writeCheckpoint()
    }

    private func openTopic(
        named name: String, recoveryPoints: [TopicPartition: Offset], wasCleanShutdown: Bool
    ) throws -> Topic {
        let topicDirectory = self.topicsDirectory + "/" + name
        let configPath = topicDirectory + "/" + TopicConfigFile.fileName
        let (file, config) = try self.readTopicConfig(named: name, path: configPath, topicDirectory: topicDirectory)
        var partitions: [PartitionLog] = []
        for partition in 0..<file.partitionCount {
            let topicPartition = TopicPartition(topic: name, partition: PartitionID(Int32(partition)))
            let log = try PartitionLog(
                topicPartition: topicPartition, directory: topicDirectory + "/" + String(partition), config: config,
                clock: self.clock, fileIO: self.fileIO, flusher: self.flusher,
                recoveryPoint: recoveryPoints[topicPartition], wasCleanShutdown: wasCleanShutdown,
                diskSpaceGuard: self.diskSpaceGuard, onEvent: self.onEvent, onError: self.onError
            )
            self.flusher.register(log)
            partitions.append(log)
        }
        let info = TopicInfo(
            name: name, partitionCount: file.partitionCount, config: config, overrides: file.overrides
        )
        return Topic(info: info, partitions: partitions)
    }

    /// The topic's configuration. A damaged file is never trusted and never makes the topic go: the partitions on
    /// disk open with the defaults, retention off (a guessed retention could delete data), and the file stays for
    /// a person to repair.
    private func readTopicConfig(
        named name: String, path: String, topicDirectory: String
    ) throws(StorageError) -> (TopicConfigFile, LogConfig) {
        do {
            let file = try TopicConfigFile(parsing: try self.fileIO.readSmallFile(path), path: path)
            return (file, try file.config(defaults: self.defaultConfig))
        } catch {
            guard error.code == .corruptFile else { throw error }
            let file = TopicConfigFile(
                partitionCount: try self.partitionCountOnDisk(topicDirectory), config: self.defaultConfig,
                defaults: self.defaultConfig
            )
            var config = self.defaultConfig
            config.retentionMs = nil
            config.retentionSizeBytes = nil
            self.onError(
                "topic \(name): \(error); opening its \(file.partitionCount) partitions on disk with the default "
                    + "settings and no retention until the file is repaired"
            )
            return (file, config)
        }
    }

    /// The number of partition directories (`0`, `1`, ...) of a topic, counted up to the first missing one.
    private func partitionCountOnDisk(_ topicDirectory: String) throws(StorageError) -> Int {
        let names = Set(try self.fileIO.listDirectory(topicDirectory).filter(\.isDirectory).map(\.name))
        var count = 0
        while names.contains(String(count)) { count += 1 }
        return max(count, 1)
    }

    /// Removes what earlier deletions left in `<data>/deleting` (a crash may have interrupted them).
    private func finishDeletions() throws(StorageError) {
        for entry in try self.fileIO.listDirectory(self.deletingDirectory) {
            let path = self.deletingDirectory + "/" + entry.name
            if entry.isDirectory { try self.fileIO.removeTree(path) } else { try self.fileIO.unlink(path) }
        }
    }

    public func partition(_ topicPartition: TopicPartition) -> PartitionLog? {
        self.state.withLock { state in
            guard let topic = state.topics[topicPartition.topic] else { return nil }
            let index = Int(topicPartition.partition.rawValue)
            return topic.partitions.indices.contains(index) ? topic.partitions[index] : nil
        }
    }

    /// Deletes whole old segments by time and size, in every partition; the server calls it periodically.
    /// A failing partition does not stop the others; the first error is thrown at the end.
    public func enforceRetention() throws {
        let nowMs = self.clock.wallTimeMs()
        try Self.forEach(self.allPartitions()) { (partition) throws(StorageError) in
            try partition.enforceRetention(nowMs: nowMs)
        }
    }

    /// Fsyncs every partition and writes the recovery checkpoint. A failing partition does not stop the
    /// others (their recovery points still advance); the first error is thrown at the end.
    public func flushAll() throws {
        let flushError = Self.collectingFirstError { () throws(StorageError) in
            try Self.forEach(self.allPartitions()) { (partition) throws(StorageError) in try partition.flush() }
        }
        try self.writeCheckpoint()
        if let flushError { throw flushError }
    }

    /// Flushes and seals every partition, writes the checkpoint and then the clean-shutdown marker, so the
    /// next open trusts the indexes and scans nothing.
    public func close() throws {
        let topics = self.state.withLock { state -> [Topic]? in
            guard !state.isClosed else { return nil }
            state.isClosed = true
            return Array(state.topics.values)
        }
        guard let topics else { return }
        self.scrubber.shutdown()
        self.flusher.shutdown(waitingForQueuedFlushes: true)
        // Close every partition even when one fails; without the marker, the next open recovers the failed ones.
        let closeError = Self.collectingFirstError { () throws(StorageError) in
            try Self.forEach(topics.flatMap(\.partitions)) { (partition) throws(StorageError) in try partition.close() }
        }
        try self.writeCheckpoint()
        if let closeError { throw closeError }
        try self.fileIO.writeFileAtomically(self.cleanShutdownPath, [])
    }

    /// Runs `body` on every partition, then throws the first error any of them threw.
    private static func forEach(
        _ partitions: [PartitionLog], _ body: (PartitionLog) throws(StorageError) -> Void
    ) throws(StorageError) {
        var firstError: StorageError?
        for partition in partitions {
            do {
                try body(partition)
            } catch {
                firstError = firstError ?? error
            }
        }
        if let firstError { throw firstError }
    }

    private static func collectingFirstError(_ body: () throws(StorageError) -> Void) -> StorageError? {
        do {
            try body()
            return nil
        } catch {
            return error
        }
    }

    func allPartitions() -> [PartitionLog] {
        self.state.withLock { state in state.topics.values.flatMap(\.partitions) }
    }

    // MARK: - Recovery checkpoint

    /// The checkpointed recovery points; an unreadable or damaged file counts as absent (every segment is then
    /// scanned, and damage in sealed segments is fenced, never cut), and is reported as an error.
    private func readCheckpoint() -> [TopicPartition: Offset] {
        guard self.fileIO.fileExists(self.checkpointPath) else { return [:] }
        do {
            return try RecoveryCheckpointFile.parse(
                try self.fileIO.readSmallFile(self.checkpointPath), path: self.checkpointPath
            )
        } catch {
            self.onError("ignoring the recovery checkpoint, every segment will be scanned: \(error)")
            return [:]
        }
    }

    /// Writes every partition's durable offset. With `onlyWhenChanged` (the periodic write), skips the write,
    /// and its three syncs, when nothing moved since the last one.
    func writeCheckpoint(onlyWhenChanged: Bool = false) throws(StorageError) {
        try self.checkpointState.withLock { (checkpoint) throws(StorageError) in
            var points: [TopicPartition: Offset] = [:]
            for partition in self.allPartitions() {
                points[partition.topicPartition] = partition.durableOffset
            }
            checkpoint.lastWriteMonotonicNs = self.clock.monotonicNs()
            if onlyWhenChanged && checkpoint.lastWrittenPoints == points { return }
            try self.fileIO.writeFileAtomically(self.checkpointPath, RecoveryCheckpointFile.serialize(points))
            checkpoint.lastWrittenPoints = points
        }
    }

    private func writeCheckpointIfDue() {
        let nowNs = self.clock.monotonicNs()
        let lastWriteNs = self.checkpointState.withLock { $0.lastWriteMonotonicNs }
        guard nowNs >= lastWriteNs && nowNs - lastWriteNs >= Self.checkpointIntervalNs else { return }
        do {
            try self.writeCheckpoint(onlyWhenChanged: true)
        } catch {
            self.onEvent("could not write the recovery checkpoint: \(error)")
        }
    }
}
