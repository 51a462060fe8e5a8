/// LeaveGroup, and `tick`: the expiry of silent members, handed-out member ids and overdue phases.
extension GroupStateMachine {
    public mutating func leave(_ leaving: [LeavingMember], nowMs: Int64) -> (LeaveGroupResult, [GroupAction]) {
        if self.state == .dead {
            let results = leaving.map {
                LeftMember(memberId: $0.memberId, groupInstanceId: $0.groupInstanceId, errorCode: .coordinatorNotAvailable)
            }
            return (LeaveGroupResult(errorCode: .coordinatorNotAvailable, members: results), [])
        }
        var actions: [GroupAction] = []
        var results: [LeftMember] = []
        var removedAny = false
        for member in leaving {
            let (errorCode, removedMemberId) = self.leaveOne(member)
            results.append(LeftMember(memberId: member.memberId, groupInstanceId: member.groupInstanceId, errorCode: errorCode))
            if let removedMemberId {
                actions += self.removeMember(removedMemberId)
                removedAny = true
            }
        }
        if removedAny {
            actions += self.rebalanceAfterRemoval(nowMs: nowMs)
        } else {
            // Withdrawing a handed-out member id may be what a preparing group was waiting for.
            actions += self.maybeCompleteJoin(nowMs: nowMs)
        }
        self.checkInvariants()
        return (LeaveGroupResult(errorCode: .none, members: results), actions)
    }

    /// The error for one leaving member, and the member id to remove when there is one.
    private mutating func leaveOne(_ member: LeavingMember) -> (GroupErrorCode, String?) {
        if let groupInstanceId = member.groupInstanceId {
            guard let currentMemberId = self.staticMemberIds[groupInstanceId] else { return (.unknownMemberId, nil) }
            // An empty member id means "whichever incarnation" (the admin client's removeMembersFromConsumerGroup).
            if !member.memberId.isEmpty && member.memberId != currentMemberId { return (.fencedInstanceId, nil) }
            return (.none, currentMemberId)
        }
        if self.pendingMemberDeadlinesMs.removeValue(forKey: member.memberId) != nil { return (.none, nil) }
        guard self.members[member.memberId] != nil else { return (.unknownMemberId, nil) }
        return (.none, member.memberId)
    }

    /// Runs the group's timers: removes members silent past their session timeout, forgets handed-out member
    /// ids never used, and ends a join or sync phase that has waited its rebalance timeout.
    public mutating func tick(nowMs: Int64) -> [GroupAction] {
        guard self.state != .dead else { return [] }
        var actions: [GroupAction] = []
        self.pendingMemberDeadlinesMs = self.pendingMemberDeadlinesMs.filter { $0.value > nowMs }
        var removedAny = false
        for memberId in self.memberOrder where self.members[memberId]!.isExpired(nowMs: nowMs) {
            actions += self.removeMember(memberId)
            removedAny = true
        }
        if self.state == .completingRebalance, let syncDeadlineMs = self.syncDeadlineMs, nowMs >= syncDeadlineMs {
            // Members of the new generation that never sent SyncGroup (the leader, typically) hold everyone up.
            for memberId in self.memberOrder where self.pendingSyncMemberIds.contains(memberId) {
                actions += self.removeMember(memberId)
                removedAny = true
            }
        }
        if removedAny {
            actions += self.rebalanceAfterRemoval(nowMs: nowMs)
        }
        if self.state == .preparingRebalance, let deadlineMs = self.rebalanceDeadlineMs, nowMs >= deadlineMs {
            actions += self.completeJoin(nowMs: nowMs)
        } else {
            actions += self.maybeCompleteJoin(nowMs: nowMs)
        }
        self.checkInvariants()
        return actions
    }
}
