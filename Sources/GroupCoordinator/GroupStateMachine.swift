/// One consumer group under the classic Kafka group protocol (JoinGroup / SyncGroup / Heartbeat /
/// LeaveGroup), as a value: no I/O, no threads, no callbacks. Every method takes the current monotonic
/// time in milliseconds and returns what the caller must do (`GroupAction`s: answer now, park the
/// request, or answer requests parked earlier). `GroupCoordinator` keeps one per group behind a lock
/// and carries the actions out.
///
/// The life of a generation:
/// 1. Empty → PreparingRebalance when a member joins; joins are collected until every known member has
///    rejoined (or the rebalance timeout passes; a new group also waits `initialRebalanceDelayMs`).
/// 2. → CompletingRebalance: the generation id goes up, a protocol every member supports is chosen, every
///    parked join is answered; the leader's answer lists all members' metadata.
/// 3. → Stable when the leader's SyncGroup brings the assignments; every parked SyncGroup is answered.
/// 4. A join with new metadata, a leave, or a member silent past its session timeout starts step 1 again.
///
/// The split by concern: `+Join` (JoinGroup and static membership), `+Rebalance` (the transitions),
/// `+Sync` (SyncGroup, Heartbeat, offset-commit checks), `+Leave` (LeaveGroup and `tick`).
public struct GroupStateMachine: Sendable {
    public let groupId: String
    let configuration: GroupConfiguration
    let memberIdGenerator: MemberIdGenerator

    public internal(set) var state: GroupState = .empty
    public internal(set) var generationId: Int32 = 0
    /// Set by the first member; every later member must speak the same protocol type.
    public internal(set) var protocolType: String?
    /// Chosen when a generation completes.
    public internal(set) var protocolName: String?
    public internal(set) var leaderId: String?

    var members: [String: GroupMember] = [:]
    /// Member ids in join order, so that leader choice and member lists are deterministic.
    var memberOrder: [String] = []
    /// Static members: instance id → the member id of its current incarnation.
    var staticMemberIds: [String: String] = [:]
    /// Member ids handed out with MEMBER_ID_REQUIRED, with the deadline by which they must rejoin.
    var pendingMemberDeadlinesMs: [String: Int64] = [:]
    /// Members of a completing generation that have not sent their SyncGroup yet.
    var pendingSyncMemberIds: Set<String> = []
    /// When a PreparingRebalance gives up on members that have not rejoined.
    var rebalanceDeadlineMs: Int64?
    /// The first rebalance of an empty group waits for more members even when all known ones joined.
    var isInitialRebalance = false
    /// The latest the initial delay can be pushed to (the rebalance timeout).
    var initialRebalanceLimitMs: Int64?
    /// When a CompletingRebalance gives up on members that have not synced.
    var syncDeadlineMs: Int64?

    public init(groupId: String, configuration: GroupConfiguration, memberIdGenerator: MemberIdGenerator = .random) {
        self.groupId = groupId
        self.configuration = configuration
        self.memberIdGenerator = memberIdGenerator
    }

    public var memberCount: Int { self.members.count }

    public var memberIds: [String] { self.memberOrder }

    /// True when nothing is in flight: no members and no handed-out member ids waiting for their rejoin.
    public var isIdle: Bool { self.members.isEmpty && self.pendingMemberDeadlinesMs.isEmpty }

    /// The assignment a member holds; for tests and diagnostics.
    public func assignment(ofMember memberId: String) -> [UInt8]? {
        self.members[memberId]?.assignment
    }

    /// Marks the group deleted. Only a group without members can go (DeleteGroups answers NON_EMPTY_GROUP
    /// otherwise); member ids handed out and not yet used are forgotten, their rejoin finds the next group.
    public mutating func markDead() {
        precondition(self.members.isEmpty, "only a group without members can be deleted")
        self.pendingMemberDeadlinesMs = [:]
        self.state = .dead
    }

    public func describe() -> GroupDescription {
        // Kafka shows metadata, assignments and the protocol only for a stable group.
        let isStable = self.state == .stable
        let members = self.memberOrder.map { memberId -> MemberDescription in
            let member = self.members[memberId]!
            return MemberDescription(
                memberId: memberId, groupInstanceId: member.groupInstanceId, clientId: member.clientId,
                clientHost: member.clientHost,
                metadata: isStable ? member.metadata(forProtocol: self.protocolName) : [],
                assignment: isStable ? member.assignment : []
            )
        }
        return GroupDescription(
            groupId: self.groupId, errorCode: .none, state: self.state, protocolType: self.protocolType ?? "",
            protocolName: isStable ? (self.protocolName ?? "") : "", members: members
        )
    }

    public func listing() -> GroupListing {
        GroupListing(groupId: self.groupId, protocolType: self.protocolType ?? "", state: self.state)
    }

    // MARK: - Shared helpers

    /// UNKNOWN_MEMBER_ID or FENCED_INSTANCE_ID for a request naming `memberId` (and `groupInstanceId`), or nil
    /// when the member is the current incarnation. As Kafka decides it: with an instance id, the instance must
    /// be known and its current member id the one named; without one, the member id must be known.
    func memberError(memberId: String, groupInstanceId: String?) -> GroupErrorCode? {
        if let groupInstanceId {
            guard let currentMemberId = self.staticMemberIds[groupInstanceId] else { return .unknownMemberId }
            return currentMemberId == memberId ? nil : .fencedInstanceId
        }
        return self.members[memberId] == nil ? .unknownMemberId : nil
    }

    func rebalanceTimeoutMsMax() -> Int64 {
        Int64(self.members.values.map(\.rebalanceTimeoutMs).max() ?? 0)
    }

    mutating func insertMember(_ member: GroupMember, at position: Int? = nil) {
        precondition(self.members[member.memberId] == nil, "a member id is unique in its group")
        self.members[member.memberId] = member
        if let position {
            self.memberOrder.insert(member.memberId, at: position)
        } else {
            self.memberOrder.append(member.memberId)
        }
        if let groupInstanceId = member.groupInstanceId {
            self.staticMemberIds[groupInstanceId] = member.memberId
        }
    }

    /// Removes a member and answers its parked requests with UNKNOWN_MEMBER_ID. Does not start a rebalance;
    /// callers follow up with `rebalanceAfterRemoval`.
    mutating func removeMember(_ memberId: String, answeringWith errorCode: GroupErrorCode = .unknownMemberId)
        -> [GroupAction]
    {
        guard let member = self.members.removeValue(forKey: memberId) else { return [] }
        self.memberOrder.removeAll { $0 == memberId }
        if let groupInstanceId = member.groupInstanceId, self.staticMemberIds[groupInstanceId] == memberId {
            self.staticMemberIds.removeValue(forKey: groupInstanceId)
        }
        self.pendingSyncMemberIds.remove(memberId)
        if self.leaderId == memberId {
            self.leaderId = self.memberOrder.first
        }
        var actions: [GroupAction] = []
        if member.isAwaitingJoin {
            actions.append(.completeJoin(memberId: memberId, .failure(errorCode, memberId: memberId)))
        }
        if member.isAwaitingSync {
            actions.append(.completeSync(memberId: memberId, .failure(errorCode)))
        }
        return actions
    }

    /// The members of the current generation as the leader sees them.
    func joinedMembers() -> [JoinedMember] {
        self.memberOrder.map { memberId in
            let member = self.members[memberId]!
            return JoinedMember(
                memberId: memberId, groupInstanceId: member.groupInstanceId,
                metadata: member.metadata(forProtocol: self.protocolName)
            )
        }
    }

    /// The JoinGroup answer for `memberId` in the current generation.
    func joinResult(for memberId: String, skipAssignment: Bool = false) -> JoinGroupResult {
        let isLeader = memberId == self.leaderId
        return JoinGroupResult(
            errorCode: .none, generationId: self.generationId, protocolType: self.protocolType,
            protocolName: self.protocolName, leaderId: self.leaderId ?? "", skipAssignment: skipAssignment,
            memberId: memberId, members: isLeader ? self.joinedMembers() : []
        )
    }

    func checkInvariants() {
        precondition(self.members.count == self.memberOrder.count, "member order lists every member once")
        precondition(self.leaderId == nil || self.members[self.leaderId!] != nil, "the leader is a member")
        precondition(self.state != .empty || self.members.isEmpty, "an empty group has no members")
    }
}
