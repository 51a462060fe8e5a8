import XCTest
import RecordFormat

final class RecordBatchValidatorTests: XCTestCase {
    func testAcceptsBuiltBatches() throws {
        for codec in CompressionCodec.allCases {
            let batch = try TestBatches.build(TestBatches.manyRecords(count: 100), compression: codec)
            XCTAssertNoThrow(try TestBatches.withBytes(batch) { try RecordBatchValidator.validate($0) }, "\(codec)")
        }
    }

    func testRejectsAnyFlippedByteUnderTheChecksum() throws {
        let batch = try TestBatches.build(TestBatches.variedRecords(), compression: .none)
        for index in RecordBatchHeader.crcOffset..<batch.count {
            var corrupted = batch
            corrupted[index] ^= 0x01
            XCTAssertThrowsError(try self.validate(corrupted), "byte \(index)")
        }
    }

    func testFlippedBaseOffsetKeepsTheChecksumValid() throws {
        // The base offset is outside the CRC so the broker can assign offsets without recomputing it.
        var batch = try TestBatches.build(TestBatches.variedRecords())
        batch.withUnsafeMutableBytes { RecordBatchValidator.setBaseOffset(1 << 40, in: $0) }
        XCTAssertEqual(try self.validate(batch).baseOffset, 1 << 40)
        XCTAssertEqual(try RecordBatchDecoder.decodeRecords(inBatch: batch).first?.offset, 1 << 40)
    }

    func testChecksumMismatchReportsBothValues() throws {
        var batch = try TestBatches.build(TestBatches.variedRecords())
        batch[batch.count - 1] ^= 0xFF
        XCTAssertThrowsError(try self.validate(batch)) { error in
            guard case .checksumMismatch = error as? RecordFormatError else { return XCTFail("\(error)") }
        }
    }

    func testRejectsTruncatedBatch() throws {
        let batch = try TestBatches.build(TestBatches.variedRecords())
        for keptBytes in [0, 10, 16, 17, 60, 61, batch.count - 1] {
            XCTAssertThrowsError(try self.validate(Array(batch.prefix(keptBytes))), "\(keptBytes) bytes") { error in
                guard case .truncated = error as? RecordFormatError else { return XCTFail("\(keptBytes): \(error)") }
            }
        }
    }

    func testRejectsOldMagic() throws {
        for magic: UInt8 in [0, 1, 3] {
            var batch = try TestBatches.build(TestBatches.variedRecords())
            batch[RecordBatchHeader.magicOffset] = magic
            XCTAssertThrowsError(try self.validate(batch)) { error in
                XCTAssertEqual(error as? RecordFormatError, .unsupportedMagic(Int8(magic)))
            }
        }
    }

    func testRejectsBadLengths() throws {
        let batch = try TestBatches.build(TestBatches.variedRecords())
        for length: Int32 in [-1, 0, 48, Int32.max] {
            var corrupted = batch
            corrupted.withUnsafeMutableBytes { $0.writeBigEndian(length, at: 8) }
            XCTAssertThrowsError(try self.validate(corrupted), "length \(length)")
        }
        // A length one byte longer than the data present is a truncation.
        var longer = batch
        longer.withUnsafeMutableBytes { $0.writeBigEndian(Int32(batch.count - 12 + 1), at: 8) }
        XCTAssertThrowsError(try self.validate(longer))
    }

    func testRejectsUnknownCompressionEvenWithAValidChecksum() throws {
        var batch = try TestBatches.build(TestBatches.variedRecords())
        batch.withUnsafeMutableBytes { $0.writeBigEndian(Int16(7), at: RecordBatchHeader.attributesOffset) }
        TestBatches.restamp(&batch)
        XCTAssertThrowsError(try self.validate(batch)) { error in
            XCTAssertEqual(error as? RecordFormatError, .unknownCompression(7))
        }
    }

    func testDecoderRejectsRecordCountDisagreeingWithRecords() throws {
        var batch = try TestBatches.build(TestBatches.variedRecords())
        // Claim five records where four are encoded (lastOffsetDelta grows with it to stay consistent).
        batch.withUnsafeMutableBytes { bytes in
            bytes.writeBigEndian(Int32(5), at: 57)
            bytes.writeBigEndian(Int32(4), at: 23)
        }
        TestBatches.restamp(&batch)
        XCTAssertThrowsError(try RecordBatchDecoder.decodeRecords(inBatch: batch))
        // And claim three: the fourth record's bytes are left over.
        batch.withUnsafeMutableBytes { $0.writeBigEndian(Int32(3), at: 57) }
        TestBatches.restamp(&batch)
        XCTAssertThrowsError(try RecordBatchDecoder.decodeRecords(inBatch: batch))
    }

    func testDecoderRejectsCorruptRecordsUnderAValidChecksum() throws {
        let batch = try TestBatches.build(TestBatches.variedRecords())
        var generator = SeededGenerator(seed: 5)
        // Random edits with a recomputed CRC reach the record parser; it must throw or decode, never trap.
        for _ in 0..<2_000 {
            var corrupted = batch
            let index = Int.random(in: RecordBatchHeader.sizeBytes..<batch.count, using: &generator)
            corrupted[index] = UInt8.random(in: 0...255, using: &generator)
            TestBatches.restamp(&corrupted)
            _ = try? RecordBatchDecoder.decodeRecords(inBatch: corrupted)
        }
    }

    func testDecoderRejectsBombInsideABatch() throws {
        let records = [Record(timestampMs: 0, value: Array(repeating: 0, count: 2 * 1024 * 1024))]
        let batch = try TestBatches.build(records, compression: .zstd)
        XCTAssertLessThan(batch.count, 64 * 1024)
        XCTAssertThrowsError(try TestBatches.withBytes(batch) { bytes in
            try RecordBatchDecoder.decodeRecords(inBatch: bytes, decompressedSizeBytesMax: 1024 * 1024)
        })
    }

    private func validate(_ batch: [UInt8]) throws -> RecordBatchHeader {
        try TestBatches.withBytes(batch) { try RecordBatchValidator.validate($0) }
    }
}
