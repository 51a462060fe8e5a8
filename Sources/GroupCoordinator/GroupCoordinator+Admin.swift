import Synchronization

/// ListGroups, DescribeGroups and DeleteGroups. A group "exists" while it has a state machine here or
/// committed offsets in the offset store (Kafka lists a simple consumer's group as Empty, too).
extension GroupCoordinator {
    /// Every group, filtered by state when `states` is given (ListGroups v4+).
    public func listGroups(states: Set<GroupState>? = nil) -> [GroupListing] {
        let slots = self.groups.withLock { Array($0.values) }
        var listings: [String: GroupListing] = [:]
        for slot in slots where !slot.isRemoved.load(ordering: .acquiring) {
            self.catchUpTimers(slot)
            let listing = slot.state.withLock { $0.machine.listing() }
            if listing.state != .dead { listings[listing.groupId] = listing }
        }
        for groupId in self.offsetStore.groupIds() where listings[groupId] == nil {
            listings[groupId] = GroupListing(groupId: groupId, protocolType: self.protocolType(ofEmptyGroup: groupId), state: .empty)
        }
        return listings.values
            .filter { states?.contains($0.state) ?? true }
            .sorted { $0.groupId < $1.groupId }
    }

    /// One description per requested id, in order; an unknown group is described as Dead (as Kafka does).
    public func describeGroups(_ groupIds: [String]) -> [GroupDescription] {
        groupIds.map { groupId in
            switch self.slot(for: groupId, creating: false) {
            case .refused(let errorCode):
                return GroupDescription.unknown(groupId, errorCode: errorCode)
            case .found(let slot):
                self.catchUpTimers(slot)
                return slot.state.withLock { $0.machine.describe() }
            case .absent:
                guard self.offsetStore.hasOffsets(groupId: groupId) else { return GroupDescription.unknown(groupId) }
                return GroupDescription(
                    groupId: groupId, errorCode: .none, state: .empty,
                    protocolType: self.protocolType(ofEmptyGroup: groupId), protocolName: "", members: []
                )
            }
        }
    }

    /// Deletes groups without members, with their offsets: NON_EMPTY_GROUP for a group with members,
    /// GROUP_ID_NOT_FOUND for one that is not there. Answers once the offset tombstones are durable.
    public func deleteGroups(
        _ groupIds: [String], completion: @escaping @Sendable ([GroupDeletionResult]) -> Void
    ) {
        var results: [GroupDeletionResult] = []
        var durabilities: [(index: Int, durability: OffsetDurability)] = []
        for groupId in groupIds {
            let errorCode = self.removeForDeletion(groupId)
            results.append(GroupDeletionResult(groupId: groupId, errorCode: errorCode))
            guard errorCode == .none else { continue }
            do {
                durabilities.append((results.count - 1, try self.offsetStore.deleteGroup(groupId)))
            } catch {
                results[results.count - 1].errorCode = .coordinatorNotAvailable
            }
        }
        guard !durabilities.isEmpty else {
            completion(results)
            return
        }
        let pending = Mutex((remaining: durabilities.count, results: results))
        for (index, durability) in durabilities {
            durability.whenDurable { outcome in
                let finished = pending.withLock { state -> [GroupDeletionResult]? in
                    if case .failure = outcome { state.results[index].errorCode = .coordinatorNotAvailable }
                    state.remaining -= 1
                    return state.remaining == 0 ? state.results : nil
                }
                if let finished { completion(finished) }
            }
        }
    }

    /// Marks the group's state machine dead and drops it, or says why not.
    private func removeForDeletion(_ groupId: String) -> GroupErrorCode {
        switch self.slot(for: groupId, creating: false) {
        case .refused(let errorCode):
            return errorCode
        case .absent:
            self.forgetProtocolType(ofEmptyGroup: groupId)
            return self.offsetStore.hasOffsets(groupId: groupId) ? .none : .groupIdNotFound
        case .found(let slot):
            // A member whose session ended a moment ago is gone now, whenever the next tick would run.
            self.catchUpTimers(slot)
            let errorCode = slot.state.withLock { state -> GroupErrorCode in
                // Kafka deletes only an Empty group: a preparing one without members still waits on member
                // ids it handed out.
                guard state.machine.state == .empty else { return .nonEmptyGroup }
                state.machine.markDead()
                slot.isRemoved.store(true, ordering: .releasing)
                return .none
            }
            guard errorCode == .none else { return errorCode }
            self.groups.withLock { groups in
                if groups[groupId] === slot { groups.removeValue(forKey: groupId) }
            }
            return .none
        }
    }
}

/// The outcome of deleting one group.
public struct GroupDeletionResult: Sendable, Equatable {
    public var groupId: String
    public var errorCode: GroupErrorCode

    public init(groupId: String, errorCode: GroupErrorCode) {
        self.groupId = groupId
        self.errorCode = errorCode
    }
}
