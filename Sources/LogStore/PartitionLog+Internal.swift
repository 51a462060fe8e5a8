import SluiceModel

/// The broker's own topics (`__` names, `TopicNames.isInternal`): the storage layer, not one request
/// handler, keeps everyone else out. `append` and `createTopic` refuse them; the entry points below are the
/// only way in, and `Tests/ArchitectureTests` checks that no module but GroupCoordinator (the offsets log)
/// calls them. So an operator output, a produce or an admin call that names `__consumer_offsets.0` fails
/// here even if a handler forgets to check.
extension PartitionLog {
    /// Whether this log belongs to the broker.
    public var isInternal: Bool { TopicNames.isInternal(self.topicPartition.topic) }

    /// `append` for the broker's own writer (the group coordinator's offset store). Also takes ordinary
    /// topics, so a test can point the offset store at any prefix.
    public func appendInternal(_ batches: UnsafeRawBufferPointer) throws -> AppendResult {
        try self.appendAny(batches)
    }
}

extension LogManager {
    /// `createTopic` for the broker's own topics (`__` names); ordinary names are accepted too.
    public func createInternalTopic(_ name: String, partitionCount: Int, config: LogConfig? = nil) throws {
        try self.createAnyTopic(name, partitionCount: partitionCount, config: config)
    }
}
