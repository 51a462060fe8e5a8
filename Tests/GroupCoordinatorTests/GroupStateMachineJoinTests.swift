import GroupCoordinator
import XCTest

final class GroupStateMachineJoinTests: XCTestCase {
    func testNewMemberGetsMemberIdRequiredThenJoinsAsLeader() {
        var machine = makeMachine()
        let first = machine.join(joinRequest(), nowMs: 0)
        XCTAssertEqual(first.joinReply?.errorCode, .memberIdRequired)
        XCTAssertEqual(first.joinReply?.memberId, "client-m1")
        XCTAssertEqual(machine.state, .empty, "a handed-out id is not a member yet")

        let rejoin = machine.join(joinRequest(memberId: "client-m1"), nowMs: 0)
        XCTAssertEqual(rejoin.awaitedJoins, ["client-m1"])
        let result = rejoin.completedJoins["client-m1"]
        XCTAssertEqual(result?.errorCode, JoinGroupResult.failure(.none).errorCode)
        XCTAssertEqual(result?.generationId, 1)
        XCTAssertEqual(result?.leaderId, "client-m1")
        XCTAssertEqual(result?.protocolName, "range")
        XCTAssertEqual(result?.protocolType, "consumer")
        XCTAssertEqual(result?.members, [JoinedMember(memberId: "client-m1", groupInstanceId: nil, metadata: [1, 2, 3])])
        XCTAssertEqual(machine.state, .completingRebalance)
    }

    func testOldClientWithoutRequireKnownMemberIdJoinsAtOnce() {
        var machine = makeMachine()
        let actions = machine.join(joinRequest(requireKnownMemberId: false), nowMs: 0)
        XCTAssertEqual(actions.awaitedJoins, ["client-m1"])
        XCTAssertEqual(actions.completedJoins["client-m1"]?.generationId, 1)
    }

    func testSecondMemberTriggersRebalanceAndLeaderGetsEveryonesMetadata() {
        var machine = makeMachine()
        let (leader, _) = machine.joinNewMember(protocols: [GroupProtocol(name: "range", metadata: [1])], nowMs: 0)
        let (follower, followerJoin) = machine.joinNewMember(
            protocols: [GroupProtocol(name: "range", metadata: [2])], nowMs: 10
        )
        XCTAssertEqual(followerJoin.completedJoins, [:], "the join waits for the leader to rejoin")
        XCTAssertEqual(machine.state, .preparingRebalance)
        XCTAssertEqual(
            machine.heartbeat(GroupHeartbeatRequest(memberId: leader, generationId: 1), nowMs: 20), .rebalanceInProgress
        )

        let leaderJoin = machine.join(
            joinRequest(memberId: leader, protocols: [GroupProtocol(name: "range", metadata: [1])]), nowMs: 30
        )
        let completed = leaderJoin.completedJoins
        XCTAssertEqual(Set(completed.keys), [leader, follower])
        XCTAssertEqual(completed[leader]?.generationId, 2)
        XCTAssertEqual(completed[leader]?.members.map(\.memberId), [leader, follower])
        XCTAssertEqual(completed[leader]?.members.map(\.metadata), [[1], [2]])
        XCTAssertEqual(completed[follower]?.members, [], "only the leader gets the member list")
        XCTAssertEqual(completed[follower]?.leaderId, leader)
    }

    func testInitialRebalanceDelayCollectsMembersStartedTogether() {
        var machine = makeMachine(initialRebalanceDelayMs: 300)
        let (first, firstJoin) = machine.joinNewMember(nowMs: 0)
        XCTAssertEqual(firstJoin.completedJoins, [:])
        let (second, _) = machine.joinNewMember(nowMs: 100)
        XCTAssertEqual(machine.tick(nowMs: 350).completedJoins, [:], "the second arrival pushed the delay to 400")
        let completed = machine.tick(nowMs: 400).completedJoins
        XCTAssertEqual(Set(completed.keys), [first, second])
        XCTAssertEqual(completed[first]?.generationId, 1, "one generation for both, not one per arrival")
    }

    func testRebalanceTimeoutRemovesMembersThatDidNotRejoin() {
        var machine = makeMachine()
        let members = machine.formStableGroup(count: 2, nowMs: 0)
        let generation = machine.generationId
        let (newcomer, _) = machine.joinNewMember(nowMs: 1000)
        _ = machine.join(joinRequest(memberId: members[0]), nowMs: 1000)
        // members[1] keeps heartbeating (so its session holds) but never rejoins.
        for time in stride(from: Int64(2000), through: 30_000, by: 2000) {
            _ = machine.heartbeat(GroupHeartbeatRequest(memberId: members[1], generationId: generation), nowMs: time)
            XCTAssertEqual(machine.tick(nowMs: time).completedJoins, [:])
        }
        let completed = machine.tick(nowMs: 31_000).completedJoins
        XCTAssertEqual(Set(completed.keys), [members[0], newcomer])
        XCTAssertEqual(machine.memberIds, [members[0], newcomer])
        XCTAssertEqual(machine.state, .completingRebalance)
    }

    func testProtocolChosenByVotesAmongCommonProtocols() {
        var machine = makeMachine()
        let sticky = GroupProtocol(name: "cooperative-sticky", metadata: [9])
        let range = GroupProtocol(name: "range", metadata: [8])
        let roundRobin = GroupProtocol(name: "roundrobin", metadata: [7])
        let (first, _) = machine.joinNewMember(protocols: [sticky, range, roundRobin], nowMs: 0)
        let (second, _) = machine.joinNewMember(protocols: [range, sticky], nowMs: 0)
        let (third, _) = machine.joinNewMember(protocols: [range, sticky], nowMs: 0)
        _ = machine.join(joinRequest(memberId: second, protocols: [range, sticky]), nowMs: 0)
        let completed = machine.join(joinRequest(memberId: first, protocols: [sticky, range, roundRobin]), nowMs: 0)
            .completedJoins
        XCTAssertEqual(completed[third]?.protocolName, "range", "two votes for range, one for cooperative-sticky")
        XCTAssertEqual(completed[first]?.members.first?.metadata, [8], "the leader gets the chosen protocol's metadata")
    }

    func testTiedVotesFollowTheLeadersPreference() {
        var machine = makeMachine()
        let eager = GroupProtocol(name: "range", metadata: [])
        let cooperative = GroupProtocol(name: "cooperative-sticky", metadata: [])
        let (leader, _) = machine.joinNewMember(protocols: [cooperative, eager], nowMs: 0)
        _ = machine.joinNewMember(protocols: [eager, cooperative], nowMs: 0)
        let completed = machine.join(joinRequest(memberId: leader, protocols: [cooperative, eager]), nowMs: 0)
        XCTAssertEqual(completed.completedJoins[leader]?.protocolName, "cooperative-sticky")
    }

    func testInconsistentProtocolsAndBadSessionTimeoutsAreRefused() {
        var machine = makeMachine()
        _ = machine.joinNewMember(protocols: [GroupProtocol(name: "range", metadata: [])], nowMs: 0)
        let otherType = machine.join(joinRequest(protocolType: "connect"), nowMs: 0)
        XCTAssertEqual(otherType.joinReply?.errorCode, .inconsistentGroupProtocol)
        let noCommon = machine.join(joinRequest(protocols: [GroupProtocol(name: "roundrobin", metadata: [])]), nowMs: 0)
        XCTAssertEqual(noCommon.joinReply?.errorCode, .inconsistentGroupProtocol)
        let noProtocols = machine.join(joinRequest(protocols: []), nowMs: 0)
        XCTAssertEqual(noProtocols.joinReply?.errorCode, .inconsistentGroupProtocol)
        XCTAssertEqual(machine.join(joinRequest(sessionTimeoutMs: 5999), nowMs: 0).joinReply?.errorCode, .invalidSessionTimeout)
        XCTAssertEqual(
            machine.join(joinRequest(sessionTimeoutMs: 1_800_001), nowMs: 0).joinReply?.errorCode, .invalidSessionTimeout
        )
    }

    func testUnknownMemberIdIsRefused() {
        var machine = makeMachine()
        let actions = machine.join(joinRequest(memberId: "client-unknown"), nowMs: 0)
        XCTAssertEqual(actions.joinReply?.errorCode, .unknownMemberId)
    }

    func testGroupSizeIsBoundedIncludingHandedOutIds() {
        var machine = makeMachine(membersPerGroupMax: 2)
        _ = machine.joinNewMember(nowMs: 0)
        XCTAssertEqual(machine.join(joinRequest(), nowMs: 0).joinReply?.errorCode, .memberIdRequired)
        XCTAssertEqual(machine.join(joinRequest(), nowMs: 0).joinReply?.errorCode, .groupMaxSizeReached)
    }

    func testUnusedHandedOutMemberIdExpiresAfterSessionTimeout() {
        var machine = makeMachine()
        let handedOut = machine.join(joinRequest(sessionTimeoutMs: 6000), nowMs: 0).joinReply!.memberId
        XCTAssertFalse(machine.isIdle)
        _ = machine.tick(nowMs: 6000)
        XCTAssertTrue(machine.isIdle)
        XCTAssertEqual(machine.join(joinRequest(memberId: handedOut), nowMs: 6001).joinReply?.errorCode, .unknownMemberId)
    }

    func testRepeatedJoinWhileWaitingAnswersTheOlderRequest() {
        var machine = makeMachine()
        let members = machine.formStableGroup(count: 3, nowMs: 0)
        _ = machine.join(joinRequest(memberId: members[0]), nowMs: 5)
        XCTAssertEqual(machine.state, .preparingRebalance, "the leader asked for a new assignment")
        _ = machine.join(joinRequest(memberId: members[1]), nowMs: 10)
        let again = machine.join(joinRequest(memberId: members[1]), nowMs: 20)
        XCTAssertEqual(again.completedJoins[members[1]]?.errorCode, .rebalanceInProgress)
        XCTAssertEqual(again.awaitedJoins, [members[1]])
    }

    func testFollowerRejoiningStableGroupWithSameMetadataGetsCurrentGeneration() {
        var machine = makeMachine()
        let members = machine.formStableGroup(count: 2, nowMs: 0)
        let actions = machine.join(joinRequest(memberId: members[1]), nowMs: 10)
        XCTAssertEqual(actions.joinReply?.generationId, machine.generationId)
        XCTAssertEqual(machine.state, .stable)
    }

    func testLongClientIdIsCutNotRefused() {
        var machine = makeMachine()
        let longClientId = String(repeating: "c", count: 1000)
        let memberId = machine.join(joinRequest(client: longClientId), nowMs: 0).joinReply!.memberId
        XCTAssertEqual(memberId, String(repeating: "c", count: 255) + "-m1")
        let joined = machine.join(joinRequest(memberId: memberId, client: longClientId), nowMs: 0)
        XCTAssertEqual(joined.completedJoins[memberId]?.generationId, 1)
        XCTAssertEqual(machine.describe().members.first?.clientId.utf8.count, 255)
    }

    func testOversizedMetadataIsRefused() {
        var machine = makeMachine()
        let huge = GroupProtocol(name: "range", metadata: [UInt8](repeating: 0, count: 128 * 1024 + 1))
        XCTAssertEqual(machine.join(joinRequest(protocols: [huge]), nowMs: 0).joinReply?.errorCode, .invalidRequest)
        let many = (0..<33).map { GroupProtocol(name: "p\($0)", metadata: []) }
        XCTAssertEqual(machine.join(joinRequest(protocols: many), nowMs: 0).joinReply?.errorCode, .invalidRequest)
    }
}
