import Foundation
import SluiceModel
import XCTest

@testable import LogStore

/// Unclean stops are simulated by dropping the manager without `close()`: files stay as a killed process
/// leaves them (no clean-shutdown marker, indexes still preallocated). Then bytes are damaged and reopened.
final class RecoveryTests: LogStoreTestCase {
    private let topicPartition = TopicPartition(topic: "events", partition: PartitionID(0))
    private let smallSegments = LogConfig(segmentSizeBytes: 1_000, indexIntervalBytes: 100, batchSizeBytesMax: 500)

    private var firstLogPath: String { self.partitionDirectory("events") + "/00000000000000000000.log" }

    /// Writes `count` batches and stops without closing; with `flush`, the checkpoint covers them all.
    private func writeAndCrash(count: Int, config: LogConfig = LogConfig(), flush: Bool = true) throws {
        let manager = try self.openManager(config: config)
        try manager.createTopic("events", partitionCount: 1)
        let log = try XCTUnwrap(manager.partition(self.topicPartition))
        try self.appendBatches(log, count: count)
        if flush { try manager.flushAll() }
    }

    private func reopen(config: LogConfig = LogConfig()) throws -> (LogManager, PartitionLog) {
        let manager = try self.openManager(config: config)
        return (manager, try XCTUnwrap(manager.partition(self.topicPartition)))
    }

    private func modifyFile(_ path: String, _ change: (inout Data) -> Void) throws {
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        change(&data)
        try data.write(to: URL(fileURLWithPath: path))
    }

    private func assertReadsAll(
        _ log: PartitionLog, count: Int, file: StaticString = #filePath, line: UInt = #line
    ) throws {
        guard count > 0 else { return }
        let bytes = try XCTUnwrap(log.read(from: .zero, maxBytes: 1 << 20, minOneBatch: true).slice).readBytes()
        XCTAssertEqual(bytes.batchBaseOffsets, (0..<Int64(count)).map { $0 }, file: file, line: line)
    }

    func testTruncatedTailIsCut() throws {
        // Not flushed: the torn batch was never known durable (never acknowledged under `always`).
        try self.writeAndCrash(count: 10, flush: false)
        try self.modifyFile(self.firstLogPath) { $0.removeLast(5) }
        let (manager, log) = try self.reopen()
        defer { try? manager.close() }
        XCTAssertEqual(log.logEndOffset, Offset(9))
        XCTAssertTrue(self.events.contains("truncated segment 0"), "\(self.events.events)")
        try self.assertReadsAll(log, count: 9)
        XCTAssertEqual(try self.appendBatches(log, count: 1)[0].firstOffset, Offset(9))
    }

    func testTornTailBelowTheRecoveryPointIsFencedNotCut() throws {
        try self.writeAndCrash(count: 10)
        try self.modifyFile(self.firstLogPath) { $0.removeLast(5) }
        let (manager, log) = try self.reopen()
        defer { try? manager.close() }
        XCTAssertEqual(log.logEndOffset, Offset(10), "offset 9 was acknowledged: it is never handed out again")
        self.assertStorageError(.corruptMessage) { _ = try log.read(from: Offset(9), maxBytes: 1 << 20, minOneBatch: true) }
        try self.assertReadsAll(log, count: 9)
    }

    func testZeroFilledTailIsCut() throws {
        try self.writeAndCrash(count: 10)
        try self.modifyFile(self.firstLogPath) { $0.append(Data(count: 4096)) }
        let (manager, log) = try self.reopen()
        defer { try? manager.close() }
        XCTAssertEqual(log.logEndOffset, Offset(10))
        XCTAssertTrue(self.events.contains("discarding 4096 bytes"), "\(self.events.events)")
        try self.assertReadsAll(log, count: 10)
    }

    func testFlippedByteBelowTheRecoveryPointIsFencedNotCut() throws {
        try self.writeAndCrash(count: 10)
        let batchSizeBytes = TestBatch.make().count
        try self.modifyFile(self.firstLogPath) { $0[batchSizeBytes * 5 + 40] ^= 0x10 }
        let (manager, log) = try self.reopen()
        defer { try? manager.close() }
        XCTAssertEqual(log.logEndOffset, Offset(10), "acknowledged batches after the damage are kept")
        XCTAssertTrue(self.events.contains("CRC-32C mismatch"), "\(self.events.events)")
        XCTAssertFalse(self.events.contains("truncated"), "\(self.events.events)")
        try self.assertReadsAll(log, count: 5)
        self.assertStorageError(.corruptMessage) { _ = try log.read(from: Offset(5), maxBytes: 1 << 20, minOneBatch: true) }
        let after = try XCTUnwrap(log.read(from: Offset(6), maxBytes: 1 << 20, minOneBatch: true).slice)
        XCTAssertEqual(try after.readBytes().batchBaseOffsets, [6, 7, 8, 9])
        XCTAssertEqual(try self.appendBatches(log, count: 1)[0].firstOffset, Offset(10))
    }

    func testFlippedBaseOffsetOutsideTheChecksumIsCaught() throws {
        try self.writeAndCrash(count: 10)
        let batchSizeBytes = TestBatch.make().count
        try self.modifyFile(self.firstLogPath) { $0[batchSizeBytes * 7 + 7] ^= 0x01 }
        let (manager, log) = try self.reopen()
        defer { try? manager.close() }
        XCTAssertEqual(log.logEndOffset, Offset(10))
        self.assertStorageError(.corruptMessage) { _ = try log.read(from: Offset(7), maxBytes: 1 << 20, minOneBatch: true) }
    }

    func testFlippedByteInTheUnsyncedTailIsCut() throws {
        try self.writeAndCrash(count: 10, flush: false)
        let batchSizeBytes = TestBatch.make().count
        try self.modifyFile(self.firstLogPath) { $0[batchSizeBytes * 9 + 40] ^= 0x10 }
        let (manager, log) = try self.reopen()
        defer { try? manager.close() }
        XCTAssertEqual(log.logEndOffset, Offset(9), "the last batch was never known durable: Kafka cuts it too")
        XCTAssertTrue(self.events.contains("truncated segment 0"), "\(self.events.events)")
    }

    func testOnlySegmentsFromTheRecoveryPointAreScanned() throws {
        try self.writeAndCrash(count: 40, config: self.smallSegments)
        // Damage a record in the first (sealed, before the recovery point) segment: a scan would notice.
        try self.modifyFile(self.firstLogPath) { $0[100] ^= 0xFF }
        let (manager, log) = try self.reopen(config: self.smallSegments)
        defer { try? manager.close() }
        XCTAssertEqual(log.logEndOffset, Offset(40))
        XCTAssertFalse(self.events.contains("truncated"), "\(self.events.events)")
        XCTAssertFalse(self.events.contains("fenced"), "\(self.events.events)")
    }

    func testWithoutACheckpointEverySegmentIsScannedAndNothingIsDeleted() throws {
        try self.writeAndCrash(count: 40, config: self.smallSegments, flush: false)
        let segmentCount = try self.files(in: self.partitionDirectory("events"), withSuffix: ".log").count
        try self.modifyFile(self.firstLogPath) { $0[100] ^= 0xFF }
        let (manager, log) = try self.reopen(config: self.smallSegments)
        defer { try? manager.close() }
        XCTAssertEqual(log.logEndOffset, Offset(40), "sealed segments are never cut")
        XCTAssertTrue(self.events.contains("fenced off"), "\(self.events.events)")
        XCTAssertFalse(self.events.contains("deleted segment"), "\(self.events.events)")
        XCTAssertEqual(try self.files(in: self.partitionDirectory("events"), withSuffix: ".log").count, segmentCount)
        XCTAssertEqual(log.stats.fencedRanges, 1)
    }

    /// What a crash of an earlier version while deleting the segments after a truncated one leaves: a truncated
    /// first segment, the second one gone, the third one still there.
    private func leaveAHoleAfterTheFirstSegment() throws -> Int64 {
        let directory = self.partitionDirectory("events")
        let segments = try self.files(in: directory, withSuffix: ".log")
        XCTAssertGreaterThan(segments.count, 3)
        try self.modifyFile(self.firstLogPath) { $0 = $0.prefix(TestBatch.make().count) }
        for suffix in [".log", ".index", ".timeindex"] {
            try FileManager.default.removeItem(atPath: directory + "/" + segments[1].prefix(20) + suffix)
        }
        return try XCTUnwrap(Int64(segments[2].prefix(20)))
    }

    func testAHoleAfterARecoveredSegmentIsFencedAndWhatFollowsKept() throws {
        try self.writeAndCrash(count: 40, config: self.smallSegments, flush: false)
        let thirdBaseOffset = try self.leaveAHoleAfterTheFirstSegment()
        let (manager, log) = try self.reopen(config: self.smallSegments)
        defer { try? manager.close() }
        XCTAssertEqual(log.logEndOffset, Offset(40))
        self.assertStorageError(.corruptMessage) { _ = try log.read(from: Offset(1), maxBytes: 1 << 20, minOneBatch: true) }
        let third = try XCTUnwrap(log.read(from: Offset(thirdBaseOffset), maxBytes: 1 << 20, minOneBatch: true).slice)
        XCTAssertEqual(try third.readBytes().batchBaseOffsets.first, thirdBaseOffset)
    }

    func testAHoleInCleanlyClosedSegmentsIsFenced() throws {
        do {
            let manager = try self.openManager(config: self.smallSegments)
            try manager.createTopic("events", partitionCount: 1)
            try self.appendBatches(try XCTUnwrap(manager.partition(self.topicPartition)), count: 40)
            try manager.close()
        }
        _ = try self.leaveAHoleAfterTheFirstSegment()
        let (manager, log) = try self.reopen(config: self.smallSegments)
        defer { try? manager.close() }
        XCTAssertEqual(log.logEndOffset, Offset(40))
        self.assertStorageError(.corruptMessage) { _ = try log.read(from: Offset(1), maxBytes: 1 << 20, minOneBatch: true) }
    }

    func testCorruptIndexIsRebuiltFromTheLog() throws {
        do {
            let manager = try self.openManager(config: self.smallSegments)
            try manager.createTopic("events", partitionCount: 1)
            try self.appendBatches(try XCTUnwrap(manager.partition(self.topicPartition)), count: 8)
            try manager.close()
        }
        let indexPath = self.partitionDirectory("events") + "/00000000000000000000.index"
        try self.modifyFile(indexPath) { data in
            XCTAssertGreaterThan(data.count, 8, "the test needs index entries")
            data.replaceSubrange(0..<8, with: [0, 0, 0, 9, 0, 0, 0x10, 0])  // offset 9 at byte 4096: past the log
        }
        let (manager, log) = try self.reopen(config: self.smallSegments)
        defer { try? manager.close() }
        XCTAssertTrue(self.events.contains("rebuilt indexes of segment 0"), "\(self.events.events)")
        for offset in 0..<8 {
            let read = try log.read(from: Offset(Int64(offset)), maxBytes: 1 << 20, minOneBatch: true)
            XCTAssertEqual(try XCTUnwrap(read.slice).readBytes().batchBaseOffsets.first, Int64(offset))
        }
    }

    func testCleanRestartReusesIndexesAndScansNothing() throws {
        do {
            let manager = try self.openManager(config: self.smallSegments)
            try manager.createTopic("events", partitionCount: 1)
            try self.appendBatches(try XCTUnwrap(manager.partition(self.topicPartition)), count: 25)
            try manager.close()
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: self.dataDirectory + "/.clean-shutdown"))
        let indexFiles = try self.files(in: self.partitionDirectory("events"), withSuffix: ".index")
        for name in indexFiles {
            let path = self.partitionDirectory("events") + "/" + name
            let size = try FileManager.default.attributesOfItem(atPath: path)[.size]
            XCTAssertLessThan(try XCTUnwrap(size as? Int), 1_000, "trimmed at close")
        }
        let reopenEvents = EventRecorder()
        let manager = try self.openManager(config: self.smallSegments, events: reopenEvents)
        defer { try? manager.close() }
        let log = try XCTUnwrap(manager.partition(self.topicPartition))
        XCTAssertFalse(FileManager.default.fileExists(atPath: self.dataDirectory + "/.clean-shutdown"))
        XCTAssertEqual(reopenEvents.events, [], "no recovery, no rebuilt index")
        XCTAssertEqual(log.logEndOffset, Offset(25))
        XCTAssertEqual(try self.appendBatches(log, count: 1)[0].firstOffset, Offset(25))
        XCTAssertEqual(try log.offset(forTimestampMs: self.clock.wallTimeMs()), Offset(0))
    }
}
