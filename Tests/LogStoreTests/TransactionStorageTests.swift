import Foundation
import RecordFormat
import SluiceModel
import XCTest

@testable import LogStore

/// Builds transactional batches: an idempotent test batch with the transactional attribute bit set.
enum TransactionalTestBatch {
    static func make(producerId: Int64, epoch: Int16 = 0, sequence: Int32, recordCount: Int = 1) -> [UInt8] {
        var bytes = IdempotentTestBatch.make(
            producerId: producerId, epoch: epoch, sequence: sequence, recordCount: recordCount
        )
        bytes.withUnsafeMutableBytes { buffer in
            let attributes = RecordBatchAttributes(isTransactional: true)
            buffer.writeBigEndian(attributes.rawValue, at: RecordBatchHeader.attributesOffset)
            RecordBatchValidator.stampChecksum(buffer)
        }
        return bytes
    }
}

/// Transactions in the log: open transactions hold the last stable offset, markers end them, aborts are indexed,
/// `read_committed` reads stop at the LSO and carry the aborted transactions; all of it across restarts.
final class TransactionStorageTests: ProducerStateTestCase {
    private let smallSegments = LogConfig(segmentSizeBytes: 400, indexIntervalBytes: 100, batchSizeBytesMax: 300)

    @discardableResult
    private func appendTransactional(
        _ log: PartitionLog, producerId: Int64, epoch: Int16 = 0, sequence: Int32, recordCount: Int = 1
    ) throws -> AppendResult {
        let batch = TransactionalTestBatch.make(
            producerId: producerId, epoch: epoch, sequence: sequence, recordCount: recordCount
        )
        return try batch.withUnsafeBytes { try log.append($0) }
    }

    @discardableResult
    private func appendPlain(_ log: PartitionLog) throws -> AppendResult {
        try TestBatch.make().withUnsafeBytes { try log.append($0) }
    }

    @discardableResult
    private func endTransaction(
        _ log: PartitionLog, producerId: Int64, epoch: Int16 = 0, commit: Bool
    ) throws -> AppendResult {
        let marker = ControlBatch(
            type: commit ? .commit : .abort, producerId: producerId, producerEpoch: epoch, coordinatorEpoch: 0
        )
        return try log.appendTransactionMarker(marker, timestampMs: self.clock.wallTimeMs())
    }

    /// The base offsets of the batches a read returns.
    private func readOffsets(
        _ log: PartitionLog, from offset: Int64 = 0, isolation: PartitionLog.IsolationLevel,
        maxBytes: Int = 1 << 20
    ) throws -> (offsets: [Int64], result: LogReadResult) {
        let result = try log.read(from: Offset(offset), maxBytes: maxBytes, minOneBatch: true, isolation: isolation)
        guard let slice = result.slice else { return ([], result) }
        return (try slice.readBytes().batchBaseOffsets, result)
    }

    func testOpenTransactionHoldsTheLastStableOffsetAndReadCommittedStopsThere() throws {
        let (manager, log) = try self.openLog()
        defer { try? manager.close() }
        try self.appendPlain(log)  // 0
        try self.appendTransactional(log, producerId: 7, sequence: 0, recordCount: 2)  // 1-2
        try self.appendPlain(log)  // 3
        try self.appendTransactional(log, producerId: 7, sequence: 2)  // 4
        XCTAssertEqual(log.lastStableOffset, Offset(1))
        XCTAssertEqual(log.openTransactionFirstOffset(ofProducer: 7), Offset(1))

        let committed = try self.readOffsets(log, isolation: .readCommitted)
        XCTAssertEqual(committed.offsets, [0])
        XCTAssertEqual(committed.result.lastStableOffset, Offset(1))
        XCTAssertEqual(committed.result.highWatermark, Offset(5))
        XCTAssertEqual(committed.result.abortedTransactions, [])
        let atLastStable = try self.readOffsets(log, from: 1, isolation: .readCommitted)
        XCTAssertEqual(atLastStable.offsets, [], "nothing at or past the LSO, and no error")
        XCTAssertNil(atLastStable.result.slice)
        let pastLastStable = try self.readOffsets(log, from: 3, isolation: .readCommitted)
        XCTAssertEqual(pastLastStable.offsets, [])

        let uncommitted = try self.readOffsets(log, isolation: .readUncommitted)
        XCTAssertEqual(uncommitted.offsets, [0, 1, 3, 4], "read_uncommitted is unchanged")
        XCTAssertEqual(uncommitted.result.lastStableOffset, Offset(1), "both report the LSO")
        XCTAssertNil(uncommitted.result.abortedTransactions)
    }

    func testCommitReleasesTheLastStableOffset() throws {
        let (manager, log) = try self.openLog()
        defer { try? manager.close() }
        try self.appendTransactional(log, producerId: 7, sequence: 0)  // 0
        try self.appendPlain(log)  // 1
        let marker = try self.endTransaction(log, producerId: 7, commit: true)  // 2
        XCTAssertEqual(marker.firstOffset, Offset(2))
        XCTAssertEqual(log.lastStableOffset, Offset(3))
        XCTAssertNil(log.openTransactionFirstOffset(ofProducer: 7))
        let committed = try self.readOffsets(log, isolation: .readCommitted)
        XCTAssertEqual(committed.offsets, [0, 1, 2], "the marker is returned; consumers skip it")
        XCTAssertEqual(committed.result.abortedTransactions, [])
        XCTAssertEqual(log.abortedTransactionCount, 0)
        // The same epoch goes on with the next transaction and its sequences continue.
        XCTAssertEqual(try self.appendTransactional(log, producerId: 7, sequence: 1).firstOffset, Offset(3))
        XCTAssertEqual(log.lastStableOffset, Offset(3))
    }

    func testAbortIsIndexedAndReturnedToReadCommittedReads() throws {
        let (manager, log) = try self.openLog()
        defer { try? manager.close() }
        try self.appendTransactional(log, producerId: 7, sequence: 0)  // 0
        try self.appendTransactional(log, producerId: 8, sequence: 0)  // 1
        try self.appendTransactional(log, producerId: 7, sequence: 1)  // 2
        try self.endTransaction(log, producerId: 7, commit: false)  // 3
        XCTAssertEqual(log.lastStableOffset, Offset(1), "producer 8's transaction is still open")
        let whileOpen = try self.readOffsets(log, isolation: .readCommitted)
        XCTAssertEqual(whileOpen.offsets, [0])
        XCTAssertEqual(
            whileOpen.result.abortedTransactions,
            [AbortedTransaction(producerId: 7, firstOffset: Offset(0), lastOffset: Offset(3), lastStableOffset: Offset(1))]
        )
        try self.endTransaction(log, producerId: 8, commit: true)  // 4
        XCTAssertEqual(log.lastStableOffset, Offset(5))
        let afterCommit = try self.readOffsets(log, isolation: .readCommitted)
        XCTAssertEqual(afterCommit.offsets, [0, 1, 2, 3, 4])
        XCTAssertEqual(afterCommit.result.abortedTransactions?.map(\.producerId), [7])
        XCTAssertEqual(afterCommit.result.abortedTransactions?.map(\.firstOffset), [Offset(0)])
        // A read past the abort marker does not need it.
        XCTAssertEqual(try self.readOffsets(log, from: 4, isolation: .readCommitted).result.abortedTransactions, [])
        XCTAssertNil(try self.readOffsets(log, isolation: .readUncommitted).result.abortedTransactions)
    }

    func testReadCommittedNeverSkipsPastTheLastStableOffset() throws {
        // A small index interval so the read's skip over whole batches (by the offset index) is exercised.
        let (manager, log) = try self.openLog(config: LogConfig(indexIntervalBytes: 100))
        defer { try? manager.close() }
        for _ in 0..<20 { try self.appendPlain(log) }  // 0-19
        try self.appendTransactional(log, producerId: 7, sequence: 0)  // 20
        for _ in 0..<20 { try self.appendPlain(log) }  // 21-40
        let committed = try self.readOffsets(log, isolation: .readCommitted)
        XCTAssertEqual(committed.offsets, Array(0..<20))
        let fromMiddle = try self.readOffsets(log, from: 5, isolation: .readCommitted)
        XCTAssertEqual(fromMiddle.offsets, Array(5..<20))
        XCTAssertEqual(try self.readOffsets(log, isolation: .readUncommitted).offsets.count, 41)
    }

    func testClientsCannotWriteControlBatchesOrTransactionalBatchesWithoutAProducer() throws {
        let (manager, log) = try self.openLog()
        defer { try? manager.close() }
        let marker = ControlBatch(type: .commit, producerId: 7, producerEpoch: 0, coordinatorEpoch: 0)
        self.assertRejected(.invalidControlBatch) {
            _ = try marker.encode(timestampMs: 0).withUnsafeBytes { try log.append($0) }
        }
        var anonymous = TestBatch.make()
        anonymous.withUnsafeMutableBytes { buffer in
            buffer.writeBigEndian(RecordBatchAttributes(isTransactional: true).rawValue, at: 21)
            RecordBatchValidator.stampChecksum(buffer)
        }
        self.assertRejected(.invalidControlBatch) { _ = try anonymous.withUnsafeBytes { try log.append($0) } }
        XCTAssertEqual(log.logEndOffset, Offset(0))
    }

    func testNonTransactionalBatchDuringAnOpenTransactionIsRefused() throws {
        let (manager, log) = try self.openLog()
        defer { try? manager.close() }
        try self.appendTransactional(log, producerId: 7, sequence: 0)
        self.assertRejected(.invalidTransactionState) { try self.append(log, producerId: 7, sequence: 1) }
        try self.endTransaction(log, producerId: 7, commit: true)
        XCTAssertEqual(try self.append(log, producerId: 7, sequence: 1).firstOffset, Offset(2))
    }

    func testAMarkerWithANewerEpochFencesTheOlderProducer() throws {
        let (manager, log) = try self.openLog()
        defer { try? manager.close() }
        try self.appendTransactional(log, producerId: 7, epoch: 0, sequence: 0)
        // The coordinator fenced epoch 0 (a new InitProducerId or a timeout) and aborts with epoch 1.
        try self.endTransaction(log, producerId: 7, epoch: 1, commit: false)
        XCTAssertEqual(log.lastStableOffset, log.logEndOffset)
        self.assertRejected(.invalidProducerEpoch) { try self.appendTransactional(log, producerId: 7, sequence: 1) }
        self.assertRejected(.outOfOrderSequence) {
            try self.appendTransactional(log, producerId: 7, epoch: 1, sequence: 3)
        }
        XCTAssertEqual(try self.appendTransactional(log, producerId: 7, epoch: 1, sequence: 0).firstOffset, Offset(2))
        self.assertRejected(.invalidProducerEpoch) { try self.endTransaction(log, producerId: 7, epoch: 0, commit: true) }
        XCTAssertEqual(log.openTransactionFirstOffset(ofProducer: 7), Offset(2), "a refused marker changes nothing")
    }

    func testAMarkerForAProducerWithNoOpenTransactionChangesNothing() throws {
        let (manager, log) = try self.openLog()
        defer { try? manager.close() }
        try self.appendPlain(log)
        try self.endTransaction(log, producerId: 9, commit: false)
        XCTAssertEqual(log.abortedTransactionCount, 0)
        XCTAssertEqual(log.lastStableOffset, Offset(2))
    }

    // MARK: - Restarts

    func testOpenTransactionSurvivesAnUncleanStop() throws {
        do {
            let (manager, log) = try self.openLog()
            try self.appendPlain(log)  // 0
            try self.appendTransactional(log, producerId: 7, sequence: 0)  // 1
            try self.appendTransactional(log, producerId: 8, sequence: 0)  // 2
            try self.endTransaction(log, producerId: 8, commit: false)  // 3
            try manager.flushAll()
            // No close: the next open sees an unclean stop and no snapshot.
        }
        let (manager, log) = try self.openLog()
        defer { try? manager.close() }
        XCTAssertTrue(self.events.contains("unclean shutdown"), "\(self.events.events)")
        XCTAssertEqual(log.lastStableOffset, Offset(1), "the open transaction still holds the LSO")
        XCTAssertEqual(log.openTransactionFirstOffset(ofProducer: 7), Offset(1))
        XCTAssertEqual(log.abortedTransactionCount, 1)
        // The coordinator aborts it after the restart; its batches stay invisible to read_committed readers.
        try self.endTransaction(log, producerId: 7, epoch: 1, commit: false)  // 4
        let committed = try self.readOffsets(log, isolation: .readCommitted)
        XCTAssertEqual(committed.offsets, [0, 1, 2, 3, 4])
        XCTAssertEqual(committed.result.abortedTransactions?.map(\.producerId).sorted(), [7, 8])
    }

    func testATransactionOpenAcrossRollsSurvivesACrashThroughTheSnapshots() throws {
        do {
            let (manager, log) = try self.openLog(config: self.smallSegments)
            try self.appendTransactional(log, producerId: 7, sequence: 0)  // 0
            for _ in 0..<12 { try self.appendPlain(log) }  // 1-12, several rolls
            try manager.flushAll()
        }
        XCTAssertGreaterThan(try self.files(in: self.partitionDirectory("events"), withSuffix: ".log").count, 2)
        let (manager, log) = try self.openLog(config: self.smallSegments)
        defer { try? manager.close() }
        XCTAssertFalse(self.events.contains("from no snapshot"), "\(self.events.events)")
        XCTAssertEqual(log.lastStableOffset, Offset(0), "the snapshot of a roll carries the open transaction")
        XCTAssertEqual(try self.readOffsets(log, isolation: .readCommitted).offsets, [])
    }

    func testAbortedIndexSurvivesACleanRestartInItsFiles() throws {
        try self.writeAbortsAcrossSegments(closing: true)
        let directory = self.partitionDirectory("events")
        let indexFiles = try self.files(in: directory, withSuffix: ".txnindex")
        XCTAssertEqual(indexFiles.count, try self.files(in: directory, withSuffix: ".log").count)
        let (manager, log) = try self.openLog(config: self.smallSegments)
        defer { try? manager.close() }
        XCTAssertFalse(self.events.contains("replaying from the log start"), "\(self.events.events)")
        try self.assertAbortsAcrossSegments(log)
    }

    func testAbortedIndexIsRebuiltFromTheLogWhenAFileIsMissingOrDamaged() throws {
        for damage in ["missing", "flipped byte", "truncated"] {
            try? FileManager.default.removeItem(atPath: self.dataDirectory)
            try self.writeAbortsAcrossSegments(closing: true)
            let directory = self.partitionDirectory("events")
            let first = directory + "/" + (try self.files(in: directory, withSuffix: ".txnindex"))[0]
            switch damage {
            case "missing":
                try FileManager.default.removeItem(atPath: first)
            case "flipped byte":
                var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: first)))
                bytes[bytes.count - 6] ^= 0x40
                try Data(bytes).write(to: URL(fileURLWithPath: first))
            default:
                let bytes = try Data(contentsOf: URL(fileURLWithPath: first))
                try bytes.prefix(bytes.count - 3).write(to: URL(fileURLWithPath: first))
            }
            let events = EventRecorder()
            let manager = try self.openManager(config: self.smallSegments, events: events)
            let log = try XCTUnwrap(manager.partition(self.topicPartition))
            XCTAssertTrue(events.contains("replaying from the log start"), "\(damage): \(events.events)")
            try self.assertAbortsAcrossSegments(log)
            try manager.close()
            let rewritten = try XCTUnwrap(
                AbortedTransactionIndexFile.parse(
                    [UInt8](try Data(contentsOf: URL(fileURLWithPath: first))), segmentBaseOffset: .zero
                ),
                damage
            )
            XCTAssertEqual(rewritten.entries.map(\.producerId), [7], damage)
        }
    }

    func testAbortedIndexAfterACrashComesFromTheFilesOfSealedSegmentsAndTheReplay() throws {
        try self.writeAbortsAcrossSegments(closing: false)
        let (manager, log) = try self.openLog(config: self.smallSegments)
        defer { try? manager.close() }
        XCTAssertTrue(self.events.contains("unclean shutdown"), "\(self.events.events)")
        XCTAssertFalse(self.events.contains("replaying from the log start"), "\(self.events.events)")
        try self.assertAbortsAcrossSegments(log)
    }

    /// Producer 7 aborts in the first segment; producer 8's transaction starts in the first segment and aborts
    /// several segments later; producer 9 commits in the last one.
    private func writeAbortsAcrossSegments(closing: Bool) throws {
        let (manager, log) = try self.openLog(config: self.smallSegments)
        try self.appendTransactional(log, producerId: 7, sequence: 0)  // 0
        try self.appendTransactional(log, producerId: 8, sequence: 0)  // 1
        try self.endTransaction(log, producerId: 7, commit: false)  // 2
        for _ in 0..<10 { try self.appendPlain(log) }  // 3-12
        try self.endTransaction(log, producerId: 8, commit: false)  // 13
        try self.appendTransactional(log, producerId: 9, sequence: 0)  // 14
        try self.endTransaction(log, producerId: 9, commit: true)  // 15
        if closing { try manager.close() } else { try manager.flushAll() }
    }

    private func assertAbortsAcrossSegments(_ log: PartitionLog, file: StaticString = #filePath, line: UInt = #line)
        throws
    {
        XCTAssertEqual(log.abortedTransactionCount, 2, file: file, line: line)
        XCTAssertEqual(log.lastStableOffset, Offset(16), file: file, line: line)
        // From offset 0 the read returns the first segment only, yet both aborts overlap it: producer 8's is
        // recorded in a later segment's index.
        let first = try self.readOffsets(log, isolation: .readCommitted)
        XCTAssertEqual(first.result.abortedTransactions?.map(\.producerId), [7, 8], file: file, line: line)
        XCTAssertEqual(
            first.result.abortedTransactions?.map(\.firstOffset), [Offset(0), Offset(1)], file: file, line: line
        )
        let later = try self.readOffsets(log, from: 14, isolation: .readCommitted)
        XCTAssertEqual(later.result.abortedTransactions, [], file: file, line: line)
        XCTAssertEqual(later.offsets.first, 14, file: file, line: line)
    }

    // MARK: - Files

    func testAbortedIndexFileRoundTripsAndRefusesDamage() throws {
        let contents = AbortedTransactionIndexFile.Contents(
            segmentBaseOffset: Offset(100), coveredEndOffset: Offset(200),
            entries: [
                AbortedTransaction(producerId: 7, firstOffset: Offset(50), lastOffset: Offset(120), lastStableOffset: Offset(60)),
                AbortedTransaction(producerId: 8, firstOffset: Offset(60), lastOffset: Offset(130), lastStableOffset: Offset(131)),
            ]
        )
        let bytes = AbortedTransactionIndexFile.serialize(contents)
        XCTAssertEqual(bytes.count, AbortedTransactionIndexFile.headerSizeBytes + 2 * 32 + 4)
        XCTAssertEqual(AbortedTransactionIndexFile.parse(bytes, segmentBaseOffset: Offset(100)), contents)
        XCTAssertNil(AbortedTransactionIndexFile.parse(bytes, segmentBaseOffset: Offset(0)), "another segment's")
        for index in bytes.indices {
            var damaged = bytes
            damaged[index] ^= 0x01
            XCTAssertNil(AbortedTransactionIndexFile.parse(damaged, segmentBaseOffset: Offset(100)), "byte \(index)")
        }
        XCTAssertNil(AbortedTransactionIndexFile.parse(Array(bytes.dropLast()), segmentBaseOffset: Offset(100)))
    }

    func testProducerSnapshotCarriesOpenTransactionsAndStillReadsVersion1() throws {
        var table = ProducerStateTable()
        table.record(
            IdempotentBatch(producerId: 7, producerEpoch: 2, baseSequence: 0, lastOffsetDelta: 1, isTransactional: true),
            firstOffset: Offset(10), lastOffset: Offset(11)
        )
        _ = table.applyMarker(producerId: 9, producerEpoch: 4, isCommit: false, markerOffset: Offset(12))
        let parsed = try XCTUnwrap(ProducerStateSnapshotFile.parse(ProducerStateSnapshotFile.serialize(table, offset: Offset(13))))
        XCTAssertEqual(parsed.table, table)
        XCTAssertEqual(parsed.table.firstUnstableOffset, Offset(10))
        XCTAssertEqual(parsed.table.producers[9]?.epoch, 4)

        // Version 1, as written before transactions: producer 7, epoch 2, one batch.
        var version1: [UInt8] = []
        func append<Value: FixedWidthInteger>(_ value: Value) {
            withUnsafeBytes(of: value.bigEndian) { version1.append(contentsOf: $0) }
        }
        append(UInt16(1)); append(Int64(13)); append(UInt32(1))
        append(Int64(7)); append(Int16(2)); version1.append(1)
        append(Int32(0)); append(Int32(1)); append(Int64(10)); append(Int64(11))
        append(version1.withUnsafeBytes { CRC32C.checksum($0) })
        let old = try XCTUnwrap(ProducerStateSnapshotFile.parse(version1))
        XCTAssertEqual(old.table.producers[7]?.lastSequence, 1)
        XCTAssertNil(old.table.firstUnstableOffset)
    }
}
