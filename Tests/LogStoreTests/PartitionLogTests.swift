import RecordFormat
import SluiceModel
import XCTest

@testable import LogStore

final class PartitionLogTests: LogStoreTestCase {
    private let topicPartition = TopicPartition(topic: "orders", partition: PartitionID(0))

    private func openLog(_ config: LogConfig = LogConfig(), fileIO: FileIO = SystemFileIO()) throws
        -> (LogManager, PartitionLog)
    {
        let manager = try self.openManager(config: config, fileIO: fileIO)
        if manager.topic("orders") == nil { try manager.createTopic("orders", partitionCount: 1) }
        return (manager, try XCTUnwrap(manager.partition(self.topicPartition)))
    }

    func testAppendStampsContiguousOffsetsAndReadReturnsTheStoredBytes() throws {
        let (manager, log) = try self.openLog()
        defer { try? manager.close() }
        let first = TestBatch.make(recordCount: 3)
        let second = TestBatch.make(recordCount: 2, baseOffset: 999)  // the producer's base offset is overwritten
        let result = try (first + second).withUnsafeBytes { try log.append($0) }
        XCTAssertEqual(result.firstOffset, Offset(0))
        XCTAssertEqual(result.lastOffset, Offset(4))
        XCTAssertEqual(result.logAppendTimeMs, -1)
        XCTAssertEqual(log.logEndOffset, Offset(5))
        let third = try self.appendBatches(log, count: 1)[0]
        XCTAssertEqual(third.firstOffset, Offset(5))

        let read = try log.read(from: Offset(0), maxBytes: 1 << 20, minOneBatch: false)
        let bytes = try XCTUnwrap(read.slice).readBytes()
        XCTAssertEqual(bytes.batchBaseOffsets, [0, 3, 5])
        XCTAssertEqual(read.highWatermark, Offset(6))
        // Apart from the stamped base offset, the bytes are the producer's, and still pass validation.
        XCTAssertEqual(Array(bytes[8..<first.count]), Array(first[8...]))
        try bytes.withUnsafeBytes { buffer in
            XCTAssertEqual(try RecordBatchValidator.validate(buffer).lastOffset, 2)
        }
        // A read from an offset inside a batch starts at that batch.
        let inside = try log.read(from: Offset(4), maxBytes: 1 << 20, minOneBatch: false)
        XCTAssertEqual(try XCTUnwrap(inside.slice).readBytes().batchBaseOffsets, [3, 5])
    }

    func testInvalidBatchesAreRejectedWithoutChangingTheLog() throws {
        let (manager, log) = try self.openLog(LogConfig(batchSizeBytesMax: 200))
        defer { try? manager.close() }
        var corrupt = TestBatch.make()
        corrupt[corrupt.count - 1] ^= 0xFF
        XCTAssertThrowsError(try corrupt.withUnsafeBytes { try log.append($0) }) { error in
            guard case .checksumMismatch = error as? RecordFormatError else { return XCTFail("\(error)") }
        }
        var oldMagic = TestBatch.make()
        oldMagic[16] = 1
        XCTAssertThrowsError(try oldMagic.withUnsafeBytes { try log.append($0) }) { error in
            XCTAssertEqual(error as? RecordFormatError, .unsupportedMagic(1))
        }
        let large = TestBatch.make(valueSizeBytes: 300)
        self.assertStorageError(.recordBatchTooLarge) { _ = try large.withUnsafeBytes { try log.append($0) } }
        // A valid batch followed by a bad one: nothing of the request is appended.
        let mixed = TestBatch.make() + corrupt
        XCTAssertThrowsError(try mixed.withUnsafeBytes { try log.append($0) })
        XCTAssertEqual(log.logEndOffset, Offset(0))
    }

    func testRollsBySizeAndReadsStayWithinOneSegment() throws {
        let config = LogConfig(segmentSizeBytes: 1_000, indexIntervalBytes: 150, batchSizeBytesMax: 500)
        let (manager, log) = try self.openLog(config)
        defer { try? manager.close() }
        let batchSizeBytes = TestBatch.make(valueSizeBytes: 30).count
        let batchesPerSegment = 1_000 / batchSizeBytes
        let results = try self.appendBatches(log, count: 40, valueSizeBytes: 30)
        XCTAssertEqual(results.last?.lastOffset, Offset(39))
        let segmentFiles = try self.files(in: self.partitionDirectory("orders"), withSuffix: ".log")
        XCTAssertEqual(segmentFiles.count, (40 + batchesPerSegment - 1) / batchesPerSegment)
        XCTAssertEqual(segmentFiles[1], Segment.fileStem(Offset(Int64(batchesPerSegment))) + ".log")
        for offset in 0..<40 {
            let read = try log.read(from: Offset(Int64(offset)), maxBytes: 1 << 20, minOneBatch: false)
            let offsets = try XCTUnwrap(read.slice).readBytes().batchBaseOffsets
            XCTAssertEqual(offsets.first, Int64(offset))
            let segmentLast = offset / batchesPerSegment * batchesPerSegment + batchesPerSegment - 1
            XCTAssertEqual(offsets.last, Int64(min(segmentLast, 39)), "the read ends with the segment")
        }
    }

    func testSealedSegmentsKeepOnlyTheirLogDescriptorOpen() throws {
        let config = LogConfig(segmentSizeBytes: 1_000, indexIntervalBytes: 150, batchSizeBytesMax: 500)
        let (manager, log) = try self.openLog(config)
        defer { try? manager.close() }
        try self.appendBatches(log, count: 60, valueSizeBytes: 30)
        let directory = self.partitionDirectory("orders")
        let segmentCount = try self.files(in: directory, withSuffix: ".log").count
        XCTAssertGreaterThan(segmentCount, 3)
        let openPaths = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").compactMap {
            try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + $0)
        }.filter { $0.hasPrefix(directory) }
        XCTAssertEqual(openPaths.filter { $0.hasSuffix(".log") }.count, segmentCount)
        XCTAssertEqual(openPaths.filter { $0.hasSuffix(".index") || $0.hasSuffix(".timeindex") }.count, 2)
    }

    func testRollsByAgeSinceTheFirstAppend() throws {
        let (manager, log) = try self.openLog(LogConfig(segmentAgeMs: 60_000))
        defer { try? manager.close() }
        self.clock.advance(byMs: 120_000)  // an empty segment does not roll
        try self.appendBatches(log, count: 2)
        self.clock.advance(byMs: 59_000)
        try self.appendBatches(log, count: 1)
        XCTAssertEqual(try self.files(in: self.partitionDirectory("orders"), withSuffix: ".log").count, 1)
        self.clock.advance(byMs: 1_000)
        try self.appendBatches(log, count: 1)
        XCTAssertEqual(
            try self.files(in: self.partitionDirectory("orders"), withSuffix: ".log"),
            ["00000000000000000000.log", "00000000000000000003.log"]
        )
    }

    func testMaxBytesAndMinOneBatch() throws {
        let (manager, log) = try self.openLog()
        defer { try? manager.close() }
        try self.appendBatches(log, count: 5, valueSizeBytes: 100)
        let batchSizeBytes = TestBatch.make(valueSizeBytes: 100).count
        let none = try log.read(from: Offset(0), maxBytes: 100, minOneBatch: false)
        XCTAssertNil(none.slice)
        let one = try log.read(from: Offset(0), maxBytes: 100, minOneBatch: true)
        XCTAssertEqual(try XCTUnwrap(one.slice).readBytes().batchBaseOffsets, [0])
        let two = try log.read(from: Offset(1), maxBytes: batchSizeBytes * 3 - 1, minOneBatch: true)
        XCTAssertEqual(try XCTUnwrap(two.slice).readBytes().batchBaseOffsets, [1, 2])
        XCTAssertEqual(two.slice?.sizeBytes, batchSizeBytes * 2)
    }

    func testOutOfRangeReads() throws {
        let (manager, log) = try self.openLog()
        defer { try? manager.close() }
        try self.appendBatches(log, count: 3)
        let atEnd = try log.read(from: Offset(3), maxBytes: 1_000, minOneBatch: true)
        XCTAssertNil(atEnd.slice)
        XCTAssertEqual(atEnd.highWatermark, Offset(3))
        for offset: Int64 in [4, -1] {
            self.assertStorageError(.offsetOutOfRange) {
                _ = try log.read(from: Offset(offset), maxBytes: 1_000, minOneBatch: true)
            }
        }
    }

    func testOffsetForTimestamp() throws {
        let config = LogConfig(segmentSizeBytes: 1_000, indexIntervalBytes: 100, batchSizeBytesMax: 500)
        let (manager, log) = try self.openLog(config)
        defer { try? manager.close() }
        for step in 0..<30 {
            // Timestamps 1000, 1010, ... with one batch going back in time.
            let timestampMs: Int64 = step == 15 ? 900 : 1_000 + Int64(step) * 10
            try self.appendBatches(log, count: 1, timestampMs: timestampMs)
        }
        XCTAssertEqual(try log.offset(forTimestampMs: 0), Offset(0))
        XCTAssertEqual(try log.offset(forTimestampMs: 1_000), Offset(0))
        XCTAssertEqual(try log.offset(forTimestampMs: 1_001), Offset(1))
        XCTAssertEqual(try log.offset(forTimestampMs: 1_150), Offset(16))
        XCTAssertEqual(try log.offset(forTimestampMs: 1_290), Offset(29))
        XCTAssertNil(try log.offset(forTimestampMs: 1_291))
    }

    func testAppendListenersSeeTheNewLogEnd() throws {
        let (manager, log) = try self.openLog()
        defer { try? manager.close() }
        let seen = EventRecorder()
        let token = log.addAppendListener { offset in seen.handler("\(offset)") }
        try self.appendBatches(log, count: 2)
        log.removeAppendListener(token)
        try self.appendBatches(log, count: 1)
        XCTAssertEqual(seen.events, ["1", "2"])
    }

    func testShortWritesStillStoreWholeBatches() throws {
        let fileIO = FaultyFileIO()
        fileIO.update { $0.writeSizeBytesMax = 7 }
        let (manager, log) = try self.openLog(fileIO: fileIO)
        defer { try? manager.close() }
        let batch = TestBatch.make(recordCount: 4)
        try batch.withUnsafeBytes { _ = try log.append($0) }
        XCTAssertGreaterThan(fileIO.counters.writeCallCount, batch.count / 7)
        let bytes = try XCTUnwrap(log.read(from: Offset(0), maxBytes: 1 << 20, minOneBatch: false).slice).readBytes()
        XCTAssertEqual(bytes, batch)
    }

    func testDiskFullFailsTheAppendAndLeavesNoPartialBatch() throws {
        let fileIO = FaultyFileIO()
        let (manager, log) = try self.openLog(fileIO: fileIO)
        defer { try? manager.close() }
        try self.appendBatches(log, count: 1)
        fileIO.update { $0.remainingDiskBytes = 20 }
        self.assertStorageError(.diskFull) { try self.appendBatches(log, count: 1) }
        XCTAssertEqual(log.logEndOffset, Offset(1))
        fileIO.update { $0.remainingDiskBytes = nil }
        let result = try self.appendBatches(log, count: 1)[0]
        XCTAssertEqual(result.firstOffset, Offset(1))
        let bytes = try XCTUnwrap(log.read(from: Offset(0), maxBytes: 1 << 20, minOneBatch: false).slice).readBytes()
        XCTAssertEqual(bytes.batchBaseOffsets, [0, 1])
    }
}
