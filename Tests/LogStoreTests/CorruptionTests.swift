import Foundation
import SluiceModel
import XCTest

@testable import LogStore

/// Damage in sealed segments is found by recovery, by the scrubber and by reads, fenced off and reported; the
/// batches around it stay readable and no file is removed.
final class CorruptionTests: LogStoreTestCase {
    private let topicPartition = TopicPartition(topic: "events", partition: PartitionID(0))
    private let smallSegments = LogConfig(segmentSizeBytes: 1_000, indexIntervalBytes: 100, batchSizeBytesMax: 500)
    private let manualScrubber = ScrubberConfiguration(bytesPerSecond: 1_000, runsTimer: false)
    private let errors = EventRecorder()

    private var firstLogPath: String { self.partitionDirectory("events") + "/00000000000000000000.log" }
    private var batchSizeBytes: Int { TestBatch.make().count }

    private func open() throws -> (LogManager, PartitionLog) {
        let manager = try LogManager(
            dataDirectory: self.dataDirectory, defaultConfig: self.smallSegments, clock: self.clock,
            onEvent: self.events.handler, onError: self.errors.handler, scrubber: self.manualScrubber
        )
        if manager.partition(self.topicPartition) == nil { try manager.createTopic("events", partitionCount: 1) }
        return (manager, try XCTUnwrap(manager.partition(self.topicPartition)))
    }

    /// Writes 40 batches (several segments) and closes cleanly, so the next open validates nothing.
    private func writeAndClose() throws {
        let (manager, log) = try self.open()
        try self.appendBatches(log, count: 40)
        try manager.close()
        XCTAssertGreaterThan(try self.files(in: self.partitionDirectory("events"), withSuffix: ".log").count, 3)
    }

    private func flipByte(at position: Int, in path: String) throws {
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        data[position] ^= 0x20
        try data.write(to: URL(fileURLWithPath: path))
    }

    private func readOffsets(_ log: PartitionLog, from offset: Int64) throws -> [Int64] {
        let read = try log.read(from: Offset(offset), maxBytes: 1 << 20, minOneBatch: true)
        return try XCTUnwrap(read.slice).readBytes().batchBaseOffsets
    }

    /// Offsets 0..<3 before the damaged batch 3, CORRUPT_MESSAGE at 3, batch 4 onwards after it.
    private func assertBatchThreeIsFenced(_ log: PartitionLog, file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(try self.readOffsets(log, from: 0), [0, 1, 2], file: file, line: line)
        self.assertStorageError(.corruptMessage, file: file, line: line) {
            _ = try log.read(from: Offset(3), maxBytes: 1 << 20, minOneBatch: true)
        }
        XCTAssertEqual(try self.readOffsets(log, from: 4).first, 4, file: file, line: line)
        XCTAssertEqual(log.logEndOffset, Offset(40), file: file, line: line)
        XCTAssertEqual(log.stats.fencedRanges, 1, file: file, line: line)
        XCTAssertTrue(self.errors.contains("fenced off"), "\(self.errors.events)", file: file, line: line)
    }

    func testRecoveryWithAGarbageCheckpointFencesAFlippedValueByteAndDeletesNothing() throws {
        do {
            let (manager, log) = try self.open()
            try self.appendBatches(log, count: 40)
            try manager.flushAll()  // then "crash": no close
        }
        let segmentNames = try self.files(in: self.partitionDirectory("events"), withSuffix: ".log")
        try self.flipByte(at: self.batchSizeBytes * 3 + self.batchSizeBytes - 4, in: self.firstLogPath)
        try Data("garbage\u{0}\u{1}".utf8).write(to: URL(fileURLWithPath: self.dataDirectory + "/recovery-point-offset-checkpoint"))
        let (manager, log) = try self.open()
        defer { try? manager.close() }
        XCTAssertTrue(self.errors.contains("ignoring the recovery checkpoint"), "\(self.errors.events)")
        try self.assertBatchThreeIsFenced(log)
        XCTAssertEqual(try self.files(in: self.partitionDirectory("events"), withSuffix: ".log"), segmentNames)
        XCTAssertFalse(self.events.contains("truncated"), "\(self.events.events)")
    }

    func testScrubberFindsAFlippedValueByteAtItsRate() throws {
        try self.writeAndClose()
        try self.flipByte(at: self.batchSizeBytes * 3 + self.batchSizeBytes - 4, in: self.firstLogPath)
        let (manager, log) = try self.open()
        defer { try? manager.close() }
        XCTAssertEqual(log.stats.fencedRanges, 0, "a clean open does not verify CRCs")
        XCTAssertEqual(manager.scrubber.tick(), 0, "no time has passed: no budget")
        self.clock.advance(byMs: 100)
        let verified = manager.scrubber.tick()
        XCTAssertGreaterThan(verified, 0)
        XCTAssertLessThanOrEqual(verified, 100 + self.batchSizeBytes, "0.1 s at 1000 B/s, whole batches")
        XCTAssertEqual(log.stats.fencedRanges, 0, "not there yet")
        self.clock.advance(byMs: 1_000)
        manager.scrubber.tick()
        try self.assertBatchThreeIsFenced(log)
        XCTAssertTrue(self.errors.contains("found by the scrubber"), "\(self.errors.events)")
        // Round and round: a full pass over the sealed segments, without finding the same damage twice.
        for _ in 0..<10 {
            self.clock.advance(byMs: 1_000)
            manager.scrubber.tick()
        }
        XCTAssertGreaterThanOrEqual(manager.scrubber.completedPasses, 1)
        XCTAssertEqual(log.stats.fencedRanges, 1)
    }

    func testReadFindsAFlippedValueByteBeforeServingIt() throws {
        try self.writeAndClose()
        try self.flipByte(at: self.batchSizeBytes * 3 + self.batchSizeBytes - 4, in: self.firstLogPath)
        let (manager, log) = try self.open()
        defer { try? manager.close() }
        // The first read of these bytes since the start checks their CRCs: it stops before the damage.
        XCTAssertEqual(try self.readOffsets(log, from: 0), [0, 1, 2])
        XCTAssertTrue(self.errors.contains("found by a read"), "\(self.errors.events)")
        try self.assertBatchThreeIsFenced(log)
    }

    func testReadsCheckEachByteOncePerStart() throws {
        try self.writeAndClose()
        let (manager, log) = try self.open()
        defer { try? manager.close() }
        XCTAssertEqual(try self.readOffsets(log, from: 0).count, 12, "the first segment, whole")
        // Damage now, after the bytes were checked: a re-read does not check again (the scrubber will).
        try self.flipByte(at: self.batchSizeBytes * 3 + self.batchSizeBytes - 4, in: self.firstLogPath)
        XCTAssertEqual(try self.readOffsets(log, from: 0).count, 12)
        XCTAssertEqual(log.stats.fencedRanges, 0)
        manager.scrubber.scrub(bytesMax: 1 << 30)
        try self.assertBatchThreeIsFenced(log)
    }

    func testReadFindsADamagedHeader() throws {
        try self.writeAndClose()
        // The magic byte of batch 3: a header a read scans through on its way to offset 3.
        try self.flipByte(at: self.batchSizeBytes * 3 + 16, in: self.firstLogPath)
        let (manager, log) = try self.open()
        defer { try? manager.close() }
        self.assertStorageError(.corruptMessage) { _ = try log.read(from: Offset(3), maxBytes: 1 << 20, minOneBatch: true) }
        XCTAssertTrue(self.errors.contains("found by a read"), "\(self.errors.events)")
        try self.assertBatchThreeIsFenced(log)
    }

    func testScrubberSkipsWhatIsAlreadyFencedAndNeverTouchesTheActiveSegment() throws {
        try self.writeAndClose()
        try self.flipByte(at: self.batchSizeBytes * 3 + 16, in: self.firstLogPath)
        let (manager, log) = try self.open()
        defer { try? manager.close() }
        _ = try? log.read(from: Offset(3), maxBytes: 1 << 20, minOneBatch: true)
        XCTAssertEqual(log.stats.fencedRanges, 1)
        let verified = manager.scrubber.scrub(bytesMax: 1 << 30)
        XCTAssertEqual(log.stats.fencedRanges, 1)
        XCTAssertGreaterThan(verified, 0)
        try self.appendBatches(log, count: 1)
        XCTAssertEqual(try self.readOffsets(log, from: 40), [40])
    }
}
