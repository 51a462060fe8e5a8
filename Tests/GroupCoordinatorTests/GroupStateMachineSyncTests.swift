import GroupCoordinator
import XCTest

final class GroupStateMachineSyncTests: XCTestCase {
    func testFollowerSyncWaitsForLeaderThenEveryoneGetsTheirAssignment() {
        var machine = makeMachine()
        let (leader, _) = machine.joinNewMember(nowMs: 0)
        let (follower, _) = machine.joinNewMember(nowMs: 0)
        _ = machine.join(joinRequest(memberId: leader), nowMs: 0)
        let generation = machine.generationId

        let followerSync = machine.sync(GroupSyncRequest(memberId: follower, generationId: generation), nowMs: 5)
        XCTAssertEqual(followerSync.awaitedSyncs, [follower])
        XCTAssertEqual(followerSync.completedSyncs, [:])

        let assignments = [
            MemberAssignment(memberId: leader, assignment: [0xA]),
            MemberAssignment(memberId: follower, assignment: [0xB]),
            MemberAssignment(memberId: "not-a-member", assignment: [0xC]),
        ]
        let leaderSync = machine.sync(
            GroupSyncRequest(memberId: leader, generationId: generation, assignments: assignments), nowMs: 6
        )
        XCTAssertEqual(leaderSync.completedSyncs[follower]?.assignment, [0xB])
        XCTAssertEqual(leaderSync.completedSyncs[leader]?.assignment, [0xA])
        XCTAssertEqual(leaderSync.completedSyncs[leader]?.protocolName, "range")
        XCTAssertEqual(machine.state, .stable)

        let lateSync = machine.sync(GroupSyncRequest(memberId: follower, generationId: generation), nowMs: 7)
        XCTAssertEqual(lateSync.syncReply?.assignment, [0xB], "a sync in a stable group answers at once")
    }

    func testSyncErrors() {
        var machine = makeMachine()
        let members = machine.formStableGroup(count: 2, nowMs: 0)
        let generation = machine.generationId
        XCTAssertEqual(
            machine.sync(GroupSyncRequest(memberId: members[0], generationId: generation + 1), nowMs: 1).syncReply?.errorCode,
            .illegalGeneration
        )
        XCTAssertEqual(
            machine.sync(GroupSyncRequest(memberId: "nobody", generationId: generation), nowMs: 1).syncReply?.errorCode,
            .unknownMemberId
        )
        XCTAssertEqual(
            machine.sync(
                GroupSyncRequest(memberId: members[0], generationId: generation, protocolName: "roundrobin"), nowMs: 1
            ).syncReply?.errorCode,
            .inconsistentGroupProtocol
        )
        _ = machine.joinNewMember(nowMs: 2)
        XCTAssertEqual(
            machine.sync(GroupSyncRequest(memberId: members[1], generationId: generation), nowMs: 3).syncReply?.errorCode,
            .rebalanceInProgress
        )
    }

    func testRebalanceDuringCompletingAnswersParkedSyncs() {
        var machine = makeMachine()
        let (leader, _) = machine.joinNewMember(nowMs: 0)
        let (follower, _) = machine.joinNewMember(nowMs: 0)
        _ = machine.join(joinRequest(memberId: leader), nowMs: 0)
        _ = machine.sync(GroupSyncRequest(memberId: follower, generationId: machine.generationId), nowMs: 1)
        let (_, actions) = machine.leave([LeavingMember(memberId: leader)], nowMs: 2)
        XCTAssertEqual(actions.completedSyncs[follower]?.errorCode, .rebalanceInProgress)
        XCTAssertEqual(machine.state, .preparingRebalance)
    }

    func testHeartbeatAnswersAndKeepsTheSessionAlive() {
        var machine = makeMachine()
        let members = machine.formStableGroup(count: 1, nowMs: 0)
        let generation = machine.generationId
        for time in stride(from: Int64(5000), through: 60_000, by: 5000) {
            XCTAssertEqual(machine.heartbeat(GroupHeartbeatRequest(memberId: members[0], generationId: generation), nowMs: time), .none)
            _ = machine.tick(nowMs: time)
        }
        XCTAssertEqual(machine.memberIds, members, "a member that heartbeats stays")
        XCTAssertEqual(machine.heartbeat(GroupHeartbeatRequest(memberId: members[0], generationId: 99), nowMs: 60_000), .illegalGeneration)
        XCTAssertEqual(machine.heartbeat(GroupHeartbeatRequest(memberId: "nobody", generationId: generation), nowMs: 60_000), .unknownMemberId)
    }

    func testSilentMemberIsRemovedAfterSessionTimeoutAndTheRestRebalance() {
        var machine = makeMachine()
        let members = machine.formStableGroup(count: 2, nowMs: 0)
        _ = machine.heartbeat(GroupHeartbeatRequest(memberId: members[0], generationId: 2), nowMs: 9000)
        XCTAssertEqual(machine.tick(nowMs: 9999), [])
        _ = machine.tick(nowMs: 10_000)
        XCTAssertEqual(machine.memberIds, [members[0]])
        XCTAssertEqual(machine.state, .preparingRebalance)
        XCTAssertEqual(machine.heartbeat(GroupHeartbeatRequest(memberId: members[0], generationId: 2), nowMs: 10_001), .rebalanceInProgress)
        let completed = machine.join(joinRequest(memberId: members[0]), nowMs: 10_002).completedJoins
        XCTAssertEqual(completed[members[0]]?.generationId, 3)
        XCTAssertEqual(completed[members[0]]?.members.count, 1)
    }

    func testLeaderThatNeverSyncsIsRemovedAfterTheRebalanceTimeout() {
        var machine = makeMachine()
        let (leader, _) = machine.joinNewMember(nowMs: 0)
        let (follower, _) = machine.joinNewMember(nowMs: 0)
        _ = machine.join(joinRequest(memberId: leader), nowMs: 0)
        let followerSync = machine.sync(GroupSyncRequest(memberId: follower, generationId: machine.generationId), nowMs: 1)
        XCTAssertEqual(followerSync.awaitedSyncs, [follower])
        let actions = machine.tick(nowMs: 30_000)
        XCTAssertEqual(actions.completedSyncs[follower]?.errorCode, .rebalanceInProgress)
        XCTAssertEqual(machine.memberIds, [follower])
    }

    func testLeaveRemovesMembersAndLastLeaveEmptiesTheGroup() {
        var machine = makeMachine()
        let members = machine.formStableGroup(count: 2, nowMs: 0)
        let (result, _) = machine.leave([LeavingMember(memberId: members[1]), LeavingMember(memberId: "nobody")], nowMs: 1)
        XCTAssertEqual(result.members.map(\.errorCode), [.none, .unknownMemberId])
        XCTAssertEqual(machine.state, .preparingRebalance)
        let (_, actions) = machine.leave([LeavingMember(memberId: members[0])], nowMs: 2)
        XCTAssertEqual(actions, [])
        XCTAssertEqual(machine.state, .empty)
        XCTAssertEqual(machine.generationId, 3, "the generation that emptied the group still counts")
        XCTAssertEqual(machine.protocolType, "consumer", "Kafka keeps an emptied group's protocol type")
        XCTAssertNil(machine.protocolName)
    }

    func testOffsetCommitValidation() {
        var machine = makeMachine()
        XCTAssertEqual(machine.validateOffsetCommit(memberId: "", generationId: -1, groupInstanceId: nil, nowMs: 0), .none)
        let (leader, _) = machine.joinNewMember(nowMs: 0)
        XCTAssertEqual(
            machine.validateOffsetCommit(memberId: "", generationId: -1, groupInstanceId: nil, nowMs: 0), .unknownMemberId,
            "a simple consumer cannot commit into a group with members"
        )
        XCTAssertEqual(
            machine.validateOffsetCommit(memberId: leader, generationId: 1, groupInstanceId: nil, nowMs: 0),
            .rebalanceInProgress, "the assignment is being handed out"
        )
        _ = machine.sync(GroupSyncRequest(memberId: leader, generationId: 1), nowMs: 0)
        XCTAssertEqual(machine.validateOffsetCommit(memberId: leader, generationId: 1, groupInstanceId: nil, nowMs: 0), .none)
        XCTAssertEqual(
            machine.validateOffsetCommit(memberId: leader, generationId: 0, groupInstanceId: nil, nowMs: 0), .illegalGeneration
        )
        XCTAssertEqual(
            machine.validateOffsetCommit(memberId: "nobody", generationId: 1, groupInstanceId: nil, nowMs: 0), .unknownMemberId
        )
        _ = machine.joinNewMember(nowMs: 1)
        XCTAssertEqual(
            machine.validateOffsetCommit(memberId: leader, generationId: 1, groupInstanceId: nil, nowMs: 1), .none,
            "an eager consumer commits before it rejoins"
        )
    }

    func testDescribeShowsAssignmentsOnlyWhenStable() {
        var machine = makeMachine()
        let members = machine.formStableGroup(count: 2, nowMs: 0)
        let description = machine.describe()
        XCTAssertEqual(description.state, .stable)
        XCTAssertEqual(description.protocolName, "range")
        XCTAssertEqual(description.members.map(\.memberId), members)
        XCTAssertEqual(description.members.map(\.assignment), [[0], [1]])
        XCTAssertEqual(description.members.first?.metadata, [1, 2, 3])
        _ = machine.joinNewMember(nowMs: 1)
        XCTAssertEqual(machine.describe().members.map(\.assignment), [[], [], []])
        XCTAssertEqual(machine.describe().protocolName, "")
    }
}
