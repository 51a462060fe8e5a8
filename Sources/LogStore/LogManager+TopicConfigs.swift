import SluiceModel

/// Changing a topic's configs while it serves: the new set is checked, written to `topic.conf` (atomically,
/// before anything changes in memory) and handed to every partition, whose next append, roll and retention pass
/// use it. Like topic creation, this runs under the manager's lock from start to end.
extension LogManager {
    /// Replaces the topic's explicitly set configs with `overrides` (Kafka names; the others follow the broker's
    /// defaults) and returns the topic as it now is. With `validateOnly`, checks and returns what the topic would
    /// be without changing anything. Throws `unknownTopic`, `internalTopic`, or `invalidConfig` naming the key
    /// and why.
    @discardableResult
    public func setTopicConfigs(
        _ name: String, overrides: [String: String], validateOnly: Bool = false
    ) throws -> TopicInfo {
        guard !TopicNames.isInternal(name) else {
            throw StorageError(code: .internalTopic, message: "'\(name)' is an internal topic: its configs are the broker's")
        }
        let config = try TopicConfigRegistry.resolve(overrides, defaults: self.defaultConfig)
        let (info, changed) = try self.state.withLock { (state) throws -> (TopicInfo, Bool) in
            try self.requireOpen(state)
            guard var topic = state.topics[name] else {
                throw StorageError(code: .unknownTopic, message: "unknown topic '\(name)'")
            }
            topic.info.config = config
            topic.info.overrides = overrides
            guard !validateOnly else { return (topic.info, false) }
            let file = TopicConfigFile(partitionCount: topic.info.partitionCount, overrides: overrides)
            try self.fileIO.writeFileAtomically(
                self.topicsDirectory + "/" + name + "/" + TopicConfigFile.fileName, file.serialized()
            )
            for partition in topic.partitions {
                partition.updateConfig(config)
            }
            state.topics[name] = topic
            return (topic.info, true)
        }
        if changed {
            let text = overrides.keys.sorted().map { "\($0)=\(overrides[$0]!)" }.joined(separator: ", ")
            self.onEvent("topic \(name): configs now \(text.isEmpty ? "the broker's defaults" : text)")
        }
        return info
    }
}
