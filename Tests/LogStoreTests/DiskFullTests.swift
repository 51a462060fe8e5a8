import Foundation
import SluiceModel
import XCTest

@testable import LogStore

/// A full disk is an error for the request, never a crash and never a permanently failed log: ENOSPC while
/// allocating a new segment's indexes or part-way through the data write fails that append only, and appends
/// resume by themselves once there is room. Everything acknowledged survives a crash.
final class DiskFullTests: LogStoreTestCase {
    /// Small segments, so a few appends roll; a batch limit that fits.
    private let smallSegments = LogConfig(segmentSizeBytes: 2048, batchSizeBytesMax: 1024)

    private func openTopic(
        _ name: String = "t", config: LogConfig, fileIO: FileIO, minFreeBytes: Int64 = 0
    ) throws -> (LogManager, PartitionLog) {
        let manager = try LogManager(
            dataDirectory: self.dataDirectory, defaultConfig: config, clock: self.clock, fileIO: fileIO,
            minFreeBytes: minFreeBytes, onEvent: self.events.handler
        )
        try manager.createTopic(name, partitionCount: 1)
        let log = try XCTUnwrap(manager.partition(TopicPartition(topic: name, partition: PartitionID(0))))
        return (manager, log)
    }

    private func readAllBaseOffsets(_ log: PartitionLog) throws -> [Int64] {
        var offsets: [Int64] = []
        var next = log.logStartOffset
        while next < log.logEndOffset {
            let slice = try XCTUnwrap(log.read(from: next, maxBytes: 1 << 20, minOneBatch: true).slice)
            let batchOffsets = try slice.readBytes().batchBaseOffsets
            offsets += batchOffsets
            next = Offset(batchOffsets.last! + 1)
        }
        return offsets
    }

    func testENOSPCAllocatingTheNextSegmentsIndexesFailsTheAppendOnlyAndAppendsResume() throws {
        let fileIO = FaultyFileIO()
        let (manager, log) = try self.openTopic(config: self.smallSegments, fileIO: fileIO)
        let directory = self.partitionDirectory("t")
        // 200-byte values: about 270 bytes a batch, so the 8th append must roll.
        try self.appendBatches(log, count: 7, valueSizeBytes: 200)
        XCTAssertEqual(try self.files(in: directory, withSuffix: ".log").count, 1)
        fileIO.update { $0.failingAllocateCount = 1_000 }
        for _ in 0..<3 {
            self.assertStorageError(.diskFull) { try self.appendBatches(log, count: 1, valueSizeBytes: 200) }
        }
        XCTAssertEqual(log.logEndOffset, Offset(7))
        XCTAssertEqual(try self.files(in: directory, withSuffix: ".log").count, 1, "the new segment's files are removed")
        XCTAssertEqual(try self.files(in: directory, withSuffix: ".index").count, 1)
        XCTAssertEqual(try self.readAllBaseOffsets(log), Array(0..<7))

        fileIO.update { $0.failingAllocateCount = 0 }
        let resumed = try self.appendBatches(log, count: 3, valueSizeBytes: 200)
        XCTAssertEqual(resumed.map(\.firstOffset), [Offset(7), Offset(8), Offset(9)])
        XCTAssertEqual(try self.files(in: directory, withSuffix: ".log").count, 2)
        XCTAssertTrue(self.events.contains("refused (disk full)"))
        XCTAssertEqual(manager.diskSpaceGuard.refusedAppendCount, 3)

        // A crash (no close): everything acknowledged is read back after recovery.
        try manager.flushAll()
        let reopened = try self.openManager(config: self.smallSegments)
        defer { try? reopened.close() }
        let recovered = try XCTUnwrap(reopened.partition(TopicPartition(topic: "t", partition: PartitionID(0))))
        XCTAssertEqual(try self.readAllBaseOffsets(recovered), Array(0..<10))
    }

    func testShortWriteThenENOSPCIsCutBackAndAppendsResume() throws {
        let fileIO = FaultyFileIO()
        let (manager, log) = try self.openTopic(config: LogConfig(), fileIO: fileIO)
        try self.appendBatches(log, count: 2, valueSizeBytes: 200)
        let logPath = self.partitionDirectory("t") + "/" + Segment.fileStem(.zero) + ".log"
        let sizeBefore = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: logPath)[.size] as? Int)
        // 50 bytes a write, and room for 120: two short writes succeed, the third is cut short, then ENOSPC.
        fileIO.update {
            $0.writeSizeBytesMax = 50
            $0.remainingDiskBytes = 120
        }
        self.assertStorageError(.diskFull) { try self.appendBatches(log, count: 1, valueSizeBytes: 200) }
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: logPath)[.size] as? Int, sizeBefore)
        XCTAssertEqual(log.logEndOffset, Offset(2))

        fileIO.update { $0.remainingDiskBytes = nil }
        let resumed = try self.appendBatches(log, count: 2, valueSizeBytes: 200)
        XCTAssertEqual(resumed.map(\.firstOffset), [Offset(2), Offset(3)])
        XCTAssertEqual(try self.readAllBaseOffsets(log), [0, 1, 2, 3])

        try manager.flushAll()
        let reopened = try self.openManager()
        defer { try? reopened.close() }
        let recovered = try XCTUnwrap(reopened.partition(TopicPartition(topic: "t", partition: PartitionID(0))))
        XCTAssertEqual(try self.readAllBaseOffsets(recovered), [0, 1, 2, 3])
    }

    func testIndexBlocksAreAllocatedInChunksAheadOfTheEntries() throws {
        let fileIO = FaultyFileIO()
        let config = LogConfig(indexIntervalBytes: 1)
        let (manager, log) = try self.openTopic(config: config, fileIO: fileIO)
        defer { try? manager.close() }
        let allocationsAtCreation = fileIO.counters.allocateCallCount
        XCTAssertEqual(allocationsAtCreation, 2, "one chunk per index when the segment is created")
        // One offset index entry per batch (the time index gets one: the timestamps do not grow): crossing
        // the first chunk allocates the next one, before the write.
        try self.appendBatches(log, count: MappedIndexFile.allocationChunkEntries + 10)
        XCTAssertEqual(fileIO.counters.allocateCallCount, allocationsAtCreation + 1)
        fileIO.update { $0.failingAllocateCount = 1_000 }
        // Within the allocated chunk no allocation is needed, so a full disk does not stop these.
        try self.appendBatches(log, count: 10)
        XCTAssertEqual(log.logEndOffset, Offset(Int64(MappedIndexFile.allocationChunkEntries + 20)))
    }

    func testFailedTopicCreationLeavesNothingBehind() throws {
        let fileIO = FaultyFileIO()
        let manager = try self.openManager(fileIO: fileIO)
        defer { try? manager.close() }
        fileIO.update { $0.failingAllocateCount = 5 }
        self.assertStorageError(.diskFull) { try manager.createTopic("full", partitionCount: 3) }
        XCTAssertFalse(FileManager.default.fileExists(atPath: self.dataDirectory + "/topics/full"))
        XCTAssertNil(manager.topic("full"))
        fileIO.update { $0.failingAllocateCount = 0 }
        try manager.createTopic("full", partitionCount: 3)
        XCTAssertEqual(manager.topic("full")?.partitionCount, 3)
    }

    func testFreeSpaceFloorRefusesOrdinaryAppendsButNotInternalOnes() throws {
        let fileIO = FaultyFileIO()
        let floor: Int64 = 1024 * 1024
        let (manager, log) = try self.openTopic(config: LogConfig(), fileIO: fileIO, minFreeBytes: floor)
        defer { try? manager.close() }
        try manager.createInternalTopic("__consumer_offsets.0", partitionCount: 1)
        let offsets = try XCTUnwrap(manager.partition(TopicPartition(topic: "__consumer_offsets.0", partition: PartitionID(0))))
        try self.appendBatches(log, count: 1)

        // Below the floor (the fake reports 100 KiB available): ordinary appends are refused, internal ones not.
        fileIO.update { $0.remainingDiskBytes = 100 * 1024 }
        self.clock.advance(byMs: 1_000)
        for _ in 0..<5 {
            self.assertStorageError(.diskFull) { try self.appendBatches(log, count: 1) }
        }
        for _ in 0..<3 {
            _ = try TestBatch.make(timestampMs: self.clock.wallTimeMs()).withUnsafeBytes { try offsets.appendInternal($0) }
        }
        XCTAssertEqual(log.logEndOffset, Offset(1))
        XCTAssertEqual(offsets.logEndOffset, Offset(3))
        XCTAssertEqual(manager.diskSpaceGuard.refusedAppendCount, 5)
        self.assertStorageError(.diskFull) { try manager.createTopic("late", partitionCount: 1) }

        // Rate-limited: one line for the five refusals within a second, then one with the suppressed count.
        XCTAssertEqual(self.events.events.filter { $0.contains("free-space floor") }.count, 1)
        self.clock.advance(byMs: 1_000)
        self.assertStorageError(.diskFull) { try self.appendBatches(log, count: 1) }
        XCTAssertTrue(self.events.contains("4 more refused since the last report"))

        // Cached: within the refresh interval, statvfs is not asked again per append.
        let statCalls = fileIO.counters.diskSpaceCallCount
        for _ in 0..<10 { try? self.appendBatches(log, count: 1) }
        XCTAssertEqual(fileIO.counters.diskSpaceCallCount, statCalls)

        // Space comes back: appends resume once the cached answer is refreshed, without a restart.
        fileIO.update { $0.remainingDiskBytes = 100 * 1024 * 1024 }
        self.clock.advance(byMs: 300)
        try self.appendBatches(log, count: 1)
        XCTAssertEqual(log.logEndOffset, Offset(2))
    }

    /// A clean start on a full disk: the partition opens and serves reads, appends fail with diskFull until
    /// there is room again, then resume without a restart.
    func testStartOnAFullDiskOpensForReadsAndAppendsResumeWhenThereIsRoom() throws {
        let (manager, log) = try self.openTopic(config: self.smallSegments, fileIO: SystemFileIO())
        try self.appendBatches(log, count: 3)
        try manager.close()

        let fileIO = FaultyFileIO()
        fileIO.update { $0.failingAllocateCount = 1_000 }
        let reopened = try LogManager(
            dataDirectory: self.dataDirectory, defaultConfig: self.smallSegments, clock: self.clock, fileIO: fileIO,
            onEvent: self.events.handler
        )
        defer { try? reopened.close() }
        let partition = try XCTUnwrap(reopened.partition(TopicPartition(topic: "t", partition: PartitionID(0))))
        XCTAssertEqual(try self.readAllBaseOffsets(partition), [0, 1, 2])
        XCTAssertTrue(self.events.contains("no room for the active segment's index blocks"))
        for _ in 0..<2 {
            self.assertStorageError(.diskFull) { try self.appendBatches(partition, count: 1) }
        }
        fileIO.update { $0.failingAllocateCount = 0 }
        XCTAssertEqual(try self.appendBatches(partition, count: 2).map(\.firstOffset), [Offset(3), Offset(4)])
        XCTAssertEqual(try self.readAllBaseOffsets(partition), [0, 1, 2, 3, 4])
    }

    func testConfigRulesNameTheSettingsThatClash() {
        let config = LogConfig(segmentSizeBytes: 1024 * 1024, batchSizeBytesMax: 8 * 1024 * 1024)
        XCTAssertEqual(config.violations().map(\.settings), [[.segmentSizeBytes, .batchSizeBytesMax]])
        XCTAssertThrowsError(try config.validate()) { error in
            XCTAssertTrue("\(error)".contains("segmentSizeBytes and batchSizeBytesMax clash"), "\(error)")
        }
        XCTAssertEqual(LogConfig().violations(), [])
    }
}
