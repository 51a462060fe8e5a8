import GroupCoordinator
import LogStore
import SluiceModel
import XCTest

/// Storage faults under the offset store, through LogStore's faulty file-I/O seam.
final class OffsetStoreFaultTests: XCTestCase {
    private var directory: TemporaryDirectory!
    private var clock: ManualClock!
    private var fileIO: FaultyFileIO!
    private var logManager: LogManager!

    override func setUpWithError() throws {
        self.directory = try TemporaryDirectory()
        self.clock = ManualClock()
        self.fileIO = FaultyFileIO()
        self.logManager = try LogManager(
            dataDirectory: self.directory.path, defaultConfig: LogConfig(), clock: self.clock, fileIO: self.fileIO
        )
    }

    override func tearDownWithError() throws {
        try? self.logManager?.close()
        self.directory.remove()
    }

    private func makeCoordinator() throws -> GroupCoordinator {
        let store = try OffsetStore(logManager: self.logManager, clock: self.clock)
        return try GroupCoordinator(
            configuration: testConfiguration(), offsetStore: store, clock: self.clock, memberIdGenerator: sequentialMemberIds()
        )
    }

    private let partition = TopicPartition(topic: "t", partition: PartitionID(0))

    private func commit(_ coordinator: GroupCoordinator, offset: Int64) async -> GroupErrorCode? {
        await coordinator.commitOffsets(GroupOffsetCommitRequest(
            groupId: "g", partitions: [PartitionOffsetCommit(topicPartition: self.partition, offset: offset)]
        )).first?.errorCode
    }

    func testCommitIsAcknowledgedOnlyAfterItsFsync() async throws {
        let coordinator = try self.makeCoordinator()
        let syncsBefore = self.fileIO.counters.fileSyncCount
        let errorCode = await self.commit(coordinator, offset: 1)
        XCTAssertEqual(errorCode, GroupErrorCode.none)
        XCTAssertGreaterThan(self.fileIO.counters.fileSyncCount, syncsBefore, "fsync = always: the ack waited for a sync")
    }

    func testFailedFsyncFailsTheCommitAndLaterOnes() async throws {
        let coordinator = try self.makeCoordinator()
        self.fileIO.update { $0.failingSyncCount = 1 }
        let failed = await self.commit(coordinator, offset: 1)
        XCTAssertEqual(failed, .coordinatorNotAvailable)
        let afterFailure = await self.commit(coordinator, offset: 2)
        XCTAssertEqual(afterFailure, .coordinatorNotAvailable, "after a failed fsync the log takes no appends")
    }

    func testFullDiskRefusesTheCommitAndKeepsTheOldOffset() async throws {
        let coordinator = try self.makeCoordinator()
        let first = await self.commit(coordinator, offset: 1)
        XCTAssertEqual(first, GroupErrorCode.none)
        self.fileIO.update { $0.remainingDiskBytes = 10 }
        let refused = await self.commit(coordinator, offset: 2)
        XCTAssertEqual(refused, .coordinatorNotAvailable)
        XCTAssertEqual(coordinator.fetchOffsets(groupId: "g", partitions: [self.partition]).offsets[self.partition]?.offset, 1)
    }
}
