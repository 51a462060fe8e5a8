import SluiceModel

/// Growing a topic (CreatePartitions). Like the other topic operations it runs under the manager's lock from
/// start to end. A topic never shrinks: records and committed offsets of a removed partition would be lost,
/// and keys would move between partitions behind their consumers' backs.
extension LogManager {
    /// Grows `name` to `partitionCount` partitions. The new partitions are created first and `topic.conf`, with
    /// the new count, is rewritten atomically last: a crash before that leaves the topic as it was (the new
    /// directories are ignored at open and replaced by the next growth). A failure part-way removes the new
    /// directories. With `validateOnly` every check is made and nothing is changed. Throws `unknownTopic`,
    /// `internalTopic`, `invalidPartitionCount` (not larger than today, or above `Limits.partitionsPerTopicMax`),
    /// and storage errors.
    public func addPartitions(_ name: String, partitionCount: Int, validateOnly: Bool = false) throws(StorageError) {
        guard !TopicNames.isInternal(name) else {
            throw StorageError(code: .internalTopic, message: "'\(name)' is an internal topic of the broker")
        }
        let added = try self.state.withLock { (state) throws(StorageError) -> Int in
            if state.isClosed { throw StorageError(code: .closed, message: "the log manager is closed") }
            guard var topic = state.topics[name] else {
                throw StorageError(code: .unknownTopic, message: "unknown topic '\(name)'")
            }
            let currentCount = topic.info.partitionCount
            guard partitionCount > currentCount else {
                let detail = partitionCount == currentCount ? "already has" : "has more than"
                throw StorageError(
                    code: .invalidPartitionCount,
                    message: "topic '\(name)' \(detail) \(partitionCount) partitions (it has \(currentCount)); "
                        + "the partition count can only grow"
                )
            }
            guard partitionCount <= Limits.partitionsPerTopicMax else {
                throw StorageError(
                    code: .invalidPartitionCount,
                    message: "partition count \(partitionCount) is above the limit of \(Limits.partitionsPerTopicMax)"
                )
            }
            if let problem = self.diskSpaceGuard.problem(writingTo: name, sizeBytes: 0) { throw problem }
            if validateOnly { return 0 }
            let topicDirectory = self.topicsDirectory + "/" + name
            var created: [PartitionLog] = []
            do throws(StorageError) {
                for partition in currentCount..<partitionCount {
                    let directory = topicDirectory + "/" + String(partition)
                    // A leftover of a growth that crashed before its topic.conf: never part of the topic.
                    if self.fileIO.fileExists(directory) { try self.fileIO.removeTree(directory) }
                    created.append(try PartitionLog(
                        topicPartition: TopicPartition(topic: name, partition: PartitionID(Int32(partition))),
                        directory: directory, config: topic.info.config, clock: self.clock, fileIO: self.fileIO,
                        flusher: self.flusher, recoveryPoint: nil, wasCleanShutdown: true,
                        diskSpaceGuard: self.diskSpaceGuard, onEvent: self.onEvent, onError: self.onError
                    ))
                }
                try self.fileIO.syncDirectory(topicDirectory)
                // The topic's configs stay exactly as they were set; only the count changes.
                let file = TopicConfigFile(partitionCount: partitionCount, overrides: topic.info.overrides)
                try self.fileIO.writeFileAtomically(topicDirectory + "/" + TopicConfigFile.fileName, file.serialized())
            } catch {
                for (index, log) in created.enumerated() {
                    log.abandon()
                    try? self.fileIO.removeTree(topicDirectory + "/" + String(currentCount + index))
                }
                throw error
            }
            created.forEach(self.flusher.register)
            topic.partitions += created
            topic.info.partitionCount = partitionCount
            state.topics[name] = topic
            return created.count
        }
        if added > 0 { self.onEvent("topic \(name) grown to \(partitionCount) partitions") }
    }
}
