/// The transitions between generations: starting a rebalance, completing the join phase, choosing the
/// protocol, and what a removal sets off.
extension GroupStateMachine {
    /// Enters PreparingRebalance. Assignments of a generation that never became stable are void, so the
    /// SyncGroup requests parked for it are answered with REBALANCE_IN_PROGRESS (the clients rejoin).
    mutating func prepareRebalance(nowMs: Int64) -> [GroupAction] {
        precondition(self.state != .preparingRebalance && self.state != .dead, "a rebalance starts once")
        var actions: [GroupAction] = []
        if self.state == .completingRebalance {
            for memberId in self.memberOrder where self.members[memberId]!.isAwaitingSync {
                self.members[memberId]!.isAwaitingSync = false
                actions.append(.completeSync(memberId: memberId, .failure(.rebalanceInProgress)))
            }
            for memberId in self.memberOrder {
                self.members[memberId]!.assignment = []
            }
        }
        let rebalanceTimeoutMs = self.rebalanceTimeoutMsMax()
        if self.state == .empty {
            // A new group waits a little for the other consumers started with this one, so they form one
            // generation instead of a rebalance per arrival.
            self.isInitialRebalance = true
            self.initialRebalanceLimitMs = nowMs + rebalanceTimeoutMs
            self.rebalanceDeadlineMs = nowMs + min(self.configuration.initialRebalanceDelayMs, rebalanceTimeoutMs)
        } else {
            self.isInitialRebalance = false
            self.rebalanceDeadlineMs = nowMs + rebalanceTimeoutMs
        }
        self.pendingSyncMemberIds = []
        self.syncDeadlineMs = nil
        self.state = .preparingRebalance
        return actions
    }

    /// Each member arriving during the initial delay pushes it out again, up to the rebalance timeout.
    mutating func extendInitialRebalance(nowMs: Int64) {
        guard self.isInitialRebalance, let limitMs = self.initialRebalanceLimitMs else { return }
        self.rebalanceDeadlineMs = min(nowMs + self.configuration.initialRebalanceDelayMs, limitMs)
    }

    /// Completes the join phase when every member (and every handed-out member id) has joined, or when the
    /// initial delay is over.
    mutating func maybeCompleteJoin(nowMs: Int64) -> [GroupAction] {
        guard self.state == .preparingRebalance else { return [] }
        if self.isInitialRebalance {
            guard let deadlineMs = self.rebalanceDeadlineMs, nowMs >= deadlineMs else { return [] }
            return self.completeJoin(nowMs: nowMs)
        }
        let everyoneJoined = self.members.values.allSatisfy(\.isAwaitingJoin) && self.pendingMemberDeadlinesMs.isEmpty
        return everyoneJoined ? self.completeJoin(nowMs: nowMs) : []
    }

    /// Forms the next generation from the members that joined. Dynamic members that did not rejoin are
    /// removed; static ones keep their place (KIP-345) until their session expires or they miss the sync.
    mutating func completeJoin(nowMs: Int64) -> [GroupAction] {
        precondition(self.state == .preparingRebalance, "only a preparing group completes a join")
        var actions: [GroupAction] = []
        for memberId in self.memberOrder {
            let member = self.members[memberId]!
            if !member.isAwaitingJoin && member.groupInstanceId == nil {
                actions += self.removeMember(memberId)
            }
        }
        self.isInitialRebalance = false
        self.initialRebalanceLimitMs = nil
        if !self.members.isEmpty && !self.members.values.contains(where: \.isAwaitingJoin) {
            // Only static members that did not rejoin are left: a generation without anyone to lead it would
            // go nowhere. Wait another rebalance timeout; their sessions expire meanwhile if they are gone.
            self.rebalanceDeadlineMs = nowMs + self.rebalanceTimeoutMsMax()
            return actions
        }
        self.rebalanceDeadlineMs = nil
        self.generationId += 1
        if self.members.isEmpty {
            // The protocol type stays, as in Kafka: tools tell an emptied consumer group (`consumer`) from a
            // simple consumer's offsets (no type) by it. The next first member sets it again.
            self.state = .empty
            self.protocolName = nil
            self.leaderId = nil
            return actions
        }
        if let leaderId = self.leaderId, self.members[leaderId]!.isAwaitingJoin {
            // The leader stays the leader: its client holds the assignor state (cooperative rebalancing).
        } else {
            self.leaderId = self.memberOrder.first { self.members[$0]!.isAwaitingJoin }
        }
        self.protocolName = self.selectProtocol()
        self.state = .completingRebalance
        self.pendingSyncMemberIds = Set(self.memberOrder)
        self.syncDeadlineMs = nowMs + self.rebalanceTimeoutMsMax()
        for memberId in self.memberOrder where self.members[memberId]!.isAwaitingJoin {
            self.members[memberId]!.isAwaitingJoin = false
            self.members[memberId]!.touch(nowMs: nowMs)
            actions.append(.completeJoin(memberId: memberId, self.joinResult(for: memberId)))
        }
        return actions
    }

    /// The protocol every member supports that most members prefer; ties go to the leader's preference.
    /// Kafka votes the same way (each member votes for its first choice among the common protocols).
    func selectProtocol() -> String {
        var common = Set(self.members[self.memberOrder[0]]!.protocols.map(\.name))
        for member in self.members.values {
            common.formIntersection(member.protocols.map(\.name))
        }
        precondition(!common.isEmpty, "joins are refused unless every member shares a protocol")
        var votes: [String: Int] = [:]
        for member in self.members.values {
            let choice = member.protocols.first { common.contains($0.name) }!.name
            votes[choice, default: 0] += 1
        }
        let leader = self.members[self.leaderId ?? self.memberOrder[0]]!
        let candidates = leader.protocols.map(\.name).filter { common.contains($0) }
        var best = candidates[0]
        for candidate in candidates where votes[candidate, default: 0] > votes[best, default: 0] {
            best = candidate
        }
        return best
    }

    /// After members left or expired: a settled group rebalances; a preparing one may now be complete.
    mutating func rebalanceAfterRemoval(nowMs: Int64) -> [GroupAction] {
        switch self.state {
        case .stable, .completingRebalance:
            return self.prepareRebalance(nowMs: nowMs) + self.maybeCompleteJoin(nowMs: nowMs)
        case .preparingRebalance:
            return self.maybeCompleteJoin(nowMs: nowMs)
        case .empty, .dead:
            return []
        }
    }
}
