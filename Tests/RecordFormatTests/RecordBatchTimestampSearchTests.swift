import XCTest
import RecordFormat

final class RecordBatchTimestampSearchTests: XCTestCase {
    func testFindsFirstRecordAtOrAfterTimestamp() throws {
        // Timestamps out of order, as producers may send them: 100, 300, 200, 300, 50.
        let timestamps: [Int64] = [100, 300, 200, 300, 50]
        let records = timestamps.enumerated().map { index, timestampMs in
            Record(offset: 20 + Int64(index), timestampMs: timestampMs, value: [UInt8(index)])
        }
        for codec in CompressionCodec.allCases {
            let batch = try TestBatches.build(records, compression: codec, baseOffset: 20)
            XCTAssertEqual(try self.search(10, in: batch), 20, "\(codec)")
            XCTAssertEqual(try self.search(100, in: batch), 20, "\(codec)")
            XCTAssertEqual(try self.search(101, in: batch), 21, "\(codec)")
            XCTAssertEqual(try self.search(200, in: batch), 21, "\(codec)")
            XCTAssertEqual(try self.search(300, in: batch), 21, "\(codec)")
            XCTAssertNil(try self.search(301, in: batch), "\(codec)")
        }
    }

    func testEmptyBatchHasNoMatch() throws {
        var builder = RecordBatchBuilder()
        let batch = try builder.finish()
        XCTAssertNil(try self.search(Int64.min, in: batch))
    }

    func testLogAppendTimeBatchMatchesItsFirstRecordOrNothing() throws {
        var batch = try TestBatches.build(TestBatches.manyRecords(count: 10, baseOffset: 5), baseOffset: 5)
        batch.withUnsafeMutableBytes { bytes in
            bytes.writeBigEndian(Int16(1 << 3), at: RecordBatchHeader.attributesOffset)
            bytes.writeBigEndian(Int64(9_000), at: RecordBatchHeader.maxTimestampOffset)
        }
        TestBatches.restamp(&batch)
        XCTAssertEqual(try self.search(9_000, in: batch), 5)
        XCTAssertNil(try self.search(9_001, in: batch))
    }

    func testCorruptBatchThrows() throws {
        var batch = try TestBatches.build(TestBatches.manyRecords(count: 10))
        batch[batch.count - 1] ^= 1
        XCTAssertThrowsError(try self.search(0, in: batch))
    }

    private func search(_ timestampMs: Int64, in batch: [UInt8]) throws -> Int64? {
        try TestBatches.withBytes(batch) { bytes in
            try RecordBatchTimestampSearch.firstOffset(atOrAfterTimestampMs: timestampMs, inBatch: bytes)
        }
    }
}
