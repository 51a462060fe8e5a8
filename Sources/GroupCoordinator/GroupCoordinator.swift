import SluiceModel
import Synchronization

public typealias JoinGroupCompletion = @Sendable (JoinGroupResult) -> Void
public typealias SyncGroupCompletion = @Sendable (SyncGroupResult) -> Void

/// Every consumer group of the broker, and their committed offsets. The server's request handlers call it
/// from any thread (NIO event loops); JoinGroup and SyncGroup answer through completions that may run
/// later, on the thread of the request, `tick` or another member's request that completed the phase.
///
/// Concurrency: one `Mutex` per group guards its `GroupStateMachine` and the completions parked for its
/// members; the directory of groups has its own `Mutex`, held only to look a group up or add/remove one.
/// So a client flooding one group with joins contends only on that group. Completions run after the
/// group's lock is released, so a completion may call back into the coordinator.
/// Lock order (never the reverse): directory → group → offset store.
///
/// Time: `tick()` runs every group's timers against the injected clock; the server calls it from a
/// timer (every 100 ms or so). Nothing here starts a thread.
public final class GroupCoordinator: Sendable {
    /// One group: its state machine and the requests waiting on it.
    final class GroupSlot: Sendable {
        struct State: Sendable {
            var machine: GroupStateMachine
            var joinCompletions: [String: JoinGroupCompletion] = [:]
            var syncCompletions: [String: SyncGroupCompletion] = [:]
        }

        let groupId: String
        let state: Mutex<State>
        /// Set once the group is deleted or dropped as idle, so a lookup makes a fresh one instead.
        let isRemoved = Atomic<Bool>(false)

        init(machine: GroupStateMachine) {
            self.groupId = machine.groupId
            self.state = Mutex(State(machine: machine))
        }
    }

    public let configuration: GroupConfiguration
    public let offsetStore: OffsetStore
    let clock: SluiceClock
    let memberIdGenerator: MemberIdGenerator
    let groups = Mutex<[String: GroupSlot]>([:])
    /// The protocol type of groups dropped as idle (`removeIfIdle`) while their offsets stay, so that ListGroups
    /// and DescribeGroups still report `consumer` for them (`GroupCoordinator+EmptyGroups.swift`).
    let emptyGroupProtocolTypes = Mutex<[String: String]>([:])

    public init(
        configuration: GroupConfiguration = GroupConfiguration(), offsetStore: OffsetStore, clock: SluiceClock,
        memberIdGenerator: MemberIdGenerator = .random
    ) throws(GroupCoordinatorError) {
        try configuration.validate()
        self.configuration = configuration
        self.offsetStore = offsetStore
        self.clock = clock
        self.memberIdGenerator = memberIdGenerator
    }

    /// Monotonic milliseconds, the time base of every state machine.
    var nowMs: Int64 {
        Int64(self.clock.monotonicNs() / 1_000_000)
    }

    /// Runs every group's timers (session expiry, rebalance and sync timeouts, the initial delay) and drops
    /// groups left with nothing in them. Each group is locked on its own, briefly.
    public func tick() {
        let slots = self.groups.withLock { Array($0.values) }
        var idleSlots: [GroupSlot] = []
        for slot in slots {
            self.run(on: slot) { machine, nowMs in machine.tick(nowMs: nowMs) }
            if self.removeIfIdle(slot) { idleSlots.append(slot) }
        }
        guard !idleSlots.isEmpty else { return }
        self.groups.withLock { groups in
            for slot in idleSlots where groups[slot.groupId] === slot {
                groups.removeValue(forKey: slot.groupId)
            }
        }
    }

    /// An empty group with nothing pending costs memory only: it goes (its offsets stay in the offset store,
    /// where ListGroups and DescribeGroups still find it).
    private func removeIfIdle(_ slot: GroupSlot) -> Bool {
        let removedProtocolType = slot.state.withLock { state -> String?? in
            guard state.machine.state == .empty || state.machine.state == .dead, state.machine.isIdle,
                  state.joinCompletions.isEmpty, state.syncCompletions.isEmpty
            else { return .none }
            let protocolType = state.machine.state == .empty ? state.machine.protocolType : nil
            if state.machine.state != .dead { state.machine.markDead() }
            slot.isRemoved.store(true, ordering: .releasing)
            return .some(protocolType)
        }
        guard let protocolType = removedProtocolType else { return false }
        if let protocolType { self.rememberProtocolType(protocolType, ofEmptyGroup: slot.groupId) }
        return true
    }

    // MARK: - Lookup and actions

    func groupIdError(_ groupId: String) -> GroupErrorCode? {
        groupId.isEmpty || groupId.utf8.count > self.configuration.identifierLengthBytesMax ? .invalidGroupId : nil
    }

    enum SlotLookup {
        case found(GroupSlot)
        case absent
        case refused(GroupErrorCode)
    }

    /// The group's slot; with `creating`, a new empty group when there is none (and room for one).
    func slot(for groupId: String, creating: Bool) -> SlotLookup {
        if let errorCode = self.groupIdError(groupId) { return .refused(errorCode) }
        return self.groups.withLock { groups in
            if let slot = groups[groupId], !slot.isRemoved.load(ordering: .acquiring) { return .found(slot) }
            guard creating else { return .absent }
            groups.removeValue(forKey: groupId)
            guard groups.count < self.configuration.groupCountMax else { return .refused(.coordinatorNotAvailable) }
            let machine = GroupStateMachine(
                groupId: groupId, configuration: self.configuration, memberIdGenerator: self.memberIdGenerator
            )
            let slot = GroupSlot(machine: machine)
            groups[groupId] = slot
            return .found(slot)
        }
    }

    /// Runs `body` on the group's state machine under its lock and carries out the actions it returns:
    /// parks `joinReply`/`syncReply` under a member id, or collects completions, which run once the lock
    /// is released.
    func run(
        on slot: GroupSlot, joinReply: JoinGroupCompletion? = nil, syncReply: SyncGroupCompletion? = nil,
        _ body: (inout GroupStateMachine, Int64) -> [GroupAction]
    ) {
        var completions: [() -> Void] = []
        slot.state.withLock { state in
            let actions = body(&state.machine, self.nowMs)
            for action in actions {
                completions += Self.carryOut(action, on: &state, joinReply: joinReply, syncReply: syncReply)
            }
        }
        for completion in completions {
            completion()
        }
    }

    private static func carryOut(
        _ action: GroupAction, on state: inout GroupSlot.State, joinReply: JoinGroupCompletion?,
        syncReply: SyncGroupCompletion?
    ) -> [() -> Void] {
        switch action {
        case .replyJoin(let result):
            guard let joinReply else { preconditionFailure("only a JoinGroup is answered with a join result") }
            return [{ joinReply(result) }]
        case .replySync(let result):
            guard let syncReply else { preconditionFailure("only a SyncGroup is answered with a sync result") }
            return [{ syncReply(result) }]
        case .awaitJoin(let memberId):
            guard let joinReply else { preconditionFailure("only a JoinGroup is parked as a join") }
            precondition(state.joinCompletions[memberId] == nil, "an older parked join is answered first")
            state.joinCompletions[memberId] = joinReply
            return []
        case .awaitSync(let memberId):
            guard let syncReply else { preconditionFailure("only a SyncGroup is parked as a sync") }
            precondition(state.syncCompletions[memberId] == nil, "an older parked sync is answered first")
            state.syncCompletions[memberId] = syncReply
            return []
        case .completeJoin(let memberId, let result):
            guard let completion = state.joinCompletions.removeValue(forKey: memberId) else { return [] }
            return [{ completion(result) }]
        case .completeSync(let memberId, let result):
            guard let completion = state.syncCompletions.removeValue(forKey: memberId) else { return [] }
            return [{ completion(result) }]
        }
    }
}
