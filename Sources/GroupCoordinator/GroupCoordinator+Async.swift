/// async/await forms of the completion-based calls, for the control plane and tests.
extension GroupCoordinator {
    public func joinGroup(groupId: String, request: GroupJoinRequest) async -> JoinGroupResult {
        await withCheckedContinuation { continuation in
            self.joinGroup(groupId: groupId, request: request) { continuation.resume(returning: $0) }
        }
    }

    public func syncGroup(groupId: String, request: GroupSyncRequest) async -> SyncGroupResult {
        await withCheckedContinuation { continuation in
            self.syncGroup(groupId: groupId, request: request) { continuation.resume(returning: $0) }
        }
    }

    public func commitOffsets(_ request: GroupOffsetCommitRequest) async -> [PartitionCommitResult] {
        await withCheckedContinuation { continuation in
            self.commitOffsets(request) { continuation.resume(returning: $0) }
        }
    }

    public func deleteGroups(_ groupIds: [String]) async -> [GroupDeletionResult] {
        await withCheckedContinuation { continuation in
            self.deleteGroups(groupIds) { continuation.resume(returning: $0) }
        }
    }
}
