import XCTest
import RecordFormat

final class RecordBatchRoundTripTests: XCTestCase {
    func testVariedRecordsRoundTripWithEveryCodec() throws {
        let records = TestBatches.variedRecords()
        for codec in CompressionCodec.allCases {
            let batch = try TestBatches.build(records, compression: codec)
            XCTAssertEqual(try RecordBatchDecoder.decodeRecords(inBatch: batch), records, "\(codec)")
        }
    }

    func testManyRecordsRoundTripWithEveryCodec() throws {
        let records = TestBatches.manyRecords(count: 5_000, baseOffset: 1_000)
        for codec in CompressionCodec.allCases {
            let batch = try TestBatches.build(records, compression: codec, baseOffset: 1_000)
            XCTAssertEqual(try RecordBatchDecoder.decodeRecords(inBatch: batch), records, "\(codec)")
        }
    }

    func testHeaderFieldsDescribeTheBatch() throws {
        var builder = RecordBatchBuilder(
            compression: .zstd, baseOffset: 100, producerId: 77, producerEpoch: 3, baseSequence: 9,
            partitionLeaderEpoch: 12, isTransactional: true
        )
        try builder.append(timestampMs: 5_000, key: nil, value: [1])
        try builder.append(timestampMs: 9_000, key: nil, value: [2])
        try builder.append(timestampMs: 4_000, key: nil, value: [3])
        let batch = try builder.finish()
        let header = try TestBatches.withBytes(batch) { try RecordBatchValidator.validate($0) }
        XCTAssertEqual(header.baseOffset, 100)
        XCTAssertEqual(header.totalSizeBytes, batch.count)
        XCTAssertEqual(header.partitionLeaderEpoch, 12)
        XCTAssertEqual(header.attributes.compression, .zstd)
        XCTAssertTrue(header.attributes.isTransactional)
        XCTAssertFalse(header.attributes.isLogAppendTime)
        XCTAssertEqual(header.lastOffsetDelta, 2)
        XCTAssertEqual(header.lastOffset, 102)
        XCTAssertEqual(header.baseTimestamp, 5_000, "the first record's timestamp, as Kafka writes it")
        XCTAssertEqual(header.maxTimestamp, 9_000)
        XCTAssertEqual(header.producerId, 77)
        XCTAssertEqual(header.producerEpoch, 3)
        XCTAssertEqual(header.baseSequence, 9)
        XCTAssertEqual(header.recordCount, 3)
        let decoded = try RecordBatchDecoder.decodeRecords(inBatch: batch)
        XCTAssertEqual(decoded.map(\.offset), [100, 101, 102])
        XCTAssertEqual(decoded.map(\.timestampMs), [5_000, 9_000, 4_000])
    }

    func testDefaultsAreThoseOfANonIdempotentProducer() throws {
        var builder = RecordBatchBuilder()
        try builder.append(timestampMs: 1, key: nil, value: nil)
        let batch = try builder.finish()
        let header = try TestBatches.withBytes(batch) { try RecordBatchValidator.validate($0) }
        XCTAssertEqual(header.baseOffset, 0)
        XCTAssertEqual(header.producerId, -1)
        XCTAssertEqual(header.producerEpoch, -1)
        XCTAssertEqual(header.baseSequence, -1)
        XCTAssertEqual(header.attributes.rawValue, 0)
    }

    func testOffsetGapsArePreserved() throws {
        // Compaction leaves gaps; decoding then re-encoding must give the same batch.
        let records = [
            Record(offset: 53, timestampMs: 10, key: [1], value: [1]),
            Record(offset: 57, timestampMs: 11, key: [2], value: nil),
        ]
        let batch = try TestBatches.build(records, compression: .lz4, baseOffset: 50)
        let decoded = try RecordBatchDecoder.decodeRecords(inBatch: batch)
        XCTAssertEqual(decoded, records)
        XCTAssertEqual(try TestBatches.build(decoded, compression: .lz4, baseOffset: 50), batch)
    }

    func testRecordsOutOfOffsetOrderAreRefused() throws {
        var builder = RecordBatchBuilder(baseOffset: 10)
        try builder.append(Record(offset: 11, timestampMs: 0, value: nil))
        XCTAssertThrowsError(try builder.append(Record(offset: 11, timestampMs: 0, value: nil)))
        XCTAssertThrowsError(try builder.append(Record(offset: 5, timestampMs: 0, value: nil)))
    }

    func testBuilderIsReusableAfterFinish() throws {
        var builder = RecordBatchBuilder(compression: .snappy)
        try builder.append(timestampMs: 1, key: [1], value: [1])
        let first = try builder.finish()
        XCTAssertTrue(builder.isEmpty)
        try builder.append(timestampMs: 2, key: [2], value: [2])
        try builder.append(timestampMs: 3, key: [3], value: [3])
        let second = try builder.finish()
        XCTAssertEqual(try RecordBatchDecoder.decodeRecords(inBatch: first).map(\.key), [[1]])
        XCTAssertEqual(try RecordBatchDecoder.decodeRecords(inBatch: second).map(\.offset), [0, 1])
        XCTAssertEqual(try RecordBatchDecoder.decodeRecords(inBatch: second).map(\.timestampMs), [2, 3])
    }

    func testEmptyBatchRoundTrips() throws {
        for codec in CompressionCodec.allCases {
            var builder = RecordBatchBuilder(compression: codec)
            let batch = try builder.finish()
            XCTAssertEqual(try RecordBatchDecoder.decodeRecords(inBatch: batch), [], "\(codec)")
        }
    }

    func testUncompressedSizeGrowsWithRecords() throws {
        var builder = RecordBatchBuilder(compression: .gzip)
        XCTAssertEqual(builder.uncompressedSizeBytes, RecordBatchHeader.sizeBytes)
        try builder.append(timestampMs: 0, key: nil, value: Array(repeating: 1, count: 100))
        XCTAssertGreaterThan(builder.uncompressedSizeBytes, RecordBatchHeader.sizeBytes + 100)
        XCTAssertEqual(builder.count, 1)
    }

    func testLogAppendTimeGivesEveryRecordTheMaxTimestamp() throws {
        var batch = try TestBatches.build(TestBatches.variedRecords(), compression: .gzip)
        self.setLogAppendTime(5_555, in: &batch)
        let decoded = try RecordBatchDecoder.decodeRecords(inBatch: batch)
        XCTAssertEqual(decoded.map(\.timestampMs), Array(repeating: 5_555, count: 4))
    }

    func testVisitorSeesViewsAndCanStop() throws {
        let batch = try TestBatches.build(TestBatches.variedRecords(baseOffset: 7), baseOffset: 7)
        var seenOffsets: [Int64] = []
        var headerKeys: [String] = []
        let header = try TestBatches.withBytes(batch) { bytes in
            try RecordBatchDecoder.forEachRecord(inBatch: bytes) { record in
                seenOffsets.append(record.offset)
                record.forEachHeader { key, _ in headerKeys.append(String(decoding: key, as: UTF8.self)) }
                return record.offset == 10 ? .stopVisiting : .continueVisiting
            }
        }
        XCTAssertEqual(header.recordCount, 4)
        XCTAssertEqual(seenOffsets, [7, 8, 9, 10])
        XCTAssertEqual(headerKeys, ["trace-id", "null-value", "", "ünïcödé"])
    }

    func testDecodesRecordsOfABatchFollowedByOtherBytes() throws {
        let batch = try TestBatches.build(TestBatches.variedRecords())
        let followed = batch + [1, 2, 3, 4]
        XCTAssertEqual(try RecordBatchDecoder.decodeRecords(inBatch: followed), TestBatches.variedRecords())
    }

    /// Turns a CreateTime batch into the LogAppendTime batch a broker would serve.
    private func setLogAppendTime(_ timestampMs: Int64, in batch: inout [UInt8]) {
        batch.withUnsafeMutableBytes { bytes in
            let attributes = bytes.readBigEndian(Int16.self, at: RecordBatchHeader.attributesOffset)
            bytes.writeBigEndian(attributes | (1 << 3), at: RecordBatchHeader.attributesOffset)
            bytes.writeBigEndian(timestampMs, at: RecordBatchHeader.maxTimestampOffset)
        }
        TestBatches.restamp(&batch)
    }
}
