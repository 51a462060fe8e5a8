import SluiceModel

/// Creating, listing and deleting topics. These are rare control-plane operations: they run under the
/// manager's lock from start to end, so two of them never interleave.
extension LogManager {
    /// Creates a topic with `partitionCount` empty partitions and `config` (the broker defaults when nil).
    /// `topic.conf` is written last, so a crash part-way leaves a directory the next open removes. A failure
    /// part-way (a full disk while allocating indexes or writing `topic.conf`) removes the directory at once:
    /// a failed create leaves nothing behind. Below the free-space floor an ordinary topic is not created.
    /// A name that belongs to the broker (`TopicNames.isInternal`) is refused: see `createInternalTopic`.
    public func createTopic(_ name: String, partitionCount: Int, config: LogConfig? = nil) throws {
        guard !TopicNames.isInternal(name) else {
            throw StorageError(code: .internalTopic, message: "'\(name)' is an internal topic name: only the broker creates those")
        }
        try self.createAnyTopic(name, partitionCount: partitionCount, config: config)
    }

    /// Creates a topic with `configs` (Kafka topic configs by name, `TopicConfigRegistry`) set on top of the
    /// broker's defaults; they are kept in `topic.conf` and described as set for the topic. Throws
    /// `invalidConfig` naming the key and why for a config that cannot be applied.
    public func createTopic(_ name: String, partitionCount: Int, configs: [String: String]) throws {
        guard !TopicNames.isInternal(name) else {
            throw StorageError(code: .internalTopic, message: "'\(name)' is an internal topic name: only the broker creates those")
        }
        let config = try TopicConfigRegistry.resolve(configs, defaults: self.defaultConfig)
        try self.createAnyTopic(name, partitionCount: partitionCount, config: config, overrides: configs)
    }

    func createAnyTopic(_ name: String, partitionCount: Int, config: LogConfig?) throws {
        let config = config ?? self.defaultConfig
        let overrides = TopicConfigFile.overrides(turning: self.defaultConfig, into: config)
        try self.createAnyTopic(name, partitionCount: partitionCount, config: config, overrides: overrides)
    }

    private func createAnyTopic(
        _ name: String, partitionCount: Int, config: LogConfig, overrides: [String: String]
    ) throws {
        if let problem = TopicNames.problem(with: name) {
            throw StorageError(code: .invalidTopicName, message: "invalid topic name '\(name)': \(problem)")
        }
        guard partitionCount >= 1 && partitionCount <= Limits.partitionsPerTopicMax else {
            throw StorageError(
                code: .invalidPartitionCount,
                message: "partition count \(partitionCount) is not between 1 and \(Limits.partitionsPerTopicMax)"
            )
        }
        try config.validate()
        try self.state.withLock { state in
            try self.requireOpen(state)
            guard state.topics[name] == nil else {
                throw StorageError(code: .topicAlreadyExists, message: "topic '\(name)' already exists")
            }
            if let problem = self.diskSpaceGuard.problem(writingTo: name, sizeBytes: 0) { throw problem }
            let topicDirectory = self.topicsDirectory + "/" + name
            if self.fileIO.fileExists(topicDirectory) { try self.fileIO.removeTree(topicDirectory) }
            try self.fileIO.makeDirectory(topicDirectory)
            var partitions: [PartitionLog] = []
            do {
                for partition in 0..<partitionCount {
                    let topicPartition = TopicPartition(topic: name, partition: PartitionID(Int32(partition)))
                    partitions.append(try PartitionLog(
                        topicPartition: topicPartition, directory: topicDirectory + "/" + String(partition),
                        config: config, clock: self.clock, fileIO: self.fileIO, flusher: self.flusher,
                        recoveryPoint: nil, wasCleanShutdown: true, diskSpaceGuard: self.diskSpaceGuard,
                        onEvent: self.onEvent, onError: self.onError
                    ))
                }
                let file = TopicConfigFile(partitionCount: partitionCount, overrides: overrides)
                try self.fileIO.writeFileAtomically(topicDirectory + "/" + TopicConfigFile.fileName, file.serialized())
                try self.fileIO.syncDirectory(self.topicsDirectory)
            } catch {
                self.removeFailedTopic(topicDirectory, partitions: partitions, error: error)
                throw error
            }
            partitions.forEach(self.flusher.register)
            let info = TopicInfo(name: name, partitionCount: partitionCount, config: config, overrides: overrides)
            state.topics[name] = Topic(info: info, partitions: partitions)
        }
        self.onEvent("created topic \(name) with \(partitionCount) partitions")
    }

    /// Undoes a creation that failed part-way: stops the partitions opened so far and removes the directory.
    /// Removing only frees space, so it works on a full disk; should it fail anyway, the directory has no
    /// `topic.conf` and the next open removes it.
    private func removeFailedTopic(_ topicDirectory: String, partitions: [PartitionLog], error: Error) {
        partitions.forEach { $0.abandon() }
        do {
            try self.fileIO.removeTree(topicDirectory)
            try? self.fileIO.syncDirectory(self.topicsDirectory)
            self.onEvent("removed \(topicDirectory) after its creation failed: \(error)")
        } catch let removeError {
            self.onEvent("could not remove \(topicDirectory) after its creation failed (\(error)): \(removeError)")
        }
    }

    /// Deletes a topic: its directory is first renamed into `<data>/deleting` (atomic, so a crash cannot
    /// leave half a topic that would come back), then removed.
    public func deleteTopic(_ name: String) throws {
        let deletedPath = try self.state.withLock { (state) throws -> String in
            try self.requireOpen(state)
            guard let topic = state.topics.removeValue(forKey: name) else {
                throw StorageError(code: .unknownTopic, message: "unknown topic '\(name)'")
            }
            for partition in topic.partitions {
                self.flusher.unregister(partition)
                partition.abandon()
            }
            state.deletionCounter += 1
            let deletedPath = self.deletingDirectory + "/\(name)-\(self.clock.monotonicNs())-\(state.deletionCounter)"
            try self.fileIO.rename(self.topicsDirectory + "/" + name, to: deletedPath)
            try self.fileIO.syncDirectory(self.topicsDirectory)
            try self.fileIO.syncDirectory(self.deletingDirectory)
            return deletedPath
        }
        try self.fileIO.removeTree(deletedPath)
        self.onEvent("deleted topic \(name)")
    }

    public func topicNames() -> [String] {
        self.state.withLock { $0.topics.keys.sorted() }
    }

    public func topic(_ name: String) -> TopicInfo? {
        self.state.withLock { $0.topics[name]?.info }
    }

    func requireOpen(_ state: State) throws(StorageError) {
        if state.isClosed { throw StorageError(code: .closed, message: "the log manager is closed") }
    }
}
