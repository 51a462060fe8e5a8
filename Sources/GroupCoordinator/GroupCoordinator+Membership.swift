/// JoinGroup, SyncGroup, Heartbeat and LeaveGroup, routed to the group's state machine.
extension GroupCoordinator {
    /// Answers through `completion`, at once (errors, MEMBER_ID_REQUIRED, a static member's rejoin) or when
    /// the rebalance completes.
    public func joinGroup(groupId: String, request: GroupJoinRequest, completion: @escaping JoinGroupCompletion) {
        // Only a member without an id can create a group; an id for a group that is not there is stale.
        switch self.slot(for: groupId, creating: request.memberId.isEmpty) {
        case .refused(let errorCode):
            completion(.failure(errorCode, memberId: request.memberId))
        case .absent:
            completion(.failure(.unknownMemberId, memberId: request.memberId))
        case .found(let slot):
            self.run(on: slot, joinReply: completion) { machine, nowMs in machine.join(request, nowMs: nowMs) }
        }
    }

    /// Answers through `completion`: a follower's sync waits for the leader's.
    public func syncGroup(groupId: String, request: GroupSyncRequest, completion: @escaping SyncGroupCompletion) {
        switch self.slot(for: groupId, creating: false) {
        case .refused(let errorCode):
            completion(.failure(errorCode))
        case .absent:
            completion(.failure(.unknownMemberId))
        case .found(let slot):
            self.run(on: slot, syncReply: completion) { machine, nowMs in machine.sync(request, nowMs: nowMs) }
        }
    }

    public func heartbeat(groupId: String, request: GroupHeartbeatRequest) -> GroupErrorCode {
        switch self.slot(for: groupId, creating: false) {
        case .refused(let errorCode):
            return errorCode
        case .absent:
            return .unknownMemberId
        case .found(let slot):
            let nowMs = self.nowMs
            return slot.state.withLock { $0.machine.heartbeat(request, nowMs: nowMs) }
        }
    }

    /// LeaveGroup, any version: v0–v2 pass one member without an instance id.
    public func leaveGroup(groupId: String, members: [LeavingMember]) -> LeaveGroupResult {
        let slot: GroupSlot
        switch self.slot(for: groupId, creating: false) {
        case .refused(let errorCode):
            return LeaveGroupResult(errorCode: errorCode, members: [])
        case .absent:
            let results = members.map {
                LeftMember(memberId: $0.memberId, groupInstanceId: $0.groupInstanceId, errorCode: .unknownMemberId)
            }
            return LeaveGroupResult(errorCode: .none, members: results)
        case .found(let found):
            slot = found
        }
        var result = LeaveGroupResult(errorCode: .none, members: [])
        self.run(on: slot) { machine, nowMs in
            let (leaveResult, actions) = machine.leave(members, nowMs: nowMs)
            result = leaveResult
            return actions
        }
        return result
    }
}
