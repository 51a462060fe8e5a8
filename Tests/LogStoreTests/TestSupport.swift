import Foundation
import RecordFormat
import SluiceModel
import XCTest

@testable import LogStore

/// Builds valid v2 record batches by hand: the 61-byte header, then `recordCount` trivial uncompressed records
/// (no key, a value of `valueSizeBytes` bytes, no headers), with the CRC stamped by RecordBatchValidator.
enum TestBatch {
    static func make(
        recordCount: Int = 1, timestampMs: Int64 = 1_700_000_000_000, valueSizeBytes: Int = 10, baseOffset: Int64 = 0
    ) -> [UInt8] {
        var records: [UInt8] = []
        for index in 0..<recordCount {
            var body: [UInt8] = [0]  // attributes
            appendVarint(0, to: &body)  // timestamp delta
            appendVarint(Int64(index), to: &body)  // offset delta
            appendVarint(-1, to: &body)  // key length: null
            appendVarint(Int64(valueSizeBytes), to: &body)
            body += [UInt8](repeating: UInt8(truncatingIfNeeded: index + 65), count: valueSizeBytes)
            appendVarint(0, to: &body)  // header count
            appendVarint(Int64(body.count), to: &records)
            records += body
        }
        var bytes = [UInt8](repeating: 0, count: RecordBatchHeader.sizeBytes + records.count)
        let header = RecordBatchHeader(
            baseOffset: baseOffset, batchLengthBytes: Int32(bytes.count - RecordBatchHeader.logOverheadBytes),
            partitionLeaderEpoch: 0, magic: 2, crc: 0, attributes: RecordBatchAttributes(),
            lastOffsetDelta: Int32(recordCount - 1), baseTimestamp: timestampMs, maxTimestamp: timestampMs,
            producerId: -1, producerEpoch: -1, baseSequence: -1, recordCount: Int32(recordCount)
        )
        bytes.withUnsafeMutableBytes { buffer in
            header.write(into: buffer)
            UnsafeMutableRawBufferPointer(rebasing: buffer[RecordBatchHeader.sizeBytes...]).copyBytes(from: records)
            RecordBatchValidator.stampChecksum(buffer)
        }
        return bytes
    }

    private static func appendVarint(_ value: Int64, to bytes: inout [UInt8]) {
        var zigzag = UInt64(bitPattern: (value << 1) ^ (value >> 63))
        while zigzag >= 0x80 {
            bytes.append(UInt8(zigzag & 0x7F) | 0x80)
            zigzag >>= 7
        }
        bytes.append(UInt8(zigzag))
    }
}

/// A seeded random number generator (SplitMix64), so random tests repeat.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        self.state = seed
    }

    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var value = self.state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}

/// Collects storage events for assertions.
final class EventRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: [String] = []

    var handler: @Sendable (String) -> Void {
        { [self] event in
            self.lock.lock()
            self.recorded.append(event)
            self.lock.unlock()
        }
    }

    var events: [String] {
        self.lock.lock()
        defer { self.lock.unlock() }
        return self.recorded
    }

    func contains(_ text: String) -> Bool {
        self.events.contains { $0.contains(text) }
    }
}

/// A fresh temporary directory per test, removed afterwards.
class LogStoreTestCase: XCTestCase {
    var directory = ""
    let clock = ManualClock()
    let events = EventRecorder()

    override func setUpWithError() throws {
        self.directory = NSTemporaryDirectory() + "logstore-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: self.directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: self.directory)
    }

    var dataDirectory: String { self.directory + "/data" }

    func openManager(
        config: LogConfig = LogConfig(), fileIO: FileIO = SystemFileIO(), events: EventRecorder? = nil
    ) throws -> LogManager {
        try LogManager(
            dataDirectory: self.dataDirectory, defaultConfig: config, clock: self.clock, fileIO: fileIO,
            onEvent: (events ?? self.events).handler
        )
    }

    func partitionDirectory(_ topic: String, _ partition: Int = 0) -> String {
        self.dataDirectory + "/topics/\(topic)/\(partition)"
    }

    func files(in directory: String, withSuffix suffix: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(suffix) }.sorted()
    }

    /// Appends `count` one-record batches, each stamped with the clock's current time.
    @discardableResult
    func appendBatches(_ log: PartitionLog, count: Int, valueSizeBytes: Int = 10, timestampMs: Int64? = nil) throws
        -> [AppendResult]
    {
        try (0..<count).map { _ in
            let batch = TestBatch.make(
                timestampMs: timestampMs ?? self.clock.wallTimeMs(), valueSizeBytes: valueSizeBytes
            )
            return try batch.withUnsafeBytes { try log.append($0) }
        }
    }

    func assertStorageError(
        _ code: StorageError.Code, file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void
    ) {
        do {
            try body()
            XCTFail("expected \(code)", file: file, line: line)
        } catch let error as StorageError {
            XCTAssertEqual(error.code, code, "\(error)", file: file, line: line)
        } catch {
            XCTFail("expected StorageError \(code), got \(error)", file: file, line: line)
        }
    }
}

extension Array where Element == UInt8 {
    /// The base offsets of the batches in these bytes (a read slice), in order.
    var batchBaseOffsets: [Int64] {
        var offsets: [Int64] = []
        self.withUnsafeBytes { bytes in
            var position = 0
            while position < bytes.count {
                offsets.append(bytes.readBigEndian(Int64.self, at: position))
                position += Int(bytes.readBigEndian(Int32.self, at: position + 8)) + RecordBatchHeader.logOverheadBytes
            }
        }
        return offsets
    }
}
