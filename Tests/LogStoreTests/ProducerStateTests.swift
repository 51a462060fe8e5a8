import Foundation
import RecordFormat
import SluiceModel
import XCTest

@testable import LogStore

/// Builds batches of an idempotent producer: `TestBatch` with the producer fields set and the CRC restamped.
enum IdempotentTestBatch {
    static func make(producerId: Int64, epoch: Int16, sequence: Int32, recordCount: Int = 1) -> [UInt8] {
        var bytes = TestBatch.make(recordCount: recordCount)
        bytes.withUnsafeMutableBytes { buffer in
            buffer.writeBigEndian(producerId, at: 43)
            buffer.writeBigEndian(epoch, at: 51)
            buffer.writeBigEndian(sequence, at: 53)
            RecordBatchValidator.stampChecksum(buffer)
        }
        return bytes
    }
}

/// A log of one partition and helpers to append idempotent batches to it.
class ProducerStateTestCase: LogStoreTestCase {
    let topicPartition = TopicPartition(topic: "events", partition: PartitionID(0))

    func openLog(config: LogConfig = LogConfig()) throws -> (LogManager, PartitionLog) {
        let manager = try self.openManager(config: config)
        if manager.topic("events") == nil { try manager.createTopic("events", partitionCount: 1) }
        return (manager, try XCTUnwrap(manager.partition(self.topicPartition)))
    }

    @discardableResult
    func append(
        _ log: PartitionLog, producerId: Int64 = 7, epoch: Int16 = 0, sequence: Int32, recordCount: Int = 1
    ) throws -> AppendResult {
        let batch = IdempotentTestBatch.make(
            producerId: producerId, epoch: epoch, sequence: sequence, recordCount: recordCount
        )
        return try batch.withUnsafeBytes { try log.append($0) }
    }

    func assertRejected(
        _ code: ProducerStateError.Code, file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void
    ) {
        do {
            try body()
            XCTFail("expected \(code)", file: file, line: line)
        } catch let error as ProducerStateError {
            XCTAssertEqual(error.code, code, "\(error)", file: file, line: line)
        } catch {
            XCTFail("expected ProducerStateError \(code), got \(error)", file: file, line: line)
        }
    }
}

/// The idempotence rules of `PartitionLog.append`: duplicates, sequences, epochs; non-idempotent batches untouched.
final class ProducerStateTests: ProducerStateTestCase {

    func testNonIdempotentBatchesAreNotTracked() throws {
        let (manager, log) = try self.openLog()
        defer { try? manager.close() }
        let batch = TestBatch.make(recordCount: 2)
        let first = try batch.withUnsafeBytes { try log.append($0) }
        let second = try batch.withUnsafeBytes { try log.append($0) }
        XCTAssertEqual([first.firstOffset, second.firstOffset], [Offset(0), Offset(2)])
        XCTAssertFalse(first.isDuplicate || second.isDuplicate)
        XCTAssertEqual(log.producerCount, 0)
    }

    func testRetryOfTheLastBatchIsADuplicateWithTheOriginalOffsets() throws {
        let (manager, log) = try self.openLog()
        defer { try? manager.close() }
        let original = try self.append(log, sequence: 0, recordCount: 3)
        let retry = try self.append(log, sequence: 0, recordCount: 3)
        XCTAssertTrue(retry.isDuplicate)
        XCTAssertFalse(original.isDuplicate)
        XCTAssertEqual(retry.firstOffset, original.firstOffset)
        XCTAssertEqual(retry.lastOffset, original.lastOffset)
        XCTAssertEqual(log.logEndOffset, Offset(3), "a duplicate writes nothing")
        XCTAssertEqual(try self.append(log, sequence: 3).firstOffset, Offset(3))
    }

    func testDuplicatesAreFoundAmongTheLastFiveBatchesOnly() throws {
        let (manager, log) = try self.openLog()
        defer { try? manager.close() }
        var originals: [AppendResult] = []
        for index in 0..<7 {
            originals.append(try self.append(log, sequence: Int32(index * 2), recordCount: 2))
        }
        for index in 2..<7 {
            let retry = try self.append(log, sequence: Int32(index * 2), recordCount: 2)
            XCTAssertTrue(retry.isDuplicate, "batch \(index)")
            XCTAssertEqual(retry.firstOffset, originals[index].firstOffset, "batch \(index)")
        }
        // Batch 1 fell out of the window: its retry cannot be told from a sequence gone backwards.
        self.assertRejected(.outOfOrderSequence) { try self.append(log, sequence: 2, recordCount: 2) }
        // Same first sequence but a different length is not the same batch.
        self.assertRejected(.outOfOrderSequence) { try self.append(log, sequence: 12, recordCount: 1) }
        XCTAssertEqual(log.logEndOffset, Offset(14))
    }

    func testSequenceGapIsOutOfOrderAndWritesNothing() throws {
        let (manager, log) = try self.openLog()
        defer { try? manager.close() }
        try self.append(log, sequence: 0, recordCount: 2)
        self.assertRejected(.outOfOrderSequence) { try self.append(log, sequence: 3) }
        self.assertRejected(.outOfOrderSequence) { try self.append(log, sequence: 1) }
        XCTAssertEqual(log.logEndOffset, Offset(2))
        XCTAssertEqual(try self.append(log, sequence: 2).firstOffset, Offset(2))
    }

    func testUnknownProducerIsAcceptedAtAnySequence() throws {
        let (manager, log) = try self.openLog()
        defer { try? manager.close() }
        XCTAssertEqual(try self.append(log, producerId: 1, sequence: 4_000).firstOffset, Offset(0))
        XCTAssertEqual(try self.append(log, producerId: 2, sequence: 0).firstOffset, Offset(1))
        XCTAssertEqual(try self.append(log, producerId: 1, sequence: 4_001).firstOffset, Offset(2))
        XCTAssertEqual(log.producerCount, 2)
    }

    func testEpochBumpRestartsSequencesAndFencesTheOldEpoch() throws {
        let (manager, log) = try self.openLog()
        defer { try? manager.close() }
        try self.append(log, epoch: 0, sequence: 0)
        try self.append(log, epoch: 0, sequence: 1)
        self.assertRejected(.outOfOrderSequence) { try self.append(log, epoch: 1, sequence: 2) }
        XCTAssertEqual(try self.append(log, epoch: 1, sequence: 0).firstOffset, Offset(2))
        self.assertRejected(.invalidProducerEpoch) { try self.append(log, epoch: 0, sequence: 2) }
        // Even a retry of an old epoch's batch is fenced: the old producer is a zombie.
        self.assertRejected(.invalidProducerEpoch) { try self.append(log, epoch: 0, sequence: 1) }
        XCTAssertEqual(try self.append(log, epoch: 1, sequence: 1).firstOffset, Offset(3))
        XCTAssertEqual(log.logEndOffset, Offset(4))
    }

    func testSequenceWrapsFromInt32MaxToZero() throws {
        let (manager, log) = try self.openLog()
        defer { try? manager.close() }
        try self.append(log, sequence: Int32.max - 1, recordCount: 2)  // ends at Int32.max
        XCTAssertEqual(try self.append(log, sequence: 0, recordCount: 3).firstOffset, Offset(2))  // 0...2
        XCTAssertTrue(try self.append(log, sequence: Int32.max - 1, recordCount: 2).isDuplicate)
        XCTAssertEqual(IdempotentBatch.sequence(Int32.max, advancedBy: 2), 1)
        // A batch spanning the wrap: Int32.max - 1 ... 1 is followed by 2.
        try self.append(log, producerId: 9, sequence: Int32.max - 1, recordCount: 4)
        XCTAssertEqual(try self.append(log, producerId: 9, sequence: 2).firstOffset, Offset(9))
    }

    func testIdempotentBatchMustBeAloneInItsAppend() throws {
        let (manager, log) = try self.openLog()
        defer { try? manager.close() }
        let bytes = IdempotentTestBatch.make(producerId: 7, epoch: 0, sequence: 0) + TestBatch.make()
        self.assertRejected(.invalidIdempotentBatch) { _ = try bytes.withUnsafeBytes { try log.append($0) } }
        let negative = IdempotentTestBatch.make(producerId: 7, epoch: 0, sequence: -1)
        self.assertRejected(.invalidIdempotentBatch) { _ = try negative.withUnsafeBytes { try log.append($0) } }
        XCTAssertEqual(log.logEndOffset, Offset(0))
    }

    func testDuplicateIsDetectedAcrossARoll() throws {
        let config = LogConfig(segmentSizeBytes: 300, indexIntervalBytes: 100, batchSizeBytesMax: 200)
        let (manager, log) = try self.openLog(config: config)
        defer { try? manager.close() }
        var originals: [AppendResult] = []
        for sequence in 0..<5 {
            originals.append(try self.append(log, sequence: Int32(sequence)))
        }
        let segmentCount = try self.files(in: self.partitionDirectory("events"), withSuffix: ".log").count
        XCTAssertGreaterThan(segmentCount, 1, "the test needs a roll")
        XCTAssertEqual(try self.append(log, sequence: 0).firstOffset, originals[0].firstOffset)
    }
}
