import LogStore
import RecordFormat
import SluiceModel

/// Commits, deletions and expiry: each turns into records appended to the current generation's log.
extension OffsetStore {
    /// One record to append.
    struct PendingRecord {
        var key: [UInt8]
        var value: [UInt8]?
        var timestampMs: Int64
    }

    /// Stores `offsets` for `groupId`. Validation of the member and generation is the coordinator's; this
    /// checks only the store's own bounds (metadata length, groups, partitions per group).
    public func commit(
        groupId: String, offsets: [TopicPartition: CommittedOffset]
    ) throws(GroupCoordinatorError) -> OffsetDurability {
        guard !offsets.isEmpty else { return .immediate }
        // The record format stores 16-bit lengths; the coordinator's bounds are tighter still.
        if groupId.utf8.count > Limits.wireStringLengthMax
            || offsets.keys.contains(where: { $0.topic.utf8.count > Limits.topicNameLengthMax })
        {
            throw GroupCoordinatorError(code: .tooLarge, message: "group id or topic name too long")
        }
        if let tooLong = offsets.values.first(where: { $0.metadata.utf8.count > self.configuration.metadataLengthBytesMax }) {
            throw GroupCoordinatorError(code: .tooLarge, message: "metadata of \(tooLong.metadata.utf8.count) bytes")
        }
        let records = offsets.map { topicPartition, committed in
            PendingRecord(
                key: OffsetRecordCodec.commitKey(groupId: groupId, topicPartition: topicPartition),
                value: OffsetRecordCodec.commitValue(committed), timestampMs: committed.commitTimestampMs
            )
        }
        return try self.state.withLock { (state) throws(GroupCoordinatorError) -> OffsetDurability in
            try self.checkBounds(groupId: groupId, adding: offsets.keys, in: state)
            self.compactIfDue(&state)
            let durability = try self.append(records, to: &state)
            for (topicPartition, committed) in offsets {
                state.apply(groupId: groupId, topicPartition: topicPartition, committed)
            }
            return durability
        }
    }

    /// Deletes every committed offset of `groupId` (DeleteGroups).
    public func deleteGroup(_ groupId: String) throws(GroupCoordinatorError) -> OffsetDurability {
        try self.deleteOffsets(groupId: groupId, partitions: nil)
    }

    /// Deletes the committed offsets of `partitions` (all of the group's when nil) with tombstones.
    public func deleteOffsets(
        groupId: String, partitions: [TopicPartition]?
    ) throws(GroupCoordinatorError) -> OffsetDurability {
        try self.state.withLock { (state) throws(GroupCoordinatorError) -> OffsetDurability in
            let existing = state.offsetsByGroup[groupId] ?? [:]
            let doomed = partitions.map { $0.filter { existing[$0] != nil } } ?? Array(existing.keys)
            return try self.writeTombstones(groupId: groupId, partitions: doomed, into: &state)
        }
    }

    /// Deletes the offsets of every group that is not in `activeGroupIds` (groups with members) and whose
    /// newest commit is `abandonedGroupRetentionMs` old at `nowMs` (wall-clock). Returns the groups expired.
    public func expireAbandonedGroups(
        nowMs: Int64, activeGroupIds: Set<String>
    ) throws(GroupCoordinatorError) -> (expiredGroupIds: [String], durability: OffsetDurability) {
        try self.state.withLock { (state) throws(GroupCoordinatorError) in
            let retentionMs = self.configuration.abandonedGroupRetentionMs
            let expired = state.lastCommitTimestampMsByGroup.filter { groupId, lastCommitMs in
                !activeGroupIds.contains(groupId) && nowMs - lastCommitMs >= retentionMs
            }.keys.sorted()
            var durability = OffsetDurability.immediate
            for groupId in expired {
                let partitions = state.offsetsByGroup[groupId].map { Array($0.keys) } ?? []
                durability = try self.writeTombstones(groupId: groupId, partitions: partitions, into: &state)
            }
            if !expired.isEmpty { self.onEvent("expired the offsets of abandoned groups \(expired)") }
            return (expired, durability)
        }
    }

    private func writeTombstones(
        groupId: String, partitions: [TopicPartition], into state: inout State
    ) throws(GroupCoordinatorError) -> OffsetDurability {
        guard !partitions.isEmpty else { return .immediate }
        let nowMs = self.clock.wallTimeMs()
        let records = partitions.map { topicPartition in
            PendingRecord(
                key: OffsetRecordCodec.commitKey(groupId: groupId, topicPartition: topicPartition),
                value: nil, timestampMs: nowMs
            )
        }
        self.compactIfDue(&state)
        let durability = try self.append(records, to: &state)
        for topicPartition in partitions {
            state.apply(groupId: groupId, topicPartition: topicPartition, nil)
        }
        return durability
    }

    private func checkBounds(
        groupId: String, adding partitions: Dictionary<TopicPartition, CommittedOffset>.Keys, in state: State
    ) throws(GroupCoordinatorError) {
        let existing = state.offsetsByGroup[groupId]
        if existing == nil && state.offsetsByGroup.count >= self.configuration.groupCountMax {
            throw GroupCoordinatorError(code: .tooLarge, message: "the offset store holds \(state.offsetsByGroup.count) groups")
        }
        let newCount = partitions.filter { existing?[$0] == nil }.count
        if (existing?.count ?? 0) + newCount > self.configuration.partitionsPerGroupMax {
            throw GroupCoordinatorError(code: .tooLarge, message: "group \(groupId) would hold too many partitions")
        }
    }

    /// Appends `records` to the current log as one or more batches in one write, so a commit is in the log
    /// entirely or not at all.
    func append(_ records: [PendingRecord], to state: inout State) throws(GroupCoordinatorError) -> OffsetDurability {
        let bytes = try Self.encodeBatches(records, batchSizeBytesMax: state.log.config.batchSizeBytesMax)
        let log = state.log
        do {
            let result = try bytes.withUnsafeBytes { try log.appendInternal($0) }
            state.recordCount += Int64(records.count)
            return OffsetDurability(log: log, endOffset: result.lastOffset + 1)
        } catch {
            throw GroupCoordinatorError(code: .storageFailure, message: "offsets log append failed: \(error)")
        }
    }

    /// Concatenated uncompressed batches, each under `batchSizeBytesMax`.
    static func encodeBatches(
        _ records: [PendingRecord], batchSizeBytesMax: Int
    ) throws(GroupCoordinatorError) -> [UInt8] {
        // Room for the batch header and each record's varint framing on top of its key and value.
        let recordOverheadBytes = 32
        var builder = RecordBatchBuilder()
        var bytes: [UInt8] = []
        do {
            for record in records {
                let recordSizeBytes = record.key.count + (record.value?.count ?? 0) + recordOverheadBytes
                if !builder.isEmpty && builder.uncompressedSizeBytes + recordSizeBytes > batchSizeBytesMax {
                    bytes += try builder.finish()
                }
                try builder.append(timestampMs: record.timestampMs, key: record.key, value: record.value)
            }
            if !builder.isEmpty { bytes += try builder.finish() }
        } catch {
            throw GroupCoordinatorError(code: .tooLarge, message: "offsets batch could not be built: \(error)")
        }
        return bytes
    }
}
