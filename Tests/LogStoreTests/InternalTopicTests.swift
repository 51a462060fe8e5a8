import Foundation
import SluiceModel
import XCTest

@testable import LogStore

/// Internal topics (`__` names) belong to the broker: the storage layer itself refuses to create them or
/// append to them through the public entry points, whoever the caller is.
final class InternalTopicTests: LogStoreTestCase {
    func testInternalTopicsAreCreatedAndWrittenOnlyThroughTheInternalEntryPoints() throws {
        let manager = try self.openManager()
        defer { try? manager.close() }
        self.assertStorageError(.internalTopic) { try manager.createTopic("__consumer_offsets.0", partitionCount: 1) }
        self.assertStorageError(.internalTopic) { try manager.createTopic("__x", partitionCount: 1) }
        XCTAssertEqual(manager.topicNames(), [], "a refused creation leaves nothing")

        try manager.createInternalTopic("__consumer_offsets.0", partitionCount: 1)
        let log = try XCTUnwrap(manager.partition(TopicPartition(topic: "__consumer_offsets.0", partition: PartitionID(0))))
        XCTAssertTrue(log.isInternal)
        let batch = TestBatch.make()
        self.assertStorageError(.internalTopic) { _ = try batch.withUnsafeBytes { try log.append($0) } }
        XCTAssertEqual(log.logEndOffset, .zero, "a refused append writes nothing")
        _ = try batch.withUnsafeBytes { try log.appendInternal($0) }
        XCTAssertEqual(log.logEndOffset, Offset(1))
    }

    func testOrdinaryTopicsTakeBothEntryPoints() throws {
        let manager = try self.openManager()
        defer { try? manager.close() }
        try manager.createTopic("orders", partitionCount: 1)
        let log = try XCTUnwrap(manager.partition(TopicPartition(topic: "orders", partition: PartitionID(0))))
        XCTAssertFalse(log.isInternal)
        try self.appendBatches(log, count: 1)
        _ = try TestBatch.make().withUnsafeBytes { try log.appendInternal($0) }
        XCTAssertEqual(log.logEndOffset, Offset(2))
    }
}
