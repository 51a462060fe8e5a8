import GroupCoordinator
import LogStore
import SluiceModel
import XCTest

/// Exact session deadlines for admin requests, the protocol type of an emptied group, and OffsetDelete.
final class AdminSurfaceGroupTests: XCTestCase {
    private var directory: TemporaryDirectory!
    private var clock: ManualClock!
    private var logManager: LogManager!
    private let orders0 = TopicPartition(topic: "orders", partition: PartitionID(0))
    private let payments0 = TopicPartition(topic: "payments", partition: PartitionID(0))

    override func setUpWithError() throws {
        self.directory = try TemporaryDirectory()
        self.clock = ManualClock()
        self.logManager = try LogManager(dataDirectory: self.directory.path, defaultConfig: LogConfig(), clock: self.clock)
    }

    override func tearDownWithError() throws {
        try self.logManager?.close()
        self.directory.remove()
    }

    private func makeCoordinator() throws -> GroupCoordinator {
        let store = try OffsetStore(logManager: self.logManager, clock: self.clock)
        return try GroupCoordinator(
            configuration: testConfiguration(), offsetStore: store, clock: self.clock, memberIdGenerator: sequentialMemberIds()
        )
    }

    /// A stable group of one static member subscribed to `topics` (its protocol metadata is the topic names
    /// joined by commas, read back by `subscriptions`); returns the member id and generation.
    private func stableStaticGroup(
        _ coordinator: GroupCoordinator, group: String, topics: [String] = ["orders"]
    ) async -> (String, Int32) {
        let metadata = Array(topics.joined(separator: ",").utf8)
        let joined = await coordinator.joinGroup(
            groupId: group,
            request: joinRequest(instance: "instance-1", protocols: [GroupProtocol(name: "range", metadata: metadata)])
        )
        XCTAssertEqual(joined.errorCode, .none)
        let synced = await coordinator.syncGroup(groupId: group, request: GroupSyncRequest(
            memberId: joined.memberId, generationId: joined.generationId, groupInstanceId: "instance-1",
            assignments: [MemberAssignment(memberId: joined.memberId, assignment: [1])]
        ))
        XCTAssertEqual(synced.errorCode, .none)
        return (joined.memberId, joined.generationId)
    }

    private let subscriptions: ([UInt8]) -> Set<String>? = { bytes in
        Set(String(decoding: bytes, as: UTF8.self).split(separator: ",").map(String.init))
    }

    private func deleteOffsets(
        _ coordinator: GroupCoordinator, group: String, _ partitions: [TopicPartition]
    ) async -> OffsetDeletionResult {
        await withCheckedContinuation { continuation in
            coordinator.deleteOffsets(groupId: group, partitions: partitions, subscribedTopics: self.subscriptions) {
                continuation.resume(returning: $0)
            }
        }
    }

    func testAStaticMembersSessionEndsExactlyAtItsDeadlineWithoutWaitingForATick() async throws {
        let coordinator = try self.makeCoordinator()
        _ = await self.stableStaticGroup(coordinator, group: "g")
        self.clock.advance(byMs: 9_999)
        let early = await coordinator.deleteGroups(["g"])
        XCTAssertEqual(early.map(\.errorCode), [.nonEmptyGroup], "one millisecond before the 10 s deadline")
        self.clock.advance(byMs: 1)
        // No tick() in between: the request itself must see that the session is over.
        XCTAssertEqual(coordinator.describeGroups(["g"]).first?.state, .empty)
        let atDeadline = await coordinator.deleteGroups(["g"])
        XCTAssertEqual(atDeadline.map(\.errorCode), [.none])
    }

    func testListGroupsSeesAnExpiredSessionAtItsDeadline() async throws {
        let coordinator = try self.makeCoordinator()
        _ = await self.stableStaticGroup(coordinator, group: "g")
        self.clock.advance(byMs: 10_000)
        XCTAssertEqual(coordinator.listGroups().map(\.state), [.empty])
    }

    func testAnEmptiedGroupKeepsItsProtocolTypeAfterItIsDroppedAsIdle() async throws {
        let coordinator = try self.makeCoordinator()
        let (memberId, generation) = await self.stableStaticGroup(coordinator, group: "g")
        let committed = await coordinator.commitOffsets(GroupOffsetCommitRequest(
            groupId: "g", memberId: memberId, generationId: generation, groupInstanceId: "instance-1",
            partitions: [PartitionOffsetCommit(topicPartition: self.orders0, offset: 3)]
        ))
        XCTAssertEqual(committed.map(\.errorCode), [.none])
        _ = coordinator.leaveGroup(groupId: "g", members: [LeavingMember(memberId: memberId, groupInstanceId: "instance-1")])
        XCTAssertEqual(coordinator.describeGroups(["g"]).first?.protocolType, "consumer")
        XCTAssertEqual(coordinator.listGroups().first?.protocolType, "consumer")

        coordinator.tick()  // the idle group's state machine goes; its offsets stay
        XCTAssertEqual(coordinator.listGroups().map(\.protocolType), ["consumer"])
        XCTAssertEqual(coordinator.describeGroups(["g"]).first?.protocolType, "consumer")
        XCTAssertEqual(coordinator.describeGroups(["g"]).first?.state, .empty)

        // A simple consumer's group (offsets only) has none, as in Kafka.
        _ = await coordinator.commitOffsets(GroupOffsetCommitRequest(
            groupId: "simple", partitions: [PartitionOffsetCommit(topicPartition: self.orders0, offset: 1)]
        ))
        XCTAssertEqual(coordinator.describeGroups(["simple"]).first?.protocolType, "")
    }

    func testOffsetDeleteRefusesSubscribedTopicsAndDeletesTheOthers() async throws {
        let coordinator = try self.makeCoordinator()
        let (memberId, generation) = await self.stableStaticGroup(coordinator, group: "g", topics: ["orders"])
        _ = await coordinator.commitOffsets(GroupOffsetCommitRequest(
            groupId: "g", memberId: memberId, generationId: generation, groupInstanceId: "instance-1",
            partitions: [
                PartitionOffsetCommit(topicPartition: self.orders0, offset: 3),
                PartitionOffsetCommit(topicPartition: self.payments0, offset: 4),
            ]
        ))
        let result = await self.deleteOffsets(coordinator, group: "g", [self.orders0, self.payments0])
        XCTAssertEqual(result.errorCode, .none)
        XCTAssertEqual(result.partitionErrors, [self.orders0: .groupSubscribedToTopic, self.payments0: .none])
        XCTAssertEqual(
            coordinator.fetchOffsets(groupId: "g", partitions: nil).offsets.keys.sorted { $0.topic < $1.topic },
            [self.orders0]
        )

        let missing = await self.deleteOffsets(coordinator, group: "nobody", [self.orders0])
        XCTAssertEqual(missing.errorCode, .groupIdNotFound)
    }

    func testOffsetDeleteOfAnEmptyGroupDeletesAnything() async throws {
        let coordinator = try self.makeCoordinator()
        _ = await coordinator.commitOffsets(GroupOffsetCommitRequest(
            groupId: "simple", partitions: [PartitionOffsetCommit(topicPartition: self.orders0, offset: 1)]
        ))
        let result = await self.deleteOffsets(coordinator, group: "simple", [self.orders0])
        XCTAssertEqual(result.partitionErrors, [self.orders0: .none])
        XCTAssertEqual(coordinator.fetchOffsets(groupId: "simple", partitions: nil).offsets, [:])
    }
}
