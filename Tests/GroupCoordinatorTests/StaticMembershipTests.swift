import GroupCoordinator
import XCTest

/// KIP-345: a consumer with a `group.instance.id` keeps its place across restarts.
final class StaticMembershipTests: XCTestCase {
    /// Two static members, "i1" (the leader) and "i2", stable in generation 2 with assignments [1] and [2].
    private func makeStableStaticGroup() -> (GroupStateMachine, leader: String, follower: String) {
        var machine = makeMachine()
        let leader = machine.join(joinRequest(instance: "i1"), nowMs: 0).completedJoins.keys.first!
        let followerJoin = machine.join(joinRequest(instance: "i2"), nowMs: 0)
        XCTAssertNil(followerJoin.joinReply, "static members need no MEMBER_ID_REQUIRED round trip")
        let follower = followerJoin.awaitedJoins[0]
        _ = machine.join(joinRequest(memberId: leader, instance: "i1"), nowMs: 0)
        let assignments = [
            MemberAssignment(memberId: leader, assignment: [1]), MemberAssignment(memberId: follower, assignment: [2]),
        ]
        _ = machine.sync(
            GroupSyncRequest(memberId: leader, generationId: 2, groupInstanceId: "i1", assignments: assignments),
            nowMs: 0
        )
        XCTAssertEqual(machine.state, .stable)
        return (machine, leader, follower)
    }

    func testRestartedFollowerGetsItsAssignmentBackWithoutRebalance() {
        var (machine, leader, oldFollower) = self.makeStableStaticGroup()
        let rejoin = machine.join(joinRequest(instance: "i2"), nowMs: 5000)
        let result = rejoin.joinReply!
        XCTAssertEqual(result.errorCode, .none)
        XCTAssertNotEqual(result.memberId, oldFollower, "a new incarnation gets a new member id")
        XCTAssertEqual(result.generationId, 2, "no new generation")
        XCTAssertEqual(result.leaderId, leader)
        XCTAssertEqual(rejoin.completedJoins, [:], "the leader is not asked to reassign")
        XCTAssertEqual(machine.state, .stable)

        let sync = machine.sync(
            GroupSyncRequest(memberId: result.memberId, generationId: 2, groupInstanceId: "i2"), nowMs: 5001
        )
        XCTAssertEqual(sync.syncReply?.assignment, [2])
        XCTAssertEqual(
            machine.heartbeat(GroupHeartbeatRequest(memberId: leader, generationId: 2, groupInstanceId: "i1"), nowMs: 5002), .none,
            "the leader never notices"
        )
    }

    func testOldIncarnationIsFenced() {
        var (machine, _, oldFollower) = self.makeStableStaticGroup()
        _ = machine.join(joinRequest(instance: "i2"), nowMs: 1)
        let heartbeat = GroupHeartbeatRequest(memberId: oldFollower, generationId: 2, groupInstanceId: "i2")
        XCTAssertEqual(machine.heartbeat(heartbeat, nowMs: 2), .fencedInstanceId)
        XCTAssertEqual(
            machine.join(joinRequest(memberId: oldFollower, instance: "i2"), nowMs: 2).joinReply?.errorCode, .fencedInstanceId
        )
        XCTAssertEqual(
            machine.sync(GroupSyncRequest(memberId: oldFollower, generationId: 2, groupInstanceId: "i2"), nowMs: 2)
                .syncReply?.errorCode,
            .fencedInstanceId
        )
        XCTAssertEqual(
            machine.validateOffsetCommit(memberId: oldFollower, generationId: 2, groupInstanceId: "i2", nowMs: 2),
            .fencedInstanceId
        )
        let (leave, _) = machine.leave([LeavingMember(memberId: oldFollower, groupInstanceId: "i2")], nowMs: 2)
        XCTAssertEqual(leave.members.first?.errorCode, .fencedInstanceId)
    }

    func testRestartedLeaderIsToldToSkipTheAssignment() {
        var (machine, oldLeader, follower) = self.makeStableStaticGroup()
        let result = machine.join(joinRequest(instance: "i1"), nowMs: 1).joinReply!
        XCTAssertTrue(result.skipAssignment)
        XCTAssertEqual(result.leaderId, result.memberId)
        XCTAssertEqual(result.members.map(\.memberId), [result.memberId, follower])
        XCTAssertNotEqual(result.memberId, oldLeader)
        XCTAssertEqual(machine.state, .stable)
    }

    func testRestartedLeaderOfAnOldClientIsAnsweredAsAFollowerWithoutRebalance() {
        var (machine, oldLeader, follower) = self.makeStableStaticGroup()
        let actions = machine.join(joinRequest(instance: "i1", supportsSkipAssignment: false), nowMs: 1)
        let result = actions.joinReply!
        XCTAssertEqual(result.errorCode, .none)
        XCTAssertEqual(result.generationId, 2, "no new generation")
        XCTAssertEqual(result.leaderId, oldLeader, "the client must not think it leads, or it would reassign")
        XCTAssertEqual(result.members, [])
        XCTAssertFalse(result.skipAssignment)
        XCTAssertEqual(machine.state, .stable)
        let sync = machine.sync(
            GroupSyncRequest(memberId: result.memberId, generationId: 2, groupInstanceId: "i1"), nowMs: 2
        )
        XCTAssertEqual(sync.syncReply?.assignment, [1], "its stored assignment comes back")
        XCTAssertEqual(
            machine.heartbeat(GroupHeartbeatRequest(memberId: follower, generationId: 2, groupInstanceId: "i2"), nowMs: 3),
            .none, "the follower never notices"
        )
    }

    func testRestartDuringRebalanceAnswersTheOldIncarnationsParkedJoin() {
        var (machine, leader, oldFollower) = self.makeStableStaticGroup()
        let (newcomer, _) = machine.joinNewMember(nowMs: 1)
        _ = machine.join(joinRequest(memberId: oldFollower, instance: "i2"), nowMs: 2)
        XCTAssertEqual(machine.state, .preparingRebalance, "still waiting for the leader")
        let restart = machine.join(joinRequest(instance: "i2"), nowMs: 3)
        XCTAssertEqual(restart.completedJoins[oldFollower]?.errorCode, .fencedInstanceId)
        let newFollower = restart.awaitedJoins.first!
        XCTAssertEqual(machine.memberIds, [leader, newFollower, newcomer], "the new incarnation keeps the old one's place")
        let completed = machine.join(joinRequest(memberId: leader, instance: "i1"), nowMs: 4).completedJoins
        XCTAssertEqual(Set(completed.keys), [leader, newFollower, newcomer])
    }

    func testStaticMemberThatDoesNotRejoinKeepsItsPlace() {
        var (machine, leader, follower) = self.makeStableStaticGroup()
        let (newcomer, _) = machine.joinNewMember(nowMs: 1)
        _ = machine.join(joinRequest(memberId: leader, instance: "i1"), nowMs: 1)
        for time in stride(from: Int64(5000), through: 30_000, by: 5000) {
            let heartbeat = GroupHeartbeatRequest(memberId: follower, generationId: 2, groupInstanceId: "i2")
            XCTAssertEqual(machine.heartbeat(heartbeat, nowMs: time), .rebalanceInProgress)
        }
        _ = machine.tick(nowMs: 1 + 30_000)
        XCTAssertEqual(machine.state, .completingRebalance)
        XCTAssertEqual(
            machine.memberIds, [leader, follower, newcomer], "a static member is removed by its session, not by a rebalance"
        )
    }

    func testLeaveByInstanceIdRemovesTheStaticMember() {
        var (machine, leader, _) = self.makeStableStaticGroup()
        let (result, _) = machine.leave(
            [LeavingMember(memberId: "", groupInstanceId: "i2"), LeavingMember(memberId: "", groupInstanceId: "i9")], nowMs: 1
        )
        XCTAssertEqual(result.members.map(\.errorCode), [.none, .unknownMemberId])
        XCTAssertEqual(machine.memberIds, [leader])
        XCTAssertEqual(machine.state, .preparingRebalance)
    }

    func testRebalanceThatNoOneRejoinsWaitsForTheStaticMembersSessions() {
        var (machine, leader, follower) = self.makeStableStaticGroup()
        let (newcomer, _) = machine.joinNewMember(nowMs: 1)
        _ = machine.leave([LeavingMember(memberId: newcomer)], nowMs: 2)
        for time in stride(from: Int64(5000), through: 30_000, by: 5000) {
            _ = machine.heartbeat(GroupHeartbeatRequest(memberId: leader, generationId: 2, groupInstanceId: "i1"), nowMs: time)
            _ = machine.heartbeat(GroupHeartbeatRequest(memberId: follower, generationId: 2, groupInstanceId: "i2"), nowMs: time)
        }
        _ = machine.tick(nowMs: 30_001)
        XCTAssertEqual(machine.state, .preparingRebalance, "no generation without a member that joined it")
        XCTAssertEqual(machine.generationId, 2)
        _ = machine.tick(nowMs: 40_000)
        XCTAssertEqual(machine.state, .empty)
        XCTAssertEqual(machine.memberIds, [])
    }
}
