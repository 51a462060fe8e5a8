/// JoinGroup: new members (with KIP-394's MEMBER_ID_REQUIRED round trip), known members rejoining, and
/// KIP-345 static members whose new incarnation takes over the old one's place and assignment.
extension GroupStateMachine {
    public mutating func join(_ unboundedRequest: GroupJoinRequest, nowMs: Int64) -> [GroupAction] {
        let request = self.truncatingDescriptiveFields(unboundedRequest)
        if let errorCode = self.joinError(request) {
            return [.replyJoin(.failure(errorCode, memberId: request.memberId))]
        }
        let actions: [GroupAction]
        if request.memberId.isEmpty {
            if let groupInstanceId = request.groupInstanceId {
                actions = self.joinStaticMember(request, groupInstanceId: groupInstanceId, nowMs: nowMs)
            } else {
                actions = self.joinNewDynamicMember(request, nowMs: nowMs)
            }
        } else {
            actions = self.joinKnownMember(request, nowMs: nowMs)
        }
        self.checkInvariants()
        return actions
    }

    /// Checks that do not depend on who the member is.
    private func joinError(_ request: GroupJoinRequest) -> GroupErrorCode? {
        if self.state == .dead { return .coordinatorNotAvailable }
        let sessionTimeoutRange = self.configuration.sessionTimeoutMsMin...self.configuration.sessionTimeoutMsMax
        if !sessionTimeoutRange.contains(request.sessionTimeoutMs) { return .invalidSessionTimeout }
        if request.rebalanceTimeoutMs <= 0 { return .invalidSessionTimeout }
        if request.protocolType.isEmpty || request.protocols.isEmpty { return .inconsistentGroupProtocol }
        if !self.isWithinBounds(request) { return .invalidRequest }
        if !self.isCompatible(request) { return .inconsistentGroupProtocol }
        return nil
    }

    /// Client id and host only describe the member (DescribeGroups): a long one is cut rather than refused,
    /// since clients build client ids from group names and refusing would keep such a consumer out.
    private func truncatingDescriptiveFields(_ request: GroupJoinRequest) -> GroupJoinRequest {
        let lengthMax = self.configuration.identifierLengthBytesMax
        var request = request
        request.clientId = String(decoding: request.clientId.utf8.prefix(lengthMax), as: UTF8.self)
        request.clientHost = String(decoding: request.clientHost.utf8.prefix(lengthMax), as: UTF8.self)
        return request
    }

    private func isWithinBounds(_ request: GroupJoinRequest) -> Bool {
        let lengthMax = self.configuration.identifierLengthBytesMax
        let identifiers = [request.protocolType] + request.protocols.map(\.name)
            + [request.groupInstanceId].compactMap { $0 }
        if request.groupInstanceId?.isEmpty == true { return false }
        // A member id is a client id (cut to the same bound) with a dash and a UUID.
        return identifiers.allSatisfy { $0.utf8.count <= lengthMax }
            && request.memberId.utf8.count <= lengthMax + 64
            && request.protocols.count <= self.configuration.protocolsPerMemberMax
            && request.protocols.allSatisfy { $0.metadata.count <= self.configuration.protocolMetadataSizeBytesMax }
    }

    /// A member must speak the group's protocol type and share at least one protocol with every other member.
    private func isCompatible(_ request: GroupJoinRequest) -> Bool {
        let others = self.members.values.filter { $0.memberId != request.memberId }
        if others.isEmpty { return true }
        if request.protocolType != self.protocolType { return false }
        var common = Set(request.protocols.map(\.name))
        for member in others {
            common.formIntersection(member.protocols.map(\.name))
        }
        return !common.isEmpty
    }

    private var hasRoomForMember: Bool {
        self.members.count + self.pendingMemberDeadlinesMs.count < self.configuration.membersPerGroupMax
    }

    private mutating func joinNewDynamicMember(_ request: GroupJoinRequest, nowMs: Int64) -> [GroupAction] {
        guard self.hasRoomForMember else { return [.replyJoin(.failure(.groupMaxSizeReached))] }
        let memberId = self.memberIdGenerator.memberId(clientId: request.clientId)
        if request.requireKnownMemberId {
            // The id only counts once the client comes back with it: a client that never does costs a slot
            // for one session timeout, not a member that stalls every rebalance.
            self.pendingMemberDeadlinesMs[memberId] = nowMs + Int64(request.sessionTimeoutMs)
            return [.replyJoin(.failure(.memberIdRequired, memberId: memberId))]
        }
        return self.addMemberAndRebalance(memberId: memberId, request: request, nowMs: nowMs)
    }

    private mutating func joinStaticMember(
        _ request: GroupJoinRequest, groupInstanceId: String, nowMs: Int64
    ) -> [GroupAction] {
        let newMemberId = self.memberIdGenerator.memberId(clientId: request.clientId)
        guard let oldMemberId = self.staticMemberIds[groupInstanceId] else {
            guard self.hasRoomForMember else { return [.replyJoin(.failure(.groupMaxSizeReached))] }
            return self.addMemberAndRebalance(memberId: newMemberId, request: request, nowMs: nowMs)
        }
        return self.replaceStaticMember(oldMemberId, with: newMemberId, request: request, nowMs: nowMs)
    }

    /// A static member restarted: its new incarnation takes the old one's place, assignment and leadership.
    /// In a stable group nothing else changes (KIP-345's point: a rolling restart does not rebalance)
    /// unless its protocols changed. A restarted leader that can be told to skip the assignment (JoinGroup
    /// v9+) is; an older client is answered as a follower (members empty, the old leader id), so it asks
    /// SyncGroup for its stored assignment instead of computing a new one, as Kafka does.
    private mutating func replaceStaticMember(
        _ oldMemberId: String, with newMemberId: String, request: GroupJoinRequest, nowMs: Int64
    ) -> [GroupAction] {
        let position = self.memberOrder.firstIndex(of: oldMemberId)!
        let old = self.members[oldMemberId]!
        let wasLeader = self.leaderId == oldMemberId
        let wasPendingSync = self.pendingSyncMemberIds.contains(oldMemberId)
        var actions = self.removeMember(oldMemberId, answeringWith: .fencedInstanceId)
        var member = GroupMember(memberId: newMemberId, request: request, nowMs: nowMs)
        member.assignment = old.assignment
        self.insertMember(member, at: position)
        if wasLeader { self.leaderId = newMemberId }
        if wasPendingSync { self.pendingSyncMemberIds.insert(newMemberId) }
        let protocolsChanged = old.protocols != request.protocols
        switch self.state {
        case .stable where !protocolsChanged:
            var result = self.joinResult(for: newMemberId, skipAssignment: wasLeader && request.supportsSkipAssignment)
            if wasLeader && !request.supportsSkipAssignment {
                result.leaderId = oldMemberId
                result.members = []
            }
            actions.append(.replyJoin(result))
            return actions
        case .preparingRebalance:
            self.members[newMemberId]!.isAwaitingJoin = true
            actions.append(.awaitJoin(memberId: newMemberId))
            return actions + self.maybeCompleteJoin(nowMs: nowMs)
        default:
            // Completing (the leader's assignment names the old id) or stable with new metadata: rebalance.
            self.members[newMemberId]!.isAwaitingJoin = true
            actions.append(.awaitJoin(memberId: newMemberId))
            return actions + self.prepareRebalance(nowMs: nowMs) + self.maybeCompleteJoin(nowMs: nowMs)
        }
    }

    private mutating func joinKnownMember(_ request: GroupJoinRequest, nowMs: Int64) -> [GroupAction] {
        if request.groupInstanceId == nil, self.pendingMemberDeadlinesMs.removeValue(forKey: request.memberId) != nil {
            return self.addMemberAndRebalance(memberId: request.memberId, request: request, nowMs: nowMs)
        }
        if let errorCode = self.memberError(memberId: request.memberId, groupInstanceId: request.groupInstanceId) {
            return [.replyJoin(.failure(errorCode, memberId: request.memberId))]
        }
        let memberId = request.memberId
        let member = self.members[memberId]!
        let protocolsChanged = member.protocols != request.protocols
        switch self.state {
        case .preparingRebalance:
            return self.parkJoin(memberId: memberId, request: request, nowMs: nowMs)
                + self.maybeCompleteJoin(nowMs: nowMs)
        case .completingRebalance where !protocolsChanged:
            // The member probably lost the JoinGroup answer: give it the same one again.
            self.members[memberId]!.touch(nowMs: nowMs)
            return [.replyJoin(self.joinResult(for: memberId))]
        case .stable where !protocolsChanged && memberId != self.leaderId:
            self.members[memberId]!.touch(nowMs: nowMs)
            return [.replyJoin(self.joinResult(for: memberId))]
        case .completingRebalance, .stable:
            // New metadata, or the leader asking for a new assignment (e.g. the topics' partitions changed).
            let parked = self.parkJoin(memberId: memberId, request: request, nowMs: nowMs)
            return parked + self.prepareRebalance(nowMs: nowMs) + self.maybeCompleteJoin(nowMs: nowMs)
        case .empty, .dead:
            return [.replyJoin(.failure(.unknownMemberId, memberId: memberId))]
        }
    }

    /// Updates a known member from its JoinGroup and parks the request. A join already parked for it (the
    /// client gave up on it and sent another) is answered so the kept request is always the newest.
    private mutating func parkJoin(memberId: String, request: GroupJoinRequest, nowMs: Int64) -> [GroupAction] {
        var actions: [GroupAction] = []
        if self.members[memberId]!.isAwaitingJoin {
            actions.append(.completeJoin(memberId: memberId, .failure(.rebalanceInProgress, memberId: memberId)))
        }
        self.members[memberId]!.update(from: request, nowMs: nowMs)
        self.members[memberId]!.isAwaitingJoin = true
        actions.append(.awaitJoin(memberId: memberId))
        return actions
    }

    private mutating func addMemberAndRebalance(
        memberId: String, request: GroupJoinRequest, nowMs: Int64
    ) -> [GroupAction] {
        var member = GroupMember(memberId: memberId, request: request, nowMs: nowMs)
        member.isAwaitingJoin = true
        if self.members.isEmpty { self.protocolType = request.protocolType }
        self.insertMember(member)
        if self.leaderId == nil { self.leaderId = memberId }
        var actions: [GroupAction] = [.awaitJoin(memberId: memberId)]
        if self.state == .preparingRebalance {
            self.extendInitialRebalance(nowMs: nowMs)
        } else {
            actions += self.prepareRebalance(nowMs: nowMs)
        }
        return actions + self.maybeCompleteJoin(nowMs: nowMs)
    }
}
