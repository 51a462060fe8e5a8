/// One member of a group, as the coordinator keeps it between requests.
struct GroupMember: Sendable, Equatable {
    let memberId: String
    var groupInstanceId: String?
    var clientId: String
    var clientHost: String
    var sessionTimeoutMs: Int32
    var rebalanceTimeoutMs: Int32
    var protocolType: String
    var protocols: [GroupProtocol]
    /// What the leader assigned it in the current generation (empty before the leader's SyncGroup).
    var assignment: [UInt8] = []
    /// Monotonic milliseconds after which the member is gone unless it heartbeats.
    var sessionDeadlineMs: Int64
    /// A JoinGroup of this member is parked until the rebalance completes.
    var isAwaitingJoin = false
    /// A SyncGroup of this member is parked until the leader's SyncGroup arrives.
    var isAwaitingSync = false
    var supportsSkipAssignment: Bool

    init(memberId: String, request: GroupJoinRequest, nowMs: Int64) {
        self.memberId = memberId
        self.groupInstanceId = request.groupInstanceId
        self.clientId = request.clientId
        self.clientHost = request.clientHost
        self.sessionTimeoutMs = request.sessionTimeoutMs
        self.rebalanceTimeoutMs = request.rebalanceTimeoutMs
        self.protocolType = request.protocolType
        self.protocols = request.protocols
        self.sessionDeadlineMs = nowMs + Int64(request.sessionTimeoutMs)
        self.supportsSkipAssignment = request.supportsSkipAssignment
    }

    /// Takes what a rejoin may change: timeouts, offered protocols, where the client runs.
    mutating func update(from request: GroupJoinRequest, nowMs: Int64) {
        self.clientId = request.clientId
        self.clientHost = request.clientHost
        self.sessionTimeoutMs = request.sessionTimeoutMs
        self.rebalanceTimeoutMs = request.rebalanceTimeoutMs
        self.protocols = request.protocols
        self.supportsSkipAssignment = request.supportsSkipAssignment
        self.touch(nowMs: nowMs)
    }

    /// A sign of life: pushes the session deadline out by a session timeout.
    mutating func touch(nowMs: Int64) {
        self.sessionDeadlineMs = nowMs + Int64(self.sessionTimeoutMs)
    }

    /// A member with a parked request is alive by definition: it is waiting on the coordinator, not silent.
    func isExpired(nowMs: Int64) -> Bool {
        !self.isAwaitingJoin && !self.isAwaitingSync && nowMs >= self.sessionDeadlineMs
    }

    func metadata(forProtocol name: String?) -> [UInt8] {
        guard let name else { return [] }
        return self.protocols.first { $0.name == name }?.metadata ?? []
    }
}
