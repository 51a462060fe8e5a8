import Foundation
import SluiceModel
import XCTest

@testable import LogStore

final class LogManagerTests: LogStoreTestCase {
    func testTopicsPersistAcrossRestarts() throws {
        let custom = LogConfig(retentionMs: nil, retentionSizeBytes: 10_000_000, fsyncPolicy: .always)
        do {
            let manager = try self.openManager()
            try manager.createTopic("orders", partitionCount: 3)
            try manager.createTopic("audit.log_v2-x", partitionCount: 1, config: custom)
            XCTAssertEqual(manager.topicNames(), ["audit.log_v2-x", "orders"])
            let log = try XCTUnwrap(manager.partition(TopicPartition(topic: "orders", partition: PartitionID(2))))
            try self.appendBatches(log, count: 4)
            try manager.close()
        }
        let manager = try self.openManager()
        defer { try? manager.close() }
        XCTAssertEqual(manager.topicNames(), ["audit.log_v2-x", "orders"])
        XCTAssertEqual(manager.topic("orders"), TopicInfo(name: "orders", partitionCount: 3, config: LogConfig()))
        XCTAssertEqual(manager.topic("audit.log_v2-x")?.config, custom)
        let orders2 = manager.partition(TopicPartition(topic: "orders", partition: PartitionID(2)))
        XCTAssertEqual(orders2?.logEndOffset, Offset(4))
        XCTAssertNil(manager.partition(TopicPartition(topic: "orders", partition: PartitionID(3))))
        XCTAssertNil(manager.topic("missing"))
    }

    func testDeletedTopicsStayDeleted() throws {
        do {
            let manager = try self.openManager()
            try manager.createTopic("doomed", partitionCount: 2)
            let log = try XCTUnwrap(manager.partition(TopicPartition(topic: "doomed", partition: PartitionID(0))))
            try self.appendBatches(log, count: 3)
            let slice = try XCTUnwrap(log.read(from: .zero, maxBytes: 10_000, minOneBatch: true).slice)
            try manager.deleteTopic("doomed")
            XCTAssertEqual(manager.topicNames(), [])
            XCTAssertNil(manager.partition(TopicPartition(topic: "doomed", partition: PartitionID(0))))
            XCTAssertEqual(try slice.readBytes().batchBaseOffsets, [0, 1, 2], "an in-flight read survives")
            self.assertStorageError(.closed) { try self.appendBatches(log, count: 1) }
            self.assertStorageError(.unknownTopic) { try manager.deleteTopic("doomed") }
            try manager.createTopic("doomed", partitionCount: 1)
            let recreated = manager.partition(TopicPartition(topic: "doomed", partition: PartitionID(0)))
            XCTAssertEqual(recreated?.logEndOffset, .zero)
            try manager.deleteTopic("doomed")
            try manager.close()
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: self.dataDirectory + "/deleting"), [])
        let manager = try self.openManager()
        defer { try? manager.close() }
        XCTAssertEqual(manager.topicNames(), [])
    }

    func testInvalidRequestsAreRefused() throws {
        let manager = try self.openManager()
        defer { try? manager.close() }
        for name in ["", ".", "..", "has space", "slash/name", "ümlaut", String(repeating: "a", count: 250)] {
            self.assertStorageError(.invalidTopicName) { try manager.createTopic(name, partitionCount: 1) }
        }
        XCTAssertNoThrow(try manager.createTopic(String(repeating: "a", count: 249), partitionCount: 1))
        self.assertStorageError(.invalidPartitionCount) { try manager.createTopic("zero", partitionCount: 0) }
        self.assertStorageError(.invalidConfig) {
            try manager.createTopic("tiny", partitionCount: 1, config: LogConfig(segmentSizeBytes: 10))
        }
        try manager.createTopic("once", partitionCount: 1)
        self.assertStorageError(.topicAlreadyExists) { try manager.createTopic("once", partitionCount: 2) }
        self.assertStorageError(.unknownTopic) { try manager.deleteTopic("never-created") }
    }

    func testInterruptedCreationsAndDeletionsAreCleanedUpAtOpen() throws {
        do {
            let manager = try self.openManager()
            try manager.createTopic("kept", partitionCount: 1)
            try manager.close()
        }
        let fileManager = FileManager.default
        // A creation that stopped before topic.conf was written, and a deletion that stopped after the rename.
        let data = self.dataDirectory
        try fileManager.createDirectory(atPath: data + "/topics/half/0", withIntermediateDirectories: true)
        try fileManager.createDirectory(atPath: data + "/deleting/gone-1/0", withIntermediateDirectories: true)
        _ = fileManager.createFile(atPath: data + "/deleting/gone-1/0/00000000000000000000.log", contents: Data([1]))
        let manager = try self.openManager()
        defer { try? manager.close() }
        XCTAssertEqual(manager.topicNames(), ["kept"])
        XCTAssertFalse(fileManager.fileExists(atPath: self.dataDirectory + "/topics/half"))
        XCTAssertEqual(try fileManager.contentsOfDirectory(atPath: self.dataDirectory + "/deleting"), [])
    }

    func testCheckpointRecordsDurableOffsets() throws {
        let manager = try self.openManager()
        defer { try? manager.close() }
        try manager.createTopic("ledger", partitionCount: 2)
        let log = try XCTUnwrap(manager.partition(TopicPartition(topic: "ledger", partition: PartitionID(1))))
        try self.appendBatches(log, count: 5)
        try manager.flushAll()
        let path = self.dataDirectory + "/recovery-point-offset-checkpoint"
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let text = String(decoding: bytes, as: UTF8.self)
        XCTAssertTrue(text.hasPrefix("#sluice:1 "), text)
        XCTAssertTrue(text.hasSuffix("\n0\n2\nledger 0 0\nledger 1 5\n"), text)
        XCTAssertEqual(
            try RecoveryCheckpointFile.parse(bytes),
            [
                TopicPartition(topic: "ledger", partition: PartitionID(0)): .zero,
                TopicPartition(topic: "ledger", partition: PartitionID(1)): Offset(5),
            ]
        )
        XCTAssertThrowsError(try RecoveryCheckpointFile.parse(Array("0\n3\nledger 0 0\n".utf8)))
    }
}
