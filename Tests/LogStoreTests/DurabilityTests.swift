import Dispatch
import Foundation
import SluiceModel
import XCTest

@testable import LogStore

final class DurabilityTests: LogStoreTestCase {
    private let topicPartition = TopicPartition(topic: "payments", partition: PartitionID(0))

    private func openLog(_ policy: FsyncPolicy, fileIO: FaultyFileIO) throws -> (LogManager, PartitionLog) {
        let manager = try self.openManager(config: LogConfig(fsyncPolicy: policy), fileIO: fileIO)
        try manager.createTopic("payments", partitionCount: 1)
        return (manager, try XCTUnwrap(manager.partition(self.topicPartition)))
    }

    func testFsyncPolicyParsing() {
        XCTAssertEqual(FsyncPolicy(parsing: "always"), .always)
        XCTAssertEqual(FsyncPolicy(parsing: "never"), .never)
        XCTAssertEqual(FsyncPolicy(parsing: "interval:250"), .interval(milliseconds: 250))
        XCTAssertNil(FsyncPolicy(parsing: "interval:0"))
        XCTAssertNil(FsyncPolicy(parsing: "interval:"))
        XCTAssertNil(FsyncPolicy(parsing: "sometimes"))
        let roundTripped = FsyncPolicy(parsing: FsyncPolicy.interval(milliseconds: 5).description)
        XCTAssertEqual(roundTripped, .interval(milliseconds: 5))
    }

    func testManyWaitersShareOneFsync() throws {
        let fileIO = FaultyFileIO()
        let (manager, log) = try self.openLog(.always, fileIO: fileIO)
        defer { try? manager.close() }
        let results = try self.appendBatches(log, count: 100)
        let syncsBefore = fileIO.counters.fileSyncCount
        let group = DispatchGroup()
        for result in results {
            group.enter()
            log.whenDurable(upTo: result.lastOffset + 1) { outcome in
                if case .failure(let error) = outcome { XCTFail("\(error)") }
                group.leave()
            }
        }
        XCTAssertEqual(group.wait(timeout: .now() + 10), .success)
        XCTAssertEqual(fileIO.counters.fileSyncCount - syncsBefore, 1)
    }

    func testConcurrentProducersShareFsyncs() throws {
        let fileIO = FaultyFileIO()
        fileIO.update { $0.syncDelayMicroseconds = 20_000 }
        let (manager, log) = try self.openLog(.always, fileIO: fileIO)
        defer { try? manager.close() }
        let syncsBefore = fileIO.counters.fileSyncCount
        let producerCount = 64
        let group = DispatchGroup()
        let batch = TestBatch.make()
        DispatchQueue.concurrentPerform(iterations: producerCount) { _ in
            group.enter()
            do {
                let result = try batch.withUnsafeBytes { try log.append($0) }
                log.whenDurable(upTo: result.lastOffset + 1) { _ in group.leave() }
            } catch {
                XCTFail("\(error)")
                group.leave()
            }
        }
        XCTAssertEqual(group.wait(timeout: .now() + 30), .success)
        let syncCount = fileIO.counters.fileSyncCount - syncsBefore
        XCTAssertGreaterThanOrEqual(syncCount, 1)
        XCTAssertLessThan(
            syncCount, producerCount / 4, "group commit: \(syncCount) fsyncs for \(producerCount) waiters"
        )
    }

    func testAlreadyDurableOffsetsAnswerImmediately() throws {
        let fileIO = FaultyFileIO()
        let (manager, log) = try self.openLog(.always, fileIO: fileIO)
        defer { try? manager.close() }
        try self.appendBatches(log, count: 3)
        try manager.flushAll()
        let answered = EventRecorder()
        log.whenDurable(upTo: Offset(3)) { _ in answered.handler("done") }
        XCTAssertEqual(answered.events, ["done"], "answered before whenDurable returned")
    }

    func testFsyncFailureIsSurfacedAndStopsAppends() throws {
        let fileIO = FaultyFileIO()
        let (manager, log) = try self.openLog(.always, fileIO: fileIO)
        defer { try? manager.close() }
        try self.appendBatches(log, count: 2)
        fileIO.update { $0.failingSyncCount = 1 }
        let expectation = self.expectation(description: "durability answered")
        log.whenDurable(upTo: Offset(2)) { outcome in
            if case .failure(let error) = outcome {
                XCTAssertEqual(error.code, .ioFailure)
                XCTAssertEqual(error.errno, EIO)
                XCTAssertNotNil(error.path)
            } else {
                XCTFail("an fsync failure must not be reported as durable")
            }
            expectation.fulfill()
        }
        self.wait(for: [expectation], timeout: 10)
        self.assertStorageError(.closed) { try self.appendBatches(log, count: 1) }
        XCTAssertNotNil(try log.read(from: .zero, maxBytes: 1_000, minOneBatch: true).slice, "reads still work")
        let later = self.expectation(description: "later waiter fails too")
        log.whenDurable(upTo: Offset(2)) { outcome in
            if case .success = outcome { XCTFail("the log failed") }
            later.fulfill()
        }
        self.wait(for: [later], timeout: 10)
    }

    func testCloseAfterAFailedPartitionClosesTheOthersButLeavesNoCleanMarker() throws {
        let fileIO = FaultyFileIO()
        do {
            let manager = try self.openManager(fileIO: fileIO)
            try manager.createTopic("payments", partitionCount: 2)
            for partition: Int32 in [0, 1] {
                let topicPartition = TopicPartition(topic: "payments", partition: PartitionID(partition))
                let log = try XCTUnwrap(manager.partition(topicPartition))
                try self.appendBatches(log, count: 3)
            }
            let failed = try XCTUnwrap(manager.partition(self.topicPartition))
            fileIO.update { $0.failingSyncCount = 1 }
            let answered = self.expectation(description: "fsync failure reported")
            failed.whenDurable(upTo: Offset(3)) { _ in answered.fulfill() }
            self.wait(for: [answered], timeout: 10)
            self.assertStorageError(.ioFailure) { try manager.close() }
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: self.dataDirectory + "/.clean-shutdown"))
        let indexPath = self.partitionDirectory("payments", 1) + "/00000000000000000000.timeindex"
        let indexSize = try FileManager.default.attributesOfItem(atPath: indexPath)[.size] as? Int
        XCTAssertEqual(indexSize, 12, "the healthy partition was sealed")
        let manager = try self.openManager(fileIO: fileIO)
        defer { try? manager.close() }
        XCTAssertEqual(manager.partition(self.topicPartition)?.logEndOffset, Offset(3), "recovered from the page cache")
    }

    func testIntervalPolicyFlushesWhenTheIntervalPasses() throws {
        let fileIO = FaultyFileIO()
        let (manager, log) = try self.openLog(.interval(milliseconds: 1_000), fileIO: fileIO)
        defer { try? manager.close() }
        try self.appendBatches(log, count: 1)
        let syncsBefore = fileIO.counters.fileSyncCount
        Thread.sleep(forTimeInterval: 0.2)
        XCTAssertEqual(fileIO.counters.fileSyncCount, syncsBefore, "the manual clock has not moved")
        self.clock.advance(byMs: 1_000)
        let deadline = Date().addingTimeInterval(5)
        while log.durableOffset < Offset(1) && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.02)
        }
        XCTAssertEqual(log.durableOffset, Offset(1))
        XCTAssertGreaterThan(fileIO.counters.fileSyncCount, syncsBefore)
    }

    func testNeverPolicyStillSyncsWhenASegmentRolls() throws {
        let fileIO = FaultyFileIO()
        let config = LogConfig(segmentSizeBytes: 1_000, fsyncPolicy: .never, batchSizeBytesMax: 500)
        let manager = try self.openManager(config: config, fileIO: fileIO)
        defer { try? manager.close() }
        try manager.createTopic("payments", partitionCount: 1)
        let log = try XCTUnwrap(manager.partition(self.topicPartition))
        let syncsBefore = fileIO.counters.fileSyncCount
        try self.appendBatches(log, count: 5)
        XCTAssertEqual(fileIO.counters.fileSyncCount, syncsBefore)
        try self.appendBatches(log, count: 20)
        XCTAssertGreaterThan(fileIO.counters.fileSyncCount, syncsBefore)
        XCTAssertGreaterThan(log.durableOffset, .zero, "a rolled segment is durable")
    }
}
