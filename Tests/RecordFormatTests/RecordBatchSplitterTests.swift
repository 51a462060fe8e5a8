import XCTest
import RecordFormat

final class RecordBatchSplitterTests: XCTestCase {
    func testSplitsConcatenatedBatchesAndStopsAtAPartialOne() throws {
        let batches = try CompressionCodec.allCases.enumerated().map { index, codec in
            try TestBatches.build(
                TestBatches.manyRecords(count: 20, baseOffset: Int64(index * 20)), compression: codec,
                baseOffset: Int64(index * 20)
            )
        }
        let whole = batches.reduce([], +)
        // Every cut, from inside the header of the last batch to one byte short of it, is tolerated.
        let lastStart = whole.count - batches.last!.count
        for cut in [lastStart, lastStart + 1, lastStart + 11, lastStart + 17, lastStart + 61, whole.count - 1] {
            let split = try TestBatches.withBytes(Array(whole.prefix(cut))) { try RecordBatchSplitter.split($0) }
            XCTAssertEqual(split.batchRanges.count, batches.count - 1, "cut at \(cut)")
            XCTAssertEqual(split.trailingPartialSizeBytes, cut - lastStart, "cut at \(cut)")
        }
        let split = try TestBatches.withBytes(whole) { try RecordBatchSplitter.split($0) }
        XCTAssertEqual(split.batchRanges.count, batches.count)
        XCTAssertEqual(split.trailingPartialSizeBytes, 0)
        var offsets: [Int64] = []
        for range in split.batchRanges {
            offsets += try RecordBatchDecoder.decodeRecords(inBatch: Array(whole[range])).map(\.offset)
        }
        XCTAssertEqual(offsets, Array(0..<Int64(20 * batches.count)))
    }

    func testEmptyInputHasNoBatches() throws {
        let split = try TestBatches.withBytes([]) { try RecordBatchSplitter.split($0) }
        XCTAssertEqual(split.batchRanges, [])
        XCTAssertEqual(split.trailingPartialSizeBytes, 0)
    }

    func testCompleteHeaderWithOldMagicThrows() throws {
        var batch = try TestBatches.build(TestBatches.variedRecords())
        batch[RecordBatchHeader.magicOffset] = 1
        XCTAssertThrowsError(try TestBatches.withBytes(batch) { try RecordBatchSplitter.split($0) })
    }
}
