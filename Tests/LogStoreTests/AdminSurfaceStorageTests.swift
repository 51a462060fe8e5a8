import Foundation
import RecordFormat
import SluiceModel
import XCTest

@testable import LogStore

/// DeleteRecords (the stored log start), CreatePartitions (growing a topic) and the max-timestamp lookup.
final class AdminSurfaceStorageTests: LogStoreTestCase {
    private let orders0 = TopicPartition(topic: "orders", partition: PartitionID(0))
    private let smallSegments = LogConfig(segmentSizeBytes: 1_000, indexIntervalBytes: 100, batchSizeBytesMax: 500)

    private func openLog(_ config: LogConfig) throws -> (LogManager, PartitionLog) {
        let manager = try self.openManager(config: config)
        if manager.topic("orders") == nil { try manager.createTopic("orders", partitionCount: 1) }
        return (manager, try XCTUnwrap(manager.partition(self.orders0)))
    }

    // MARK: - DeleteRecords

    func testDeleteRecordsInsideASegmentIsStoredAndSurvivesARestart() throws {
        var (manager, log) = try self.openLog(self.smallSegments)
        try self.appendBatches(log, count: 40)
        let segmentsBefore = try self.files(in: self.partitionDirectory("orders"), withSuffix: ".log")
        XCTAssertGreaterThan(segmentsBefore.count, 2)

        XCTAssertEqual(try log.deleteRecords(before: Offset(25)), Offset(25))
        XCTAssertEqual(log.logStartOffset, Offset(25))
        self.assertStorageError(.offsetOutOfRange) { _ = try log.read(from: Offset(24), maxBytes: 1_000, minOneBatch: true) }
        XCTAssertNotNil(try log.read(from: Offset(25), maxBytes: 1_000, minOneBatch: true).slice)
        // Whole segments below the new start are gone; the one holding offset 25 stays.
        let segmentsAfter = try self.files(in: self.partitionDirectory("orders"), withSuffix: ".log")
        XCTAssertLessThan(segmentsAfter.count, segmentsBefore.count)
        XCTAssertLessThanOrEqual(Int64(segmentsAfter[0].prefix(20))!, 25)
        // An offset at or below the start changes nothing; past the log end is out of range.
        XCTAssertEqual(try log.deleteRecords(before: Offset(3)), Offset(25))
        self.assertStorageError(.offsetOutOfRange) { try log.deleteRecords(before: Offset(41)) }
        XCTAssertEqual(log.logStartOffset, Offset(25))

        try manager.close()
        (manager, log) = try self.openLog(self.smallSegments)
        defer { try? manager.close() }
        XCTAssertEqual(log.logStartOffset, Offset(25), "the log start inside a segment is read back from its file")
        XCTAssertEqual(try self.appendBatches(log, count: 1)[0].logStartOffset, Offset(25))
    }

    func testDeleteRecordsToTheHighWatermarkEmptiesTheLogForReaders() throws {
        let (manager, log) = try self.openLog(LogConfig())
        defer { try? manager.close() }
        try self.appendBatches(log, count: 5)
        XCTAssertEqual(try log.deleteRecords(before: nil), Offset(5))
        XCTAssertEqual(log.logStartOffset, Offset(5))
        XCTAssertNil(try log.read(from: Offset(5), maxBytes: 1_000, minOneBatch: true).slice)
        XCTAssertEqual(try log.offset(forTimestampMs: 0), Offset(5), "a timestamp lookup never answers below the start")
    }

    func testADamagedLogStartFileIsIgnoredAndReported() throws {
        var (manager, log) = try self.openLog(LogConfig())
        try self.appendBatches(log, count: 5)
        try log.deleteRecords(before: Offset(3))
        try manager.close()
        let path = self.partitionDirectory("orders") + "/" + LogStartOffsetFile.fileName
        var bytes = try XCTUnwrap(FileManager.default.contents(atPath: path))
        bytes[bytes.count - 2] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: path))
        (manager, log) = try self.openLog(LogConfig())
        defer { try? manager.close() }
        XCTAssertEqual(log.logStartOffset, .zero, "a file failing its checksum is not trusted")
        XCTAssertTrue(self.events.contains("ignoring the log start offset file"))
    }

    func testLogStartFileFormat() throws {
        let bytes = LogStartOffsetFile.serialize(Offset(1200))
        XCTAssertTrue(String(decoding: bytes, as: UTF8.self).hasSuffix("\n1\n1200\n"))
        XCTAssertEqual(try LogStartOffsetFile.parse(bytes, path: "x"), Offset(1200))
        let notOurs = ChecksummedFile.wrap(Array("2\n5\n".utf8))
        self.assertStorageError(.corruptFile) { _ = try LogStartOffsetFile.parse(notOurs, path: "x") }
        let negative = ChecksummedFile.wrap(Array("1\n-5\n".utf8))
        self.assertStorageError(.corruptFile) { _ = try LogStartOffsetFile.parse(negative, path: "x") }
    }

    // MARK: - CreatePartitions

    func testAddPartitionsGrowsTheTopicDurablyAndNeverShrinksIt() throws {
        var manager = try self.openManager()
        try manager.createTopic("orders", partitionCount: 2)
        try manager.setTopicConfigs("orders", overrides: ["retention.ms": "86400000"])
        try manager.addPartitions("orders", partitionCount: 4, validateOnly: true)
        XCTAssertEqual(manager.topic("orders")?.partitionCount, 2, "validate only changes nothing")
        XCTAssertFalse(FileManager.default.fileExists(atPath: self.partitionDirectory("orders", 2)))

        try manager.addPartitions("orders", partitionCount: 4)
        XCTAssertEqual(manager.topic("orders")?.partitionCount, 4)
        let newPartition = try XCTUnwrap(manager.partition(TopicPartition(topic: "orders", partition: PartitionID(3))))
        try self.appendBatches(newPartition, count: 3)
        self.assertStorageError(.invalidPartitionCount) { try manager.addPartitions("orders", partitionCount: 4) }
        self.assertStorageError(.invalidPartitionCount) { try manager.addPartitions("orders", partitionCount: 3) }
        self.assertStorageError(.unknownTopic) { try manager.addPartitions("missing", partitionCount: 3) }
        self.assertStorageError(.internalTopic) { try manager.addPartitions("__consumer_offsets", partitionCount: 3) }

        try manager.close()
        manager = try self.openManager()
        defer { try? manager.close() }
        XCTAssertEqual(manager.topic("orders")?.partitionCount, 4)
        XCTAssertEqual(manager.topic("orders")?.overrides, ["retention.ms": "86400000"], "the topic's configs stay")
        XCTAssertEqual(manager.partition(TopicPartition(topic: "orders", partition: PartitionID(3)))?.config.retentionMs, 86_400_000)
        XCTAssertEqual(manager.partition(TopicPartition(topic: "orders", partition: PartitionID(3)))?.logEndOffset, Offset(3))
    }

    func testAPartitionDirectoryLeftByACrashedGrowthIsReplaced() throws {
        var manager = try self.openManager()
        try manager.createTopic("orders", partitionCount: 1)
        try manager.close()
        // A growth that crashed after creating partition 1 but before rewriting topic.conf.
        let stray = self.partitionDirectory("orders", 1)
        try FileManager.default.createDirectory(atPath: stray, withIntermediateDirectories: true)
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: stray + "/00000000000000000007.log"))
        manager = try self.openManager()
        defer { try? manager.close() }
        XCTAssertEqual(manager.topic("orders")?.partitionCount, 1)
        try manager.addPartitions("orders", partitionCount: 2)
        XCTAssertEqual(manager.partition(TopicPartition(topic: "orders", partition: PartitionID(1)))?.logEndOffset, .zero)
    }

    // MARK: - DescribeProducers

    func testActiveProducersShowTheLastSequenceAndTimestampOfEachProducer() throws {
        let (manager, log) = try self.openLog(self.smallSegments)
        defer { try? manager.close() }
        func appendIdempotent(producerId: Int64, baseSequence: Int32, timestamps: [Int64]) throws {
            var builder = RecordBatchBuilder(producerId: producerId, producerEpoch: 2, baseSequence: baseSequence)
            for timestampMs in timestamps { try builder.append(timestampMs: timestampMs, key: nil, value: [1]) }
            let batch = try builder.finish()
            _ = try batch.withUnsafeBytes { try log.append($0) }
        }
        try appendIdempotent(producerId: 9, baseSequence: 0, timestamps: [100, 300])
        try appendIdempotent(producerId: 4, baseSequence: 0, timestamps: [50])
        try appendIdempotent(producerId: 9, baseSequence: 2, timestamps: [700, 600, 650])
        XCTAssertEqual(log.activeProducers(), [
            ActiveProducer(producerId: 4, producerEpoch: 2, lastSequence: 0, lastOffset: Offset(2), lastTimestampMs: 50),
            ActiveProducer(producerId: 9, producerEpoch: 2, lastSequence: 4, lastOffset: Offset(5), lastTimestampMs: 700),
        ])
        try self.appendBatches(log, count: 40)  // several segments later
        try log.deleteRecords(before: Offset(30))
        XCTAssertEqual(log.activeProducers().map(\.lastTimestampMs), [-1, -1], "their last batches are deleted")
    }

    // MARK: - Max timestamp

    private func append(_ log: PartitionLog, timestamps: [Int64]) throws {
        var builder = RecordBatchBuilder()
        for timestampMs in timestamps {
            try builder.append(timestampMs: timestampMs, key: nil, value: [1])
        }
        let batch = try builder.finish()
        _ = try batch.withUnsafeBytes { try log.append($0) }
    }

    func testMaxTimestampFindsTheFirstRecordWithTheLargestTimestamp() throws {
        let (manager, log) = try self.openLog(self.smallSegments)
        defer { try? manager.close() }
        XCTAssertNil(try log.offsetOfMaxTimestamp(), "an empty log has no such record")
        try self.appendBatches(log, count: 20, timestampMs: 100)  // several segments, offsets 0-19
        try self.append(log, timestamps: [150, 900, 300, 900])  // offsets 20-23: the max is inside the batch
        try self.appendBatches(log, count: 20, timestampMs: 500)  // later segments with smaller timestamps
        try self.append(log, timestamps: [900])  // a tie later on: the first record wins

        XCTAssertEqual(try log.offsetOfMaxTimestamp(), PartitionLog.TimestampedOffset(offset: Offset(21), timestampMs: 900))
    }

    func testMaxTimestampSurvivesARestart() throws {
        var (manager, log) = try self.openLog(self.smallSegments)
        try self.appendBatches(log, count: 10, timestampMs: 100)
        try self.append(log, timestamps: [700, 200])
        try self.appendBatches(log, count: 30, timestampMs: 400)
        try manager.close()
        (manager, log) = try self.openLog(self.smallSegments)
        defer { try? manager.close() }
        XCTAssertEqual(try log.offsetOfMaxTimestamp(), PartitionLog.TimestampedOffset(offset: Offset(10), timestampMs: 700))
    }
}
