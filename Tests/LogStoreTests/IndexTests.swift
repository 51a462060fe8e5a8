import SluiceModel
import XCTest

@testable import LogStore

/// The sparse indexes checked against sorted reference arrays over seeded random appends, as Kafka's
/// OffsetIndexTest does.
final class IndexTests: LogStoreTestCase {
    func testOffsetIndexLookupsMatchASortedReference() throws {
        var random = SeededGenerator(seed: 42)
        let baseOffset = Offset(1_000)
        let index = try OffsetIndex(
            path: self.directory + "/a.index", baseOffset: baseOffset, entryCountMax: 5_000, fileIO: SystemFileIO()
        )
        try index.preallocate()
        var reference: [(offset: Offset, positionBytes: Int64)] = []
        var offset = baseOffset
        var position: Int64 = 0
        for _ in 0..<3_000 {
            offset = offset + Int64.random(in: 1...50, using: &random)
            position += Int64.random(in: 1...9_000, using: &random)
            try index.reserve(additionalEntries: 1)
            index.append(offset: offset, positionBytes: position)
            reference.append((offset, position))
        }
        XCTAssertEqual(index.entryCount, reference.count)
        for _ in 0..<5_000 {
            let target = Offset(Int64.random(in: 900...(offset.rawValue + 100), using: &random))
            let expected = reference.last { $0.offset <= target } ?? (baseOffset, 0)
            let found = index.lookup(target)
            XCTAssertEqual(found.offset, expected.offset, "lookup of \(target)")
            XCTAssertEqual(found.positionBytes, expected.positionBytes, "lookup of \(target)")
        }
        XCTAssertNil(index.sanityProblem(logSizeBytes: position + 1))
        XCTAssertNotNil(index.sanityProblem(logSizeBytes: position), "an entry at the log end is out of range")
    }

    func testTimeIndexKeepsOnlyIncreasingTimestampsAndMatchesAReference() throws {
        var random = SeededGenerator(seed: 7)
        let baseOffset = Offset(500)
        let index = try TimeIndex(
            path: self.directory + "/a.timeindex", baseOffset: baseOffset, entryCountMax: 5_000, fileIO: SystemFileIO()
        )
        try index.preallocate()
        var reference: [(timestampMs: Int64, offset: Offset)] = []
        var offset = baseOffset
        for _ in 0..<4_000 {
            offset = offset + Int64.random(in: 1...20, using: &random)
            // Producers' clocks wander: timestamps go up on average but often go back.
            let timestampMs = 1_000_000 + offset.rawValue * 10 + Int64.random(in: -400...400, using: &random)
            try index.reserve(additionalEntries: 1)
            index.appendIfGreater(timestampMs: timestampMs, offset: offset)
            if timestampMs > (reference.last?.timestampMs ?? Int64.min) { reference.append((timestampMs, offset)) }
        }
        XCTAssertEqual(index.entryCount, reference.count)
        XCTAssertLessThan(index.entryCount, 4_000)
        for _ in 0..<5_000 {
            let target = Int64.random(in: 990_000...(1_000_000 + offset.rawValue * 10 + 1_000), using: &random)
            let expected = reference.last { $0.timestampMs < target }?.offset ?? baseOffset
            XCTAssertEqual(index.lookupStart(forTimestampMs: target), expected, "lookup of \(target)")
        }
        XCTAssertNil(index.sanityProblem(nextOffset: offset + 1))
    }

    func testTrimmedIndexReopensWithItsEntriesAndAnUntrimmedOneIsDistrusted() throws {
        let path = self.directory + "/b.index"
        do {
            let index = try OffsetIndex(path: path, baseOffset: .zero, entryCountMax: 100, fileIO: SystemFileIO())
            try index.preallocate()
            for step in 1...10 {
                try index.reserve(additionalEntries: 1)
                index.append(offset: Offset(Int64(step * 3)), positionBytes: Int64(step * 100))
            }
            try index.trim()
        }
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int, 80)
        let reopened = try OffsetIndex(path: path, baseOffset: .zero, entryCountMax: 100, fileIO: SystemFileIO())
        XCTAssertEqual(reopened.entryCount, 10)
        XCTAssertNil(reopened.sanityProblem(logSizeBytes: 10_000))
        XCTAssertEqual(reopened.lookup(Offset(16)).positionBytes, 500)

        try reopened.preallocate()  // still preallocated when the broker "crashes"
        let untrimmed = try OffsetIndex(path: path, baseOffset: .zero, entryCountMax: 100, fileIO: SystemFileIO())
        XCTAssertNotNil(untrimmed.sanityProblem(logSizeBytes: 10_000))
    }
}
