import Foundation
import RecordFormat
import SluiceModel
import XCTest

@testable import LogStore

/// Producer state after a restart: from the snapshot written at close, from roll snapshots plus a header replay
/// after a crash, and never from batches that recovery cut off. Also the snapshot file and the id allocator.
final class ProducerStateRecoveryTests: ProducerStateTestCase {
    private let smallSegments = LogConfig(segmentSizeBytes: 300, indexIntervalBytes: 100, batchSizeBytesMax: 200)

    private var snapshotFiles: [String] {
        get throws { try self.files(in: self.partitionDirectory("events"), withSuffix: ".producers") }
    }

    /// Appends `count` two-record batches of producer 7 (sequences 0, 2, 4, ...) and one of producer 8 (one batch), then stops without closing.
    private func writeAndCrash(count: Int, config: LogConfig = LogConfig()) throws -> [AppendResult] {
        let (manager, log) = try self.openLog(config: config)
        var results: [AppendResult] = []
        for sequence in 0..<count {
            results.append(try self.append(log, sequence: Int32(sequence * 2), recordCount: 2))
        }
        try self.append(log, producerId: 8, epoch: 3, sequence: 0)
        try manager.flushAll()
        return results
    }

    func testStateSurvivesACleanRestartThroughTheCloseSnapshot() throws {
        var originals: [AppendResult] = []
        do {
            let (manager, log) = try self.openLog()
            for sequence in 0..<6 {
                originals.append(try self.append(log, sequence: Int32(sequence * 2), recordCount: 2))
            }
            try self.append(log, producerId: 8, epoch: 3, sequence: 0)
            try manager.close()
        }
        XCTAssertEqual(try self.snapshotFiles, ["00000000000000000013.producers"])
        let (manager, log) = try self.openLog()
        defer { try? manager.close() }
        XCTAssertTrue(self.events.contains("from snapshot 13 and 0 replayed"), "\(self.events.events)")
        XCTAssertEqual(log.producerCount, 2)
        let retry = try self.append(log, sequence: 10, recordCount: 2)
        XCTAssertTrue(retry.isDuplicate)
        XCTAssertEqual(retry.firstOffset, originals[5].firstOffset)
        self.assertRejected(.invalidProducerEpoch) { try self.append(log, producerId: 8, epoch: 2, sequence: 1) }
        XCTAssertEqual(try self.append(log, sequence: 12).firstOffset, Offset(13))
    }

    func testStateIsReplayedFromTheLogAfterACrash() throws {
        let originals = try self.writeAndCrash(count: 4)
        XCTAssertEqual(try self.snapshotFiles, [], "no roll, no close: no snapshot")
        let (manager, log) = try self.openLog()
        defer { try? manager.close() }
        XCTAssertTrue(self.events.contains("from no snapshot and 5 replayed"), "\(self.events.events)")
        for index in 0..<4 {
            let retry = try self.append(log, sequence: Int32(index * 2), recordCount: 2)
            XCTAssertTrue(retry.isDuplicate)
            XCTAssertEqual(retry.firstOffset, originals[index].firstOffset)
        }
        self.assertRejected(.outOfOrderSequence) { try self.append(log, sequence: 9) }
        XCTAssertEqual(try self.append(log, sequence: 4 * 2).firstOffset, Offset(9))
    }

    func testBatchCutOffByRecoveryIsNotRemembered() throws {
        _ = try self.writeAndCrash(count: 3)
        // A torn write of the next batch (sequence 6, two records): half of it reached the file.
        let torn = IdempotentTestBatch.make(producerId: 7, epoch: 0, sequence: 6, recordCount: 2)
        let logPath = self.partitionDirectory("events") + "/00000000000000000000.log"
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: logPath))
        handle.seekToEndOfFile()
        handle.write(Data(torn[0..<(torn.count / 2)]))
        try handle.close()
        let (manager, log) = try self.openLog()
        defer { try? manager.close() }
        XCTAssertTrue(self.events.contains("truncated segment 0"), "\(self.events.events)")
        XCTAssertEqual(log.logEndOffset, Offset(7))
        // The producer retries the lost batch: it must be written, not answered as a duplicate.
        let retry = try self.append(log, sequence: 6, recordCount: 2)
        XCTAssertFalse(retry.isDuplicate)
        XCTAssertEqual(retry.firstOffset, Offset(7))
    }

    func testRollSnapshotsBoundTheReplayAfterACrash() throws {
        let originals = try self.writeAndCrash(count: 12, config: self.smallSegments)
        let snapshots = try self.snapshotFiles
        XCTAssertEqual(snapshots.count, 2, "only the newest two are kept: \(snapshots)")
        let (manager, log) = try self.openLog(config: self.smallSegments)
        defer { try? manager.close() }
        let replay = try XCTUnwrap(self.events.events.first { $0.contains("producer state of") })
        XCTAssertFalse(replay.contains("no snapshot"), replay)
        XCTAssertLessThanOrEqual(log.producerCount, 2)
        XCTAssertTrue(try self.append(log, sequence: 22, recordCount: 2).isDuplicate)
        XCTAssertEqual(try self.append(log, sequence: 14, recordCount: 2).firstOffset, originals[7].firstOffset)
        XCTAssertEqual(try self.append(log, sequence: 24).firstOffset, Offset(log.logEndOffset.rawValue - 1))
    }

    func testSnapshotPastTheLogEndIsRemovedAndReplayUsed() throws {
        _ = try self.writeAndCrash(count: 2)
        var future = ProducerStateTable()
        future.record(
            IdempotentBatch(producerId: 7, producerEpoch: 0, baseSequence: 100, lastOffsetDelta: 0),
            firstOffset: Offset(50), lastOffset: Offset(50)
        )
        let path = self.partitionDirectory("events") + "/" + ProducerStateSnapshotFile.fileName(offset: Offset(51))
        try Data(ProducerStateSnapshotFile.serialize(future, offset: Offset(51))).write(to: URL(fileURLWithPath: path))
        let (manager, log) = try self.openLog()
        defer { try? manager.close() }
        XCTAssertTrue(self.events.contains("past the log end"), "\(self.events.events)")
        XCTAssertTrue(try self.append(log, sequence: 2, recordCount: 2).isDuplicate)
    }

    func testFailedSnapshotWriteDoesNotFailTheRoll() throws {
        let (manager, log) = try self.openLog(config: self.smallSegments)
        defer { try? manager.close() }
        // A directory where the snapshot's temporary file should go makes its write fail at the first roll.
        let blocker = self.partitionDirectory("events") + "/00000000000000000003.producers.tmp"
        try FileManager.default.createDirectory(atPath: blocker, withIntermediateDirectories: false)
        for sequence in 0..<4 {
            try self.append(log, sequence: Int32(sequence))
        }
        XCTAssertTrue(self.events.contains("rolled to a new segment at offset 3"), "\(self.events.events)")
        XCTAssertTrue(self.events.contains("could not write producer snapshot 3"), "\(self.events.events)")
        XCTAssertTrue(try self.append(log, sequence: 3).isDuplicate, "the state in memory is unaffected")
    }

    func testSnapshotFileRoundTripsAndRejectsDamage() throws {
        var table = ProducerStateTable()
        for sequence in 0..<7 {
            table.record(
                IdempotentBatch(producerId: 3, producerEpoch: 2, baseSequence: Int32(sequence), lastOffsetDelta: 0),
                firstOffset: Offset(Int64(sequence)), lastOffset: Offset(Int64(sequence))
            )
        }
        table.record(
            IdempotentBatch(producerId: 1, producerEpoch: 0, baseSequence: 0, lastOffsetDelta: 4),
            firstOffset: Offset(7), lastOffset: Offset(11)
        )
        let bytes = ProducerStateSnapshotFile.serialize(table, offset: Offset(12))
        let parsed = try XCTUnwrap(ProducerStateSnapshotFile.parse(bytes))
        XCTAssertEqual(parsed.table, table)
        XCTAssertEqual(parsed.offset, Offset(12))
        XCTAssertEqual(parsed.table.producers[3]?.batches.count, ProducerEntry.retainedBatchCountMax)
        var flipped = bytes
        flipped[20] ^= 0x01
        XCTAssertNil(ProducerStateSnapshotFile.parse(flipped))
        XCTAssertNil(ProducerStateSnapshotFile.parse(Array(bytes.dropLast())))
        XCTAssertEqual(ProducerStateSnapshotFile.offset(fromFileName: "00000000000000000012.producers"), Offset(12))
        XCTAssertNil(ProducerStateSnapshotFile.offset(fromFileName: "00000000000000000012.producers.tmp"))
    }

    func testProducerIdsIncreaseAndAreNeverReusedAfterARestart() throws {
        let (manager, log) = try self.openLog()
        try self.append(log, producerId: 41, sequence: 0)
        let allocator = manager.makeProducerIdAllocator()
        let first = try allocator.allocate()
        XCTAssertEqual(first, 42, "starts above the largest producer id in the logs")
        XCTAssertEqual(try allocator.allocate(), 43)
        XCTAssertTrue(try allocator.mayHaveIssued(43))
        XCTAssertFalse(try allocator.mayHaveIssued(42 + ProducerIdAllocator.blockSize))
        try manager.close()
        let blockPath = self.dataDirectory + "/" + ProducerIdAllocator.fileName
        XCTAssertEqual(try self.blockFileText(blockPath), "1\n\(42 + ProducerIdAllocator.blockSize)\n")

        let (reopened, _) = try self.openLog()
        defer { try? reopened.close() }
        let again = reopened.makeProducerIdAllocator()
        XCTAssertTrue(try again.mayHaveIssued(43), "before any allocation, the file answers")
        var previous = try again.allocate()
        XCTAssertEqual(previous, 42 + ProducerIdAllocator.blockSize)
        for _ in 0..<Int(ProducerIdAllocator.blockSize) + 5 {
            let next = try again.allocate()
            XCTAssertEqual(next, previous + 1)
            previous = next
        }
        XCTAssertEqual(try self.blockFileText(blockPath), "1\n\(42 + 3 * ProducerIdAllocator.blockSize)\n")
    }

    /// The block file's text inside its checksummed envelope.
    private func blockFileText(_ path: String) throws -> String {
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let contents = try ChecksummedFile.unwrap(bytes, path: path)
        XCTAssertFalse(contents.isLegacy)
        return String(decoding: contents.payload, as: UTF8.self)
    }

    func testUnparsableBlockFileContinuesAboveAWallClockFloor() throws {
        let (manager, _) = try self.openLog()
        defer { try? manager.close() }
        try "garbage".write(
            toFile: self.dataDirectory + "/" + ProducerIdAllocator.fileName, atomically: true, encoding: .utf8
        )
        let floor = self.clock.wallTimeMs() * ProducerIdAllocator.damagedFileIdsPerMs
        XCTAssertEqual(try manager.makeProducerIdAllocator().allocate(), floor, "never an id handed out before")
    }
}
