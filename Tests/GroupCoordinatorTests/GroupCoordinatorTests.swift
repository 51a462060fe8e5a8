import Dispatch
import GroupCoordinator
import LogStore
import SluiceModel
import XCTest

final class GroupCoordinatorTests: XCTestCase {
    private var directory: TemporaryDirectory!
    private var clock: ManualClock!
    private var logManager: LogManager!

    override func setUpWithError() throws {
        self.directory = try TemporaryDirectory()
        self.clock = ManualClock()
        self.logManager = try LogManager(dataDirectory: self.directory.path, defaultConfig: LogConfig(), clock: self.clock)
    }

    override func tearDownWithError() throws {
        try self.logManager?.close()
        self.directory.remove()
    }

    private func makeCoordinator(
        _ configure: (inout GroupConfiguration) -> Void = { _ in }
    ) throws -> GroupCoordinator {
        var configuration = testConfiguration()
        configure(&configuration)
        let store = try OffsetStore(logManager: self.logManager, clock: self.clock)
        return try GroupCoordinator(
            configuration: configuration, offsetStore: store, clock: self.clock, memberIdGenerator: sequentialMemberIds()
        )
    }

    private func join(
        _ coordinator: GroupCoordinator, group: String, _ request: GroupJoinRequest
    ) -> Collected<JoinGroupResult> {
        let results = Collected<JoinGroupResult>()
        coordinator.joinGroup(groupId: group, request: request) { results.append($0) }
        return results
    }

    private func sync(
        _ coordinator: GroupCoordinator, group: String, _ request: GroupSyncRequest
    ) -> Collected<SyncGroupResult> {
        let results = Collected<SyncGroupResult>()
        coordinator.syncGroup(groupId: group, request: request) { results.append($0) }
        return results
    }

    /// A member through MEMBER_ID_REQUIRED and its rejoin; returns the id and the rejoin's (maybe pending) answer.
    private func joinNewMember(
        _ coordinator: GroupCoordinator, group: String
    ) -> (String, Collected<JoinGroupResult>) {
        let first = self.join(coordinator, group: group, joinRequest()).all
        XCTAssertEqual(first.first?.errorCode, .memberIdRequired)
        let memberId = first[0].memberId
        return (memberId, self.join(coordinator, group: group, joinRequest(memberId: memberId)))
    }

    /// A stable group of one member; returns its id and generation.
    private func stableSingleMemberGroup(_ coordinator: GroupCoordinator, group: String) -> (String, Int32) {
        let (memberId, joined) = self.joinNewMember(coordinator, group: group)
        let generation = joined.all[0].generationId
        let assignment = [MemberAssignment(memberId: memberId, assignment: [7])]
        let synced = self.sync(
            coordinator, group: group, GroupSyncRequest(memberId: memberId, generationId: generation, assignments: assignment)
        )
        XCTAssertEqual(synced.all.first?.assignment, [7])
        return (memberId, generation)
    }

    func testJoinAndSyncCompletionsArriveWhenTheirPhaseCompletes() throws {
        let coordinator = try self.makeCoordinator()
        let (leader, generation) = self.stableSingleMemberGroup(coordinator, group: "g")
        let (follower, followerJoin) = self.joinNewMember(coordinator, group: "g")
        XCTAssertEqual(followerJoin.all, [], "waits for the leader to rejoin")
        XCTAssertEqual(
            coordinator.heartbeat(groupId: "g", request: GroupHeartbeatRequest(memberId: leader, generationId: generation)),
            .rebalanceInProgress
        )
        let leaderJoin = self.join(coordinator, group: "g", joinRequest(memberId: leader))
        XCTAssertEqual(leaderJoin.all.first?.members.count, 2)
        XCTAssertEqual(followerJoin.all.first?.leaderId, leader)
        let newGeneration = leaderJoin.all[0].generationId

        let followerSync = self.sync(coordinator, group: "g", GroupSyncRequest(memberId: follower, generationId: newGeneration))
        XCTAssertEqual(followerSync.all, [])
        let assignments = [
            MemberAssignment(memberId: leader, assignment: [1]), MemberAssignment(memberId: follower, assignment: [2]),
        ]
        let leaderSync = self.sync(
            coordinator, group: "g", GroupSyncRequest(memberId: leader, generationId: newGeneration, assignments: assignments)
        )
        XCTAssertEqual(leaderSync.all.map(\.assignment), [[1]])
        XCTAssertEqual(followerSync.all.map(\.assignment), [[2]])
    }

    func testTickRemovesSilentMembersAndCompletesTheParkedJoin() throws {
        let coordinator = try self.makeCoordinator()
        let (silent, _) = self.stableSingleMemberGroup(coordinator, group: "g")
        let (newcomer, newcomerJoin) = self.joinNewMember(coordinator, group: "g")
        self.clock.advance(byMs: 9_999)
        coordinator.tick()
        XCTAssertEqual(newcomerJoin.all, [])
        self.clock.advance(byMs: 1)
        coordinator.tick()
        XCTAssertEqual(newcomerJoin.all.first?.leaderId, newcomer)
        XCTAssertEqual(newcomerJoin.all.first?.members.map(\.memberId), [newcomer])
        XCTAssertEqual(
            coordinator.heartbeat(groupId: "g", request: GroupHeartbeatRequest(memberId: silent, generationId: 1)), .unknownMemberId
        )
    }

    func testListDescribeAndDeleteGroups() async throws {
        let coordinator = try self.makeCoordinator()
        let (member, _) = self.stableSingleMemberGroup(coordinator, group: "consumers")
        let simple = GroupOffsetCommitRequest(
            groupId: "simple", partitions: [PartitionOffsetCommit(topicPartition: TopicPartition(topic: "t", partition: PartitionID(0)), offset: 5)]
        )
        let committed = await coordinator.commitOffsets(simple)
        XCTAssertEqual(committed.map(\.errorCode), [.none])

        XCTAssertEqual(coordinator.listGroups().map(\.groupId), ["consumers", "simple"])
        XCTAssertEqual(coordinator.listGroups().map(\.state), [.stable, .empty])
        XCTAssertEqual(coordinator.listGroups(states: [.empty]).map(\.groupId), ["simple"])
        let descriptions = coordinator.describeGroups(["consumers", "simple", "missing"])
        XCTAssertEqual(descriptions.map(\.state), [.stable, .empty, .dead])
        XCTAssertEqual(descriptions[0].members.map(\.memberId), [member])
        XCTAssertEqual(descriptions[0].protocolType, "consumer")

        let deleted = await coordinator.deleteGroups(["consumers", "simple", "missing", ""])
        XCTAssertEqual(deleted.map(\.errorCode), [.nonEmptyGroup, .none, .groupIdNotFound, .invalidGroupId])
        XCTAssertEqual(coordinator.fetchOffsets(groupId: "simple", partitions: nil).offsets, [:])

        _ = coordinator.leaveGroup(groupId: "consumers", members: [LeavingMember(memberId: member)])
        XCTAssertEqual(coordinator.describeGroups(["consumers"]).first?.state, .empty)
        let deletedAfterLeave = await coordinator.deleteGroups(["consumers"])
        XCTAssertEqual(deletedAfterLeave.map(\.errorCode), [.none])
        XCTAssertEqual(coordinator.listGroups(), [])
    }

    func testOffsetCommitIsValidatedAgainstTheGroup() async throws {
        let coordinator = try self.makeCoordinator()
        let (member, generation) = self.stableSingleMemberGroup(coordinator, group: "g")
        let orders0 = TopicPartition(topic: "orders", partition: PartitionID(0))
        let orders1 = TopicPartition(topic: "orders", partition: PartitionID(1))
        let partitions = [
            PartitionOffsetCommit(topicPartition: orders0, offset: 100, leaderEpoch: 2, metadata: "ok"),
            PartitionOffsetCommit(topicPartition: orders1, offset: 5, metadata: String(repeating: "x", count: 5000)),
        ]
        let accepted = await coordinator.commitOffsets(
            GroupOffsetCommitRequest(groupId: "g", memberId: member, generationId: generation, partitions: partitions)
        )
        XCTAssertEqual(accepted.map(\.errorCode), [.none, .offsetMetadataTooLarge])
        let fetched = coordinator.fetchOffsets(groupId: "g", partitions: [orders0, orders1])
        XCTAssertEqual(fetched.offsets[orders0]?.offset, 100)
        XCTAssertEqual(fetched.offsets[orders0]?.metadata, "ok")
        XCTAssertEqual(fetched.offsets[orders0]?.commitTimestampMs, self.clock.wallTimeMs())
        XCTAssertEqual(fetched.offsets[orders1]?.offset, -1)

        let wrongGeneration = await coordinator.commitOffsets(
            GroupOffsetCommitRequest(groupId: "g", memberId: member, generationId: generation + 1, partitions: partitions)
        )
        XCTAssertEqual(wrongGeneration.map(\.errorCode), [.illegalGeneration, .illegalGeneration])
        let simpleIntoActiveGroup = await coordinator.commitOffsets(GroupOffsetCommitRequest(groupId: "g", partitions: partitions))
        XCTAssertEqual(simpleIntoActiveGroup.first?.errorCode, .unknownMemberId)
        let memberOfMissingGroup = await coordinator.commitOffsets(
            GroupOffsetCommitRequest(groupId: "missing", memberId: "x", generationId: 3, partitions: partitions)
        )
        XCTAssertEqual(memberOfMissingGroup.first?.errorCode, .illegalGeneration)
        XCTAssertEqual(coordinator.fetchOffsets(groupId: "g", partitions: [orders0]).offsets[orders0]?.offset, 100)
    }

    func testOffsetsOfAGroupWithMembersNeverExpire() throws {
        let coordinator = try self.makeCoordinator()
        let (member, generation) = self.stableSingleMemberGroup(coordinator, group: "g")
        let partition = TopicPartition(topic: "t", partition: PartitionID(0))
        let done = self.expectation(description: "committed")
        coordinator.commitOffsets(GroupOffsetCommitRequest(
            groupId: "g", memberId: member, generationId: generation,
            partitions: [PartitionOffsetCommit(topicPartition: partition, offset: 1)]
        )) { _ in done.fulfill() }
        self.wait(for: [done], timeout: 5)
        let weekMs: Int64 = 7 * 24 * 60 * 60 * 1000
        for _ in 0..<8 {
            self.clock.advance(byMs: weekMs / 8 + 1)
            XCTAssertEqual(
                coordinator.heartbeat(groupId: "g", request: GroupHeartbeatRequest(memberId: member, generationId: generation)), .none
            )
            coordinator.tick()
        }
        XCTAssertEqual(try coordinator.expireAbandonedGroups(), [])
        _ = coordinator.leaveGroup(groupId: "g", members: [LeavingMember(memberId: member)])
        XCTAssertEqual(try coordinator.expireAbandonedGroups(), ["g"], "no members and a week without commits")
        XCTAssertEqual(coordinator.fetchOffsets(groupId: "g", partitions: [partition]).offsets[partition]?.offset, -1)
    }

    func testAFloodOfJoinsIsBoundedToItsGroup() throws {
        let coordinator = try self.makeCoordinator { $0.membersPerGroupMax = 50 }
        let results = Collected<GroupErrorCode>()
        DispatchQueue.concurrentPerform(iterations: 1000) { _ in
            coordinator.joinGroup(groupId: "flood", request: joinRequest()) { results.append($0.errorCode) }
        }
        let errorCodes = results.all
        XCTAssertEqual(errorCodes.filter { $0 == .memberIdRequired }.count, 50)
        XCTAssertEqual(errorCodes.filter { $0 == .groupMaxSizeReached }.count, 950)
        let (calmMember, calmJoin) = self.joinNewMember(coordinator, group: "calm")
        XCTAssertEqual(calmJoin.all.first?.errorCode, JoinGroupResult.failure(.none).errorCode)
        // The handed-out ids expire with their session timeout, and the flooded group goes away.
        self.clock.advance(byMs: 5_000)
        let heartbeat = GroupHeartbeatRequest(memberId: calmMember, generationId: 1)
        XCTAssertEqual(coordinator.heartbeat(groupId: "calm", request: heartbeat), .none)
        self.clock.advance(byMs: 5_000)
        coordinator.tick()
        XCTAssertEqual(coordinator.listGroups().map(\.groupId), ["calm"])
    }

    func testGroupCountIsBounded() throws {
        let coordinator = try self.makeCoordinator { $0.groupCountMax = 2 }
        XCTAssertEqual(self.join(coordinator, group: "a", joinRequest()).all.first?.errorCode, .memberIdRequired)
        XCTAssertEqual(self.join(coordinator, group: "b", joinRequest()).all.first?.errorCode, .memberIdRequired)
        XCTAssertEqual(self.join(coordinator, group: "c", joinRequest()).all.first?.errorCode, .coordinatorNotAvailable)
        XCTAssertEqual(self.join(coordinator, group: "", joinRequest()).all.first?.errorCode, .invalidGroupId)
    }

    func testUnknownGroupsAnswerUnknownMember() async throws {
        let coordinator = try self.makeCoordinator()
        XCTAssertEqual(
            coordinator.heartbeat(groupId: "none", request: GroupHeartbeatRequest(memberId: "m", generationId: 1)), .unknownMemberId
        )
        let synced = await coordinator.syncGroup(groupId: "none", request: GroupSyncRequest(memberId: "m", generationId: 1))
        XCTAssertEqual(synced.errorCode, .unknownMemberId)
        let joined = await coordinator.joinGroup(groupId: "none", request: joinRequest(memberId: "stale"))
        XCTAssertEqual(joined.errorCode, .unknownMemberId)
        XCTAssertEqual(coordinator.leaveGroup(groupId: "none", members: [LeavingMember(memberId: "m")]).members.first?.errorCode,
                       .unknownMemberId)
        XCTAssertEqual(coordinator.listGroups(), [], "none of these created a group")
    }

    func testOffsetsSurviveACoordinatorRestart() async throws {
        var coordinator = try self.makeCoordinator()
        let partition = TopicPartition(topic: "t", partition: PartitionID(3))
        let committed = await coordinator.commitOffsets(GroupOffsetCommitRequest(
            groupId: "simple", partitions: [PartitionOffsetCommit(topicPartition: partition, offset: 33)]
        ))
        XCTAssertEqual(committed.first?.errorCode, GroupErrorCode.none)
        try self.logManager.close()
        self.logManager = try LogManager(dataDirectory: self.directory.path, defaultConfig: LogConfig(), clock: self.clock)
        coordinator = try self.makeCoordinator()
        XCTAssertEqual(coordinator.fetchOffsets(groupId: "simple", partitions: [partition]).offsets[partition]?.offset, 33)
        XCTAssertEqual(coordinator.listGroups().map(\.groupId), ["simple"])
    }

    func testConcurrentJoinsAcrossGroupsFormOneGenerationEach() throws {
        let coordinator = try self.makeCoordinator { $0.initialRebalanceDelayMs = 100 }
        let groupIds = (0..<20).map { "group-\($0)" }
        let requests = groupIds.flatMap { groupId in (0..<3).map { _ in groupId } }
        let handedOut = Collected<(String, String)>()
        DispatchQueue.concurrentPerform(iterations: requests.count) { index in
            coordinator.joinGroup(groupId: requests[index], request: joinRequest()) { result in
                handedOut.append((requests[index], result.memberId))
            }
        }
        let joined = Collected<(String, JoinGroupResult)>()
        let ids = handedOut.all
        XCTAssertEqual(ids.count, 60)
        DispatchQueue.concurrentPerform(iterations: ids.count) { index in
            let (groupId, memberId) = ids[index]
            coordinator.joinGroup(groupId: groupId, request: joinRequest(memberId: memberId)) { joined.append((groupId, $0)) }
        }
        XCTAssertEqual(joined.all.count, 0, "the initial delay holds every join")
        self.clock.advance(byMs: 100)
        coordinator.tick()
        let results = joined.all
        XCTAssertEqual(results.count, 60)
        for groupId in groupIds {
            let answers = results.filter { $0.0 == groupId }.map(\.1)
            XCTAssertEqual(answers.count, 3)
            XCTAssertEqual(Set(answers.map(\.generationId)), [1])
            XCTAssertEqual(Set(answers.map(\.leaderId)).count, 1)
            XCTAssertEqual(answers.filter { !$0.members.isEmpty }.count, 1, "one leader gets the member list")
        }
    }
}
