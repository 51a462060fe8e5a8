import Foundation
import SluiceModel
import XCTest

@testable import LogStore

/// The envelope of the small state files: round trip, damage detected, files of the previous version still read.
final class ChecksummedFileTests: LogStoreTestCase {
    func testRoundTripAndHeaderLayout() throws {
        let payload = Array("0\n1\norders 0 12\n".utf8)
        let bytes = ChecksummedFile.wrap(payload)
        XCTAssertEqual(Array(bytes[0..<ChecksummedFile.versionOffset]), ChecksummedFile.magic)
        XCTAssertEqual(bytes[ChecksummedFile.newlineOffset], UInt8(ascii: "\n"))
        XCTAssertEqual(bytes.count, ChecksummedFile.headerSizeBytes + payload.count)
        XCTAssertEqual(try ChecksummedFile.unwrap(bytes, path: "x"), .init(payload: payload, isLegacy: false))
    }

    func testEveryFlippedByteIsDetected() throws {
        let bytes = ChecksummedFile.wrap(Array("version=1\npartitions=3\n".utf8))
        for position in ChecksummedFile.versionOffset..<bytes.count {
            var damaged = bytes
            damaged[position] ^= 0x04
            XCTAssertThrowsError(try ChecksummedFile.unwrap(damaged, path: "x"), "byte \(position)") { error in
                XCTAssertEqual((error as? StorageError)?.code, .corruptFile)
            }
        }
    }

    func testFilesOfThePreviousVersionStillLoad() throws {
        let checkpoint = Array("0\n1\norders 0 12\n".utf8)
        XCTAssertEqual(
            try RecoveryCheckpointFile.parse(checkpoint),
            [TopicPartition(topic: "orders", partition: PartitionID(0)): Offset(12)]
        )
        let topic = try TopicConfigFile(parsing: Array("# sluice topic configuration\nversion=1\npartitions=3\n".utf8), path: "t")
        XCTAssertEqual(topic.partitionCount, 3)
        XCTAssertEqual(try ChecksummedFile.unwrap(Array("[]".utf8), path: "x"), .init(payload: Array("[]".utf8), isLegacy: true))
    }

    func testStateFilesRoundTripInTheEnvelope() throws {
        let points = [TopicPartition(topic: "a", partition: PartitionID(1)): Offset(7)]
        XCTAssertEqual(try RecoveryCheckpointFile.parse(RecoveryCheckpointFile.serialize(points)), points)
        let topic = TopicConfigFile(partitionCount: 2, config: LogConfig(segmentSizeBytes: 4096), defaults: LogConfig())
        XCTAssertEqual(try TopicConfigFile(parsing: topic.serialized(), path: "t"), topic)
    }

    func testDamagedTopicConfigOpensThePartitionsOnDiskWithoutRetention() throws {
        do {
            let manager = try self.openManager()
            try manager.createTopic("orders", partitionCount: 3)
            try self.appendBatches(try XCTUnwrap(manager.partition(TopicPartition(topic: "orders", partition: PartitionID(2)))), count: 3)
            try manager.close()
        }
        let path = self.dataDirectory + "/topics/orders/topic.conf"
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[bytes.count - 3] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let manager = try self.openManager()
        defer { try? manager.close() }
        let info = try XCTUnwrap(manager.topic("orders"))
        XCTAssertEqual(info.partitionCount, 3)
        XCTAssertNil(info.config.retentionMs)
        XCTAssertEqual(manager.partition(TopicPartition(topic: "orders", partition: PartitionID(2)))?.logEndOffset, Offset(3))
        XCTAssertTrue(self.events.contains("state file is damaged"), "\(self.events.events)")
    }

    func testDamagedProducerIdBlockContinuesAboveEveryEarlierId() throws {
        let manager = try self.openManager()
        defer { try? manager.close() }
        let first = try manager.makeProducerIdAllocator().allocate()
        XCTAssertEqual(first, 0)
        let path = self.dataDirectory + "/" + ProducerIdAllocator.fileName
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[bytes.count - 2] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let next = try manager.makeProducerIdAllocator().allocate()
        XCTAssertGreaterThanOrEqual(next, self.clock.wallTimeMs() * ProducerIdAllocator.damagedFileIdsPerMs)
        XCTAssertTrue(self.events.contains("producer ids continue from"), "\(self.events.events)")
        // The old format, two bare lines, still loads.
        try Data("1\n5000\n".utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertEqual(try manager.makeProducerIdAllocator().allocate(), 5000)
    }
}
