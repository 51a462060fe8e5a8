import SluiceModel
import XCTest

@testable import LogStore

/// A seeded random sequence of appends, reads, timestamp lookups, clean restarts and crashes, checked
/// against a plain array of the batches appended (the way Redpanda's log fuzzer drives its log).
final class RandomOperationTests: LogStoreTestCase {
    private struct ReferenceBatch {
        var baseOffset: Int64
        var recordCount: Int
        var timestampMs: Int64
        var sizeBytes: Int
    }

    private let topicPartition = TopicPartition(topic: "fuzz", partition: PartitionID(0))
    private let config = LogConfig(
        segmentSizeBytes: 2_000, retentionMs: nil, indexIntervalBytes: 200, batchSizeBytesMax: 1_000
    )

    func testRandomOperationsAgreeWithAReferenceModel() throws {
        var random = SeededGenerator(seed: 2026)
        var reference: [ReferenceBatch] = []
        var manager: LogManager? = try self.openManager(config: self.config)
        try manager!.createTopic("fuzz", partitionCount: 1)
        for _ in 0..<600 {
            let log = try XCTUnwrap(manager!.partition(self.topicPartition))
            switch Int.random(in: 0..<100, using: &random) {
            case 0..<55:
                try self.appendRandomRequest(to: log, reference: &reference, random: &random)
            case 55..<85:
                try self.readRandomly(from: log, reference: reference, random: &random)
            case 85..<92:
                let timestampMs = Int64.random(in: 0...(Int64(reference.count) * 10 + 20), using: &random)
                let expected = reference.first { $0.timestampMs >= timestampMs }.map { Offset($0.baseOffset) }
                XCTAssertEqual(try log.offset(forTimestampMs: timestampMs), expected, "timestamp \(timestampMs)")
            case 92..<96:
                try manager!.close()
                manager = try self.openManager(config: self.config)
            default:
                if Bool.random(using: &random) { try manager!.flushAll() }
                manager = nil  // a crash: no close, no marker; the page cache keeps what was written
                manager = try self.openManager(config: self.config)
            }
        }
        let log = try XCTUnwrap(manager!.partition(self.topicPartition))
        XCTAssertEqual(log.logEndOffset.rawValue, reference.last.map { $0.baseOffset + Int64($0.recordCount) } ?? 0)
        var offset = Offset.zero
        var readOffsets: [Int64] = []
        while offset < log.logEndOffset {
            let bytes = try XCTUnwrap(log.read(from: offset, maxBytes: 1 << 20, minOneBatch: true).slice).readBytes()
            readOffsets += bytes.batchBaseOffsets
            let last = try XCTUnwrap(reference.first { $0.baseOffset == readOffsets.last })
            offset = Offset(last.baseOffset + Int64(last.recordCount))
        }
        XCTAssertEqual(readOffsets, reference.map(\.baseOffset))
        try manager!.close()
    }

    private func appendRandomRequest(
        to log: PartitionLog, reference: inout [ReferenceBatch], random: inout SeededGenerator
    ) throws {
        var request: [UInt8] = []
        var added: [ReferenceBatch] = []
        var nextOffset = log.logEndOffset.rawValue
        for _ in 0..<Int.random(in: 1...3, using: &random) {
            let recordCount = Int.random(in: 1...5, using: &random)
            // Roughly increasing timestamps that sometimes go back, as producers' clocks do.
            let timestampMs = Int64(reference.count + added.count) * 10 + Int64.random(in: -15...15, using: &random)
            let batch = TestBatch.make(
                recordCount: recordCount, timestampMs: timestampMs,
                valueSizeBytes: Int.random(in: 0...100, using: &random)
            )
            added.append(ReferenceBatch(
                baseOffset: nextOffset, recordCount: recordCount, timestampMs: timestampMs, sizeBytes: batch.count
            ))
            nextOffset += Int64(recordCount)
            request += batch
        }
        let result = try request.withUnsafeBytes { try log.append($0) }
        XCTAssertEqual(result.firstOffset.rawValue, added[0].baseOffset)
        XCTAssertEqual(result.lastOffset.rawValue, nextOffset - 1)
        reference += added
    }

    private func readRandomly(
        from log: PartitionLog, reference: [ReferenceBatch], random: inout SeededGenerator
    ) throws {
        let endOffset = log.logEndOffset.rawValue
        let offset = Int64.random(in: 0...endOffset, using: &random)
        let maxBytes = Int.random(in: 50...3_000, using: &random)
        let minOneBatch = Bool.random(using: &random)
        let result = try log.read(from: Offset(offset), maxBytes: maxBytes, minOneBatch: minOneBatch)
        XCTAssertEqual(result.highWatermark.rawValue, endOffset)
        guard let containing = reference.firstIndex(where: { offset < $0.baseOffset + Int64($0.recordCount) }) else {
            XCTAssertNil(result.slice, "nothing to read at the log end")
            return
        }
        guard let slice = result.slice else {
            XCTAssertTrue(!minOneBatch && reference[containing].sizeBytes > maxBytes, "read at \(offset) found nothing")
            return
        }
        let offsets = try slice.readBytes().batchBaseOffsets
        let expected = reference[containing..<(containing + offsets.count)]
        XCTAssertEqual(offsets, expected.map(\.baseOffset), "read at \(offset)")
        XCTAssertTrue(slice.sizeBytes <= maxBytes || (offsets.count == 1 && minOneBatch), "read at \(offset) too big")
    }
}
