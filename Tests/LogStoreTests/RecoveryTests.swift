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
        try self.writeAndCrash(count: 10)
        try self.modifyFile(self.firstLogPath) { $0.removeLast(5) }
        let (manager, log) = try self.reopen()
        defer { try? manager.close() }
        XCTAssertEqual(log.logEndOffset, Offset(9))
        XCTAssertTrue(self.events.contains("truncated segment 0"), "\(self.events.events)")
        try self.assertReadsAll(log, count: 9)
        XCTAssertEqual(try self.appendBatches(log, count: 1)[0].firstOffset, Offset(9))
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

    func testFlippedByteCutsTheLogAtItsBatch() throws {
        try self.writeAndCrash(count: 10)
        let batchSizeBytes = TestBatch.make().count
        try self.modifyFile(self.firstLogPath) { $0[batchSizeBytes * 5 + 40] ^= 0x10 }
        let (manager, log) = try self.reopen()
        defer { try? manager.close() }
        XCTAssertEqual(log.logEndOffset, Offset(5))
        XCTAssertTrue(self.events.contains("CRC-32C mismatch"), "\(self.events.events)")
        try self.assertReadsAll(log, count: 5)
    }

    func testFlippedBaseOffsetOutsideTheChecksumIsCaught() throws {
        try self.writeAndCrash(count: 10)
        let batchSizeBytes = TestBatch.make().count
        try self.modifyFile(self.firstLogPath) { $0[batchSizeBytes * 7 + 7] ^= 0x01 }
        let (manager, log) = try self.reopen()
        defer { try? manager.close() }
        XCTAssertEqual(log.logEndOffset, Offset(7))
    }

    func testOnlySegmentsFromTheRecoveryPointAreScanned() throws {
        try self.writeAndCrash(count: 40, config: self.smallSegments)
        // Damage a record in the first (sealed, before the recovery point) segment: a scan would notice.
        try self.modifyFile(self.firstLogPath) { $0[100] ^= 0xFF }
        let (manager, log) = try self.reopen(config: self.smallSegments)
        defer { try? manager.close() }
        XCTAssertEqual(log.logEndOffset, Offset(40))
        XCTAssertFalse(self.events.contains("truncated"), "\(self.events.events)")
    }

    func testWithoutACheckpointEverySegmentIsScanned() throws {
        try self.writeAndCrash(count: 40, config: self.smallSegments, flush: false)
        try self.modifyFile(self.firstLogPath) { $0[100] ^= 0xFF }
        let (manager, log) = try self.reopen(config: self.smallSegments)
        defer { try? manager.close() }
        XCTAssertEqual(log.logEndOffset, Offset(1), "the log ends before the damaged batch")
        XCTAssertTrue(self.events.contains("deleted segment"), "later segments would follow a hole")
        XCTAssertEqual(try self.files(in: self.partitionDirectory("events"), withSuffix: ".log").count, 1)
    }

    /// What a crash while deleting the segments after a truncated one leaves: a truncated first segment, the
    /// second one gone, the third one still there.
    private func leaveAHoleAfterTheFirstSegment() throws {
        let directory = self.partitionDirectory("events")
        let segments = try self.files(in: directory, withSuffix: ".log")
        XCTAssertGreaterThan(segments.count, 3)
        try self.modifyFile(self.firstLogPath) { $0 = $0.prefix(TestBatch.make().count) }
        for suffix in [".log", ".index", ".timeindex"] {
            try FileManager.default.removeItem(atPath: directory + "/" + segments[1].prefix(20) + suffix)
        }
    }

    func testAHoleAfterARecoveredSegmentIsClosedByDeletingWhatFollows() throws {
        try self.writeAndCrash(count: 40, config: self.smallSegments, flush: false)
        try self.leaveAHoleAfterTheFirstSegment()
        let (manager, log) = try self.reopen(config: self.smallSegments)
        defer { try? manager.close() }
        XCTAssertEqual(log.logEndOffset, Offset(1))
        XCTAssertEqual(try self.files(in: self.partitionDirectory("events"), withSuffix: ".log").count, 1)
    }

    func testAHoleInCleanlyClosedSegmentsIsRefused() throws {
        do {
            let manager = try self.openManager(config: self.smallSegments)
            try manager.createTopic("events", partitionCount: 1)
            try self.appendBatches(try XCTUnwrap(manager.partition(self.topicPartition)), count: 40)
            try manager.close()
        }
        try self.leaveAHoleAfterTheFirstSegment()
        self.assertStorageError(.corruptFile) { _ = try self.openManager(config: self.smallSegments) }
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
