import RecordFormat
import XCTest

/// Transaction markers: Kafka's control record layout, the attribute bits, and what is refused.
final class ControlBatchTests: XCTestCase {
    func testMarkerRoundTripsWithKafkasLayout() throws {
        for type in [ControlBatch.MarkerType.abort, .commit] {
            let marker = ControlBatch(type: type, producerId: 4242, producerEpoch: 3, coordinatorEpoch: 17)
            let bytes = marker.encode(timestampMs: 1_700_000_000_000)
            let header = try bytes.withUnsafeBytes { try RecordBatchValidator.validate($0) }
            XCTAssertTrue(header.attributes.isControl)
            XCTAssertTrue(header.attributes.isTransactional)
            XCTAssertEqual(header.producerId, 4242)
            XCTAssertEqual(header.producerEpoch, 3)
            XCTAssertEqual(header.baseSequence, -1)
            XCTAssertEqual(header.recordCount, 1)
            XCTAssertLessThanOrEqual(bytes.count, ControlBatch.sizeBytesMax)
            let records = try RecordBatchDecoder.decodeRecords(inBatch: bytes)
            XCTAssertEqual(records.first?.key, [0, 0, 0, UInt8(type.rawValue)], "key: version 0, type")
            XCTAssertEqual(records.first?.value, [0, 0, 0, 0, 0, 17], "value: version 0, coordinator epoch")
            XCTAssertEqual(try bytes.withUnsafeBytes { try ControlBatch(parsing: $0) }, marker)
        }
    }

    func testDataBatchesAndUnknownControlTypesAreNotMarkers() throws {
        var builder = RecordBatchBuilder(producerId: 1, producerEpoch: 0, baseSequence: 0, isTransactional: true)
        try builder.append(timestampMs: 0, key: [0, 0, 0, 1], value: nil)
        let data = try builder.finish()
        XCTAssertThrowsError(try data.withUnsafeBytes { try ControlBatch(parsing: $0) })
        // A control batch whose key names KRaft's LEADER_CHANGE (type 2).
        var leaderChange = try builder.finish()
        var other = RecordBatchBuilder(producerId: 1, producerEpoch: 0, baseSequence: -1, isTransactional: true)
        try other.append(timestampMs: 0, key: [0, 0, 0, 2], value: nil)
        leaderChange = try other.finish()
        leaderChange.withUnsafeMutableBytes { bytes in
            bytes.writeBigEndian(RecordBatchAttributes(isTransactional: true, isControl: true).rawValue, at: 21)
            RecordBatchValidator.stampChecksum(bytes)
        }
        XCTAssertThrowsError(try leaderChange.withUnsafeBytes { try ControlBatch(parsing: $0) })
    }
}
