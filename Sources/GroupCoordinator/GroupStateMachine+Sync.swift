/// SyncGroup, Heartbeat, and the membership check of an OffsetCommit.
extension GroupStateMachine {
    public mutating func sync(_ request: GroupSyncRequest, nowMs: Int64) -> [GroupAction] {
        if let errorCode = self.syncError(request) {
            return [.replySync(.failure(errorCode))]
        }
        let memberId = request.memberId
        self.members[memberId]!.touch(nowMs: nowMs)
        switch self.state {
        case .completingRebalance:
            let actions = self.parkSync(memberId: memberId) + self.completeSyncIfLeader(request)
            self.checkInvariants()
            return actions
        case .stable:
            return [.replySync(self.syncResult(for: memberId))]
        case .preparingRebalance:
            return [.replySync(.failure(.rebalanceInProgress))]
        case .empty, .dead:
            preconditionFailure("syncError answers for groups without members")
        }
    }

    private func syncError(_ request: GroupSyncRequest) -> GroupErrorCode? {
        if self.state == .dead { return .coordinatorNotAvailable }
        if let errorCode = self.memberError(memberId: request.memberId, groupInstanceId: request.groupInstanceId) {
            return errorCode
        }
        if request.generationId != self.generationId { return .illegalGeneration }
        if let protocolType = request.protocolType, protocolType != self.protocolType {
            return .inconsistentGroupProtocol
        }
        if let protocolName = request.protocolName, self.state != .preparingRebalance,
           protocolName != self.protocolName
        {
            return .inconsistentGroupProtocol
        }
        if request.assignments.count > self.configuration.membersPerGroupMax
            || request.assignments.contains(where: { $0.assignment.count > self.configuration.assignmentSizeBytesMax })
        {
            return .invalidRequest
        }
        return nil
    }

    private mutating func parkSync(memberId: String) -> [GroupAction] {
        self.pendingSyncMemberIds.remove(memberId)
        var actions: [GroupAction] = []
        if self.members[memberId]!.isAwaitingSync {
            actions.append(.completeSync(memberId: memberId, .failure(.rebalanceInProgress)))
        }
        self.members[memberId]!.isAwaitingSync = true
        actions.append(.awaitSync(memberId: memberId))
        return actions
    }

    /// The leader's SyncGroup carries every member's assignment: store them, become stable, answer everyone
    /// waiting. Assignments for ids that are not members are dropped; members the leader left out get none.
    private mutating func completeSyncIfLeader(_ request: GroupSyncRequest) -> [GroupAction] {
        guard request.memberId == self.leaderId else { return [] }
        var assignments: [String: [UInt8]] = [:]
        for entry in request.assignments where self.members[entry.memberId] != nil {
            assignments[entry.memberId] = entry.assignment
        }
        for memberId in self.memberOrder {
            self.members[memberId]!.assignment = assignments[memberId] ?? []
        }
        self.state = .stable
        self.pendingSyncMemberIds = []
        self.syncDeadlineMs = nil
        var actions: [GroupAction] = []
        for memberId in self.memberOrder where self.members[memberId]!.isAwaitingSync {
            self.members[memberId]!.isAwaitingSync = false
            actions.append(.completeSync(memberId: memberId, self.syncResult(for: memberId)))
        }
        return actions
    }

    private func syncResult(for memberId: String) -> SyncGroupResult {
        SyncGroupResult(
            errorCode: .none, protocolType: self.protocolType, protocolName: self.protocolName,
            assignment: self.members[memberId]!.assignment
        )
    }

    /// Checks the member and its generation, and pushes its session deadline out. REBALANCE_IN_PROGRESS
    /// during the join phase tells the client to rejoin.
    public mutating func heartbeat(_ request: GroupHeartbeatRequest, nowMs: Int64) -> GroupErrorCode {
        if self.state == .dead { return .coordinatorNotAvailable }
        if let errorCode = self.memberError(memberId: request.memberId, groupInstanceId: request.groupInstanceId) {
            return errorCode
        }
        if request.generationId != self.generationId { return .illegalGeneration }
        self.members[request.memberId]!.touch(nowMs: nowMs)
        switch self.state {
        case .preparingRebalance: return .rebalanceInProgress
        case .completingRebalance, .stable: return .none
        case .empty, .dead: return .unknownMemberId
        }
    }

    /// Whether an OffsetCommit may be written, as Kafka decides it: a commit with generation -1 (a simple
    /// consumer using `assign()`, or an admin tool) only when the group has no members; otherwise a current
    /// member of the current generation, and not while the generation's assignment is being handed out.
    /// Commits during PreparingRebalance are accepted: eager consumers commit before they rejoin.
    public mutating func validateOffsetCommit(
        memberId: String, generationId: Int32, groupInstanceId: String?, nowMs: Int64
    ) -> GroupErrorCode {
        if self.state == .dead { return .coordinatorNotAvailable }
        if let groupInstanceId, let currentMemberId = self.staticMemberIds[groupInstanceId], currentMemberId != memberId {
            return .fencedInstanceId
        }
        if generationId < 0 && self.state == .empty { return .none }
        if let errorCode = self.memberError(memberId: memberId, groupInstanceId: groupInstanceId) {
            return errorCode
        }
        if generationId != self.generationId { return .illegalGeneration }
        switch self.state {
        case .completingRebalance:
            return .rebalanceInProgress
        case .preparingRebalance, .stable:
            self.members[memberId]!.touch(nowMs: nowMs)
            return .none
        case .empty, .dead:
            return .unknownMemberId
        }
    }
}
