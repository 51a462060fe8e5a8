import Foundation
import SluiceModel
import XCTest

@testable import LogStore

final class RetentionTests: LogStoreTestCase {
    private let topicPartition = TopicPartition(topic: "metrics", partition: PartitionID(0))

    private func openLog(_ config: LogConfig) throws -> (LogManager, PartitionLog) {
        let manager = try self.openManager(config: config)
        try manager.createTopic("metrics", partitionCount: 1)
        return (manager, try XCTUnwrap(manager.partition(self.topicPartition)))
    }

    func testSegmentsOlderThanTheRetentionTimeAreDeleted() throws {
        let config = LogConfig(
            segmentSizeBytes: 1_000, retentionMs: 60_000, indexIntervalBytes: 100, batchSizeBytesMax: 500
        )
        let (manager, log) = try self.openLog(config)
        defer { try? manager.close() }
        let batchesPerSegment = Int64(1_000 / TestBatch.make().count)
        try self.appendBatches(log, count: 20)
        self.clock.advance(byMs: 30_000)
        try manager.enforceRetention()
        XCTAssertEqual(log.logStartOffset, .zero, "nothing is old enough yet")

        self.clock.advance(byMs: 90_000)
        try self.appendBatches(log, count: 5)
        try manager.enforceRetention()
        // Every segment holding only the first 20 batches goes; the one holding offset 20 stays.
        let expectedStart = Offset(20 / batchesPerSegment * batchesPerSegment)
        XCTAssertEqual(log.logStartOffset, expectedStart)
        XCTAssertEqual(log.logEndOffset, Offset(25))
        XCTAssertEqual(
            try self.files(in: self.partitionDirectory("metrics"), withSuffix: ".log").first,
            Segment.fileStem(expectedStart) + ".log"
        )
        self.assertStorageError(.offsetOutOfRange) { _ = try log.read(from: .zero, maxBytes: 1_000, minOneBatch: true) }
        XCTAssertEqual(try self.appendBatches(log, count: 1)[0].logStartOffset, expectedStart)

        // Even when everything is expired, the active segment stays.
        self.clock.advance(byMs: 600_000)
        try manager.enforceRetention()
        XCTAssertEqual(try self.files(in: self.partitionDirectory("metrics"), withSuffix: ".log").count, 1)
        XCTAssertEqual(log.logEndOffset, Offset(26))
    }

    func testOldestSegmentsAreDeletedWhileTheLogIsOverTheSizeLimit() throws {
        let config = LogConfig(
            segmentSizeBytes: 1_000, retentionMs: nil, retentionSizeBytes: 2_500, indexIntervalBytes: 100,
            batchSizeBytesMax: 500
        )
        let (manager, log) = try self.openLog(config)
        defer { try? manager.close() }
        try self.appendBatches(log, count: 60)
        let directory = self.partitionDirectory("metrics")
        let segmentCountBefore = try self.files(in: directory, withSuffix: ".log").count
        try manager.enforceRetention()
        let remaining = try self.files(in: directory, withSuffix: ".log")
        XCTAssertLessThan(remaining.count, segmentCountBefore)
        let totalSizeBytes = try remaining.reduce(0) { total, name in
            total + (try FileManager.default.attributesOfItem(atPath: directory + "/" + name)[.size] as? Int ?? 0)
        }
        XCTAssertLessThanOrEqual(totalSizeBytes, 2_500)
        XCTAssertEqual(log.logStartOffset, Offset(Int64(remaining[0].prefix(20))!))
        XCTAssertEqual(try self.files(in: directory, withSuffix: ".index").count, remaining.count)
        let read = try log.read(from: log.logStartOffset, maxBytes: 100_000, minOneBatch: true)
        XCTAssertEqual(try XCTUnwrap(read.slice).readBytes().batchBaseOffsets.first, log.logStartOffset.rawValue)
    }

    func testASliceStaysReadableAfterItsSegmentIsDeleted() throws {
        let config = LogConfig(
            segmentSizeBytes: 1_000, retentionSizeBytes: 1, indexIntervalBytes: 100, batchSizeBytesMax: 500
        )
        let (manager, log) = try self.openLog(config)
        defer { try? manager.close() }
        try self.appendBatches(log, count: 30)
        let slice = try XCTUnwrap(log.read(from: .zero, maxBytes: 100_000, minOneBatch: true).slice)
        try manager.enforceRetention()
        XCTAssertGreaterThan(log.logStartOffset, .zero)
        XCTAssertEqual(try slice.readBytes().batchBaseOffsets.first, 0)
    }
}
