import GroupCoordinator
import LogStore
import SluiceModel
import XCTest

final class OffsetStoreTests: XCTestCase {
    private var directory: TemporaryDirectory!
    private var clock: ManualClock!
    private var logManager: LogManager!

    override func setUpWithError() throws {
        self.directory = try TemporaryDirectory()
        self.clock = ManualClock()
        self.logManager = try self.openLogManager()
    }

    override func tearDownWithError() throws {
        try self.logManager?.close()
        self.directory.remove()
    }

    private func openLogManager() throws -> LogManager {
        try LogManager(dataDirectory: self.directory.path, defaultConfig: LogConfig(), clock: self.clock)
    }

    private func makeStore(_ configure: (inout OffsetStoreConfiguration) -> Void = { _ in }) throws -> OffsetStore {
        var configuration = OffsetStoreConfiguration()
        configure(&configuration)
        return try OffsetStore(logManager: self.logManager, configuration: configuration, clock: self.clock)
    }

    /// Closes the log manager and opens it again: what a broker restart does to the data directory.
    private func restart(_ configure: (inout OffsetStoreConfiguration) -> Void = { _ in }) throws -> OffsetStore {
        try self.logManager.close()
        self.logManager = try self.openLogManager()
        return try self.makeStore(configure)
    }

    private func partition(_ topic: String, _ number: Int32) -> TopicPartition {
        TopicPartition(topic: topic, partition: PartitionID(number))
    }

    private func commit(
        _ store: OffsetStore, group: String, _ offsets: [TopicPartition: Int64], metadata: String = ""
    ) throws {
        let committed = offsets.mapValues {
            CommittedOffset(offset: $0, leaderEpoch: 3, metadata: metadata, commitTimestampMs: self.clock.wallTimeMs())
        }
        let durability = try store.commit(groupId: group, offsets: committed)
        let acknowledged = self.expectation(description: "commit durable")
        durability.whenDurable { result in
            if case .success = result { acknowledged.fulfill() }
        }
        self.wait(for: [acknowledged], timeout: 5)
    }

    private func offsetTopics() -> [String] {
        self.logManager.topicNames().filter { $0.hasPrefix("__consumer_offsets.") }
    }

    func testCommitThenFetchAnswersMinusOneWhereNothingWasCommitted() throws {
        let store = try self.makeStore()
        try self.commit(store, group: "g", [self.partition("orders", 0): 42], metadata: "checkpoint")
        let fetched = store.fetch(groupId: "g", partitions: [self.partition("orders", 0), self.partition("orders", 1)])
        XCTAssertEqual(fetched[self.partition("orders", 0)]?.offset, 42)
        XCTAssertEqual(fetched[self.partition("orders", 0)]?.metadata, "checkpoint")
        XCTAssertEqual(fetched[self.partition("orders", 0)]?.leaderEpoch, 3)
        XCTAssertEqual(fetched[self.partition("orders", 1)]?.offset, -1)
        XCTAssertEqual(store.fetch(groupId: "other", partitions: nil), [:])
        XCTAssertEqual(self.offsetTopics(), ["__consumer_offsets.0"])
    }

    func testOffsetsSurviveARestart() throws {
        var store = try self.makeStore()
        try self.commit(store, group: "g", [self.partition("orders", 0): 1, self.partition("orders", 1): 2])
        try self.commit(store, group: "g", [self.partition("orders", 0): 10])
        try self.commit(store, group: "h", [self.partition("payments", 7): 70], metadata: "m")
        store = try self.restart()
        XCTAssertEqual(store.fetch(groupId: "g", partitions: nil).mapValues(\.offset), [
            self.partition("orders", 0): 10, self.partition("orders", 1): 2,
        ])
        XCTAssertEqual(store.fetch(groupId: "h", partitions: nil)[self.partition("payments", 7)]?.metadata, "m")
        XCTAssertEqual(store.statistics.recordCount, 5, "the marker and four commits")
    }

    func testTombstonesDeleteOffsetsAcrossARestart() throws {
        var store = try self.makeStore()
        try self.commit(store, group: "g", [self.partition("orders", 0): 1, self.partition("orders", 1): 2])
        try self.commit(store, group: "gone", [self.partition("orders", 0): 5])
        _ = try store.deleteOffsets(groupId: "g", partitions: [self.partition("orders", 1)])
        _ = try store.deleteGroup("gone")
        XCTAssertFalse(store.hasOffsets(groupId: "gone"))
        store = try self.restart()
        XCTAssertEqual(store.fetch(groupId: "g", partitions: nil).mapValues(\.offset), [self.partition("orders", 0): 1])
        XCTAssertFalse(store.hasOffsets(groupId: "gone"))
        XCTAssertEqual(store.groupIds(), ["g"])
    }

    func testCompactionKeepsOnlyTheLatestValuesAndBoundsRestart() throws {
        let configure: (inout OffsetStoreConfiguration) -> Void = {
            $0.compactionRecordCountMin = 100
            $0.compactionRatio = 4
        }
        var store = try self.makeStore(configure)
        let partitions = (0..<10).map { self.partition("orders", Int32($0)) }
        for round in 0..<200 {
            let offsets = Dictionary(uniqueKeysWithValues: partitions.map { ($0, Int64(round)) })
            _ = try store.commit(groupId: "g", offsets: offsets.mapValues {
                CommittedOffset(offset: $0, commitTimestampMs: 1)
            })
        }
        _ = try store.deleteOffsets(groupId: "g", partitions: [partitions[9]])
        let statistics = store.statistics
        XCTAssertGreaterThan(statistics.generation, 0, "2000 records over 10 keys must have compacted")
        XCTAssertLessThanOrEqual(statistics.recordCount, 4 * 10 + 10, "at most ratio × live keys plus one commit")
        waitUntil { self.offsetTopics().count == 1 }

        store = try self.restart(configure)
        XCTAssertEqual(store.statistics.generation, statistics.generation)
        XCTAssertLessThanOrEqual(store.statistics.recordCount, 50, "a restart reads the compacted log only")
        let fetched = store.fetch(groupId: "g", partitions: nil)
        XCTAssertEqual(fetched.count, 9)
        XCTAssertTrue(fetched.values.allSatisfy { $0.offset == 199 })
    }

    func testExplicitCompactionSwitchesGenerationAndDropsTheOldOne() throws {
        var store = try self.makeStore()
        try self.commit(store, group: "g", [self.partition("orders", 0): 1])
        try self.commit(store, group: "g", [self.partition("orders", 0): 2])
        try store.compact()
        XCTAssertEqual(store.statistics.recordCount, 2, "one live commit and the marker")
        try self.commit(store, group: "g", [self.partition("orders", 0): 3])
        waitUntil { self.offsetTopics() == ["__consumer_offsets.1"] }
        store = try self.restart()
        XCTAssertEqual(store.fetch(groupId: "g", partitions: nil)[self.partition("orders", 0)]?.offset, 3)
    }

    func testInterruptedCompactionFallsBackToTheOlderGeneration() throws {
        var store = try self.makeStore()
        try self.commit(store, group: "g", [self.partition("orders", 0): 7])
        // A crash during compaction leaves a newer generation without its completion marker.
        try self.logManager.createInternalTopic("__consumer_offsets.1", partitionCount: 1, config: OffsetStoreConfiguration().logConfig)
        store = try self.restart()
        XCTAssertEqual(store.statistics.generation, 0)
        XCTAssertEqual(store.fetch(groupId: "g", partitions: nil)[self.partition("orders", 0)]?.offset, 7)
        XCTAssertEqual(self.offsetTopics(), ["__consumer_offsets.0"])
    }

    func testAbandonedGroupsExpireAndActiveOrRecentOnesDoNot() throws {
        let store = try self.makeStore()
        let dayMs: Int64 = 24 * 60 * 60 * 1000
        try self.commit(store, group: "abandoned", [self.partition("t", 0): 1])
        try self.commit(store, group: "active", [self.partition("t", 0): 1])
        self.clock.advance(byMs: 6 * dayMs)
        try self.commit(store, group: "recent", [self.partition("t", 0): 1])
        self.clock.advance(byMs: dayMs)
        let (expired, _) = try store.expireAbandonedGroups(nowMs: self.clock.wallTimeMs(), activeGroupIds: ["active"])
        XCTAssertEqual(expired, ["abandoned"])
        XCTAssertEqual(Set(store.groupIds()), ["active", "recent"])
        let reopened = try self.restart()
        XCTAssertEqual(Set(reopened.groupIds()), ["active", "recent"])
    }

    func testBoundsAreEnforced() throws {
        let store = try self.makeStore {
            $0.metadataLengthBytesMax = 10
            $0.groupCountMax = 1
        }
        let tooLong = CommittedOffset(offset: 1, metadata: String(repeating: "x", count: 11), commitTimestampMs: 0)
        XCTAssertThrowsError(try store.commit(groupId: "g", offsets: [self.partition("t", 0): tooLong]))
        _ = try store.commit(groupId: "g", offsets: [self.partition("t", 0): CommittedOffset(offset: 1, commitTimestampMs: 0)])
        XCTAssertThrowsError(
            try store.commit(groupId: "h", offsets: [self.partition("t", 0): CommittedOffset(offset: 1, commitTimestampMs: 0)])
        )
    }

    func testRetentionOnTheOffsetsLogIsRefused() {
        var configuration = OffsetStoreConfiguration()
        configuration.logConfig.retentionMs = 1000
        XCTAssertThrowsError(try OffsetStore(logManager: self.logManager, configuration: configuration, clock: self.clock))
    }
}
