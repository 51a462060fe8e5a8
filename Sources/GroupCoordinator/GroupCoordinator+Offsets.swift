import SluiceModel

/// One partition of an OffsetCommit request.
public struct PartitionOffsetCommit: Sendable, Equatable {
    public var topicPartition: TopicPartition
    public var offset: Int64
    public var leaderEpoch: Int32
    /// Null on the wire is stored as empty.
    public var metadata: String?

    public init(topicPartition: TopicPartition, offset: Int64, leaderEpoch: Int32 = -1, metadata: String? = nil) {
        self.topicPartition = topicPartition
        self.offset = offset
        self.leaderEpoch = leaderEpoch
        self.metadata = metadata
    }
}

/// An OffsetCommit request. Simple consumers (`assign()`) send generation -1 and an empty member id.
public struct GroupOffsetCommitRequest: Sendable, Equatable {
    public var groupId: String
    public var memberId: String
    public var generationId: Int32
    public var groupInstanceId: String?
    public var partitions: [PartitionOffsetCommit]

    public init(
        groupId: String, memberId: String = "", generationId: Int32 = -1, groupInstanceId: String? = nil,
        partitions: [PartitionOffsetCommit]
    ) {
        self.groupId = groupId
        self.memberId = memberId
        self.generationId = generationId
        self.groupInstanceId = groupInstanceId
        self.partitions = partitions
    }
}

/// The outcome for one partition of an OffsetCommit.
public struct PartitionCommitResult: Sendable, Equatable {
    public var topicPartition: TopicPartition
    public var errorCode: GroupErrorCode
}

/// An OffsetFetch answer: offset -1 for partitions without a commit.
public struct OffsetFetchResult: Sendable, Equatable {
    public var errorCode: GroupErrorCode
    public var offsets: [TopicPartition: CommittedOffset]
}

/// OffsetCommit, OffsetFetch and the expiry of abandoned groups' offsets.
extension GroupCoordinator {
    /// Validates the member and generation (see `GroupStateMachine.validateOffsetCommit`), writes the commit
    /// and answers once it is durable under the offsets log's fsync policy. One error per partition.
    public func commitOffsets(
        _ request: GroupOffsetCommitRequest, completion: @escaping @Sendable ([PartitionCommitResult]) -> Void
    ) {
        let (results, accepted) = self.checkPartitions(request)
        let (membershipError, durability) = self.writeCommit(request, accepted: accepted)
        if membershipError != .none {
            completion(results.map { PartitionCommitResult(topicPartition: $0.topicPartition, errorCode: membershipError) })
            return
        }
        durability.whenDurable { outcome in
            guard case .failure = outcome else {
                completion(results)
                return
            }
            completion(results.map { result in
                let errorCode = result.errorCode == .none ? GroupErrorCode.coordinatorNotAvailable : result.errorCode
                return PartitionCommitResult(topicPartition: result.topicPartition, errorCode: errorCode)
            })
        }
    }

    /// Per-partition errors, and the commits of the partitions without one.
    private func checkPartitions(
        _ request: GroupOffsetCommitRequest
    ) -> ([PartitionCommitResult], [TopicPartition: CommittedOffset]) {
        var results: [PartitionCommitResult] = []
        var accepted: [TopicPartition: CommittedOffset] = [:]
        let wallTimeMs = self.clock.wallTimeMs()
        for partition in request.partitions {
            let errorCode = self.partitionCommitError(partition)
            results.append(PartitionCommitResult(topicPartition: partition.topicPartition, errorCode: errorCode))
            guard errorCode == .none else { continue }
            accepted[partition.topicPartition] = CommittedOffset(
                offset: partition.offset, leaderEpoch: partition.leaderEpoch, metadata: partition.metadata ?? "",
                commitTimestampMs: wallTimeMs
            )
        }
        return (results, accepted)
    }

    /// Checks membership and writes. The write happens under the group's lock, so no rebalance slips
    /// between the check and the commit.
    private func writeCommit(
        _ request: GroupOffsetCommitRequest, accepted: [TopicPartition: CommittedOffset]
    ) -> (GroupErrorCode, OffsetDurability) {
        var durability = OffsetDurability.immediate
        let write = { () -> GroupErrorCode in
            do throws(GroupCoordinatorError) {
                durability = try self.offsetStore.commit(groupId: request.groupId, offsets: accepted)
                return .none
            } catch {
                return error.code == .tooLarge ? .invalidCommitOffsetSize : .coordinatorNotAvailable
            }
        }
        switch self.slot(for: request.groupId, creating: false) {
        case .refused(let errorCode):
            return (errorCode, durability)
        case .absent:
            // No group: only a commit without a generation (a simple consumer, an admin tool) is accepted;
            // Kafka answers ILLEGAL_GENERATION to anyone else.
            let isSimpleConsumer = request.generationId < 0
            let errorCode = isSimpleConsumer ? write() : .illegalGeneration
            return (errorCode, durability)
        case .found(let slot):
            let nowMs = self.nowMs
            let errorCode = slot.state.withLock { state -> GroupErrorCode in
                let errorCode = state.machine.validateOffsetCommit(
                    memberId: request.memberId, generationId: request.generationId,
                    groupInstanceId: request.groupInstanceId, nowMs: nowMs
                )
                return errorCode == .none ? write() : errorCode
            }
            return (errorCode, durability)
        }
    }

    private func partitionCommitError(_ partition: PartitionOffsetCommit) -> GroupErrorCode {
        if (partition.metadata?.utf8.count ?? 0) > self.offsetStore.configuration.metadataLengthBytesMax {
            return .offsetMetadataTooLarge
        }
        let topic = partition.topicPartition.topic
        if topic.isEmpty || topic.utf8.count > Limits.topicNameLengthMax || partition.topicPartition.partition.rawValue < 0 {
            return .unknownTopicOrPartition
        }
        return .none
    }

    /// The longest commit metadata accepted (Kafka's `offset.metadata.max.bytes`).
    public var offsetMetadataLengthBytesMax: Int { self.offsetStore.configuration.metadataLengthBytesMax }

    /// The committed offsets of the listed partitions (all of the group's when nil); -1 where none.
    public func fetchOffsets(groupId: String, partitions: [TopicPartition]?) -> OffsetFetchResult {
        if let errorCode = self.groupIdError(groupId) {
            return OffsetFetchResult(errorCode: errorCode, offsets: [:])
        }
        return OffsetFetchResult(errorCode: .none, offsets: self.offsetStore.fetch(groupId: groupId, partitions: partitions))
    }

    /// Deletes the offsets of groups without members whose newest commit is older than the offset store's
    /// `abandonedGroupRetentionMs`; the server calls it now and then (Kafka checks every 10 minutes).
    /// Returns the groups whose offsets went.
    @discardableResult
    public func expireAbandonedGroups() throws(GroupCoordinatorError) -> [String] {
        let slots = self.groups.withLock { Array($0.values) }
        var activeGroupIds: Set<String> = []
        for slot in slots where slot.state.withLock({ !$0.machine.isIdle }) {
            activeGroupIds.insert(slot.groupId)
        }
        // A group that gains a member between this look and the expiry loses offsets a week stale: harmless,
        // the consumer falls back to its auto.offset.reset.
        return try self.offsetStore.expireAbandonedGroups(
            nowMs: self.clock.wallTimeMs(), activeGroupIds: activeGroupIds
        ).expiredGroupIds
    }
}
