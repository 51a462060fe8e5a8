import Foundation
@testable import OperatorRuntime
import XCTest

/// The bounds on everything read from an operator, and the encodings the runtime writes.
final class OperatorProtocolTests: XCTestCase {
    private func frame(_ type: UInt8, _ body: [UInt8]) -> [UInt8] {
        var encoder = FrameEncoder()
        encoder.bytes = body
        return encoder.frame(type: OperatorProtocol.MessageType(rawValue: type)!)
    }

    private func parse(_ bytes: [UInt8]) throws -> OperatorMessage? {
        var parser = FrameParser()
        parser.append(bytes[...])
        return try parser.next()
    }

    func testFrameLengthIsBoundedBeforeTheBodyArrives() {
        XCTAssertThrowsError(try self.parse([0, 0, 0, 0])) { error in
            XCTAssertTrue("\(error)".contains("not a frame"), "\(error)")
        }
        XCTAssertThrowsError(try self.parse([0x04, 0x00, 0x00, 0x01, 0x83]), "64 MiB + 1")
        XCTAssertNil(try self.parse([0x04, 0x00, 0x00, 0x00, 0x83]), "64 MiB is allowed: wait for the body")
        XCTAssertNil(try self.parse([0, 0, 0]), "a partial length waits")
    }

    func testCountsThatCannotFitAndLeftoverBytesAreRefused() {
        var result = FrameEncoder()
        result.appendUInt64(1)
        result.appendUInt32(1_000_000)  // outputs claimed, none present
        XCTAssertThrowsError(try self.parse(result.frame(type: .batchResult)))
        var leftover = FrameEncoder()
        leftover.appendUInt64(1)
        leftover.appendUInt32(0)
        leftover.appendUInt32(0)
        leftover.appendUInt8(9)
        XCTAssertThrowsError(try self.parse(leftover.frame(type: .batchResult))) { error in
            XCTAssertTrue("\(error)".contains("left over"), "\(error)")
        }
        XCTAssertThrowsError(try self.parse(self.frame(0x01, [])), "a runtime-to-operator type from an operator")
        XCTAssertThrowsError(try self.parse([0, 0, 0, 1, 0x99]), "an unknown type")
        var metadata = FrameEncoder()
        metadata.appendString("op")
        metadata.appendUInt16(60_000)  // inputs claimed, none present
        XCTAssertThrowsError(try self.parse(metadata.frame(type: .metadata)))
    }

    func testBatchResultOutputsAndTimersDecode() throws {
        var body = FrameEncoder()
        body.appendUInt64(7)
        body.appendUInt32(2)
        body.appendUInt16(0)
        body.appendBytes(Array("k".utf8))
        body.appendBytes(Array("v".utf8))
        body.appendUInt16(1)
        body.appendString("h")
        body.appendBytes(nil as [UInt8]?)
        body.appendUInt16(1)
        body.appendBytes(nil as [UInt8]?)
        body.appendBytes([])
        body.appendUInt16(0)
        body.appendUInt32(1)
        body.appendBytes(nil as [UInt8]?)
        body.appendInt64(1234)
        guard case .batchResult(let result) = try self.parse(body.frame(type: .batchResult)) else {
            return XCTFail("a BatchResult")
        }
        XCTAssertEqual(result.batchId, 7)
        XCTAssertEqual(result.timers, [OperatorTimer(key: nil, timeMs: 1234)])
        var seen: [(Int, [UInt8]?, [UInt8]?, Int)] = []
        try result.forEachOutput { index, key, value, headers in
            seen.append((index, key.map { Array($0) }, value.map { Array($0) }, BatchResultMessage.decodeHeaders(headers).count))
        }
        XCTAssertEqual(seen.map(\.0), [0, 1])
        XCTAssertEqual(seen[0].1, Array("k".utf8))
        XCTAssertNil(seen[1].1)
        XCTAssertEqual(seen[1].2, [])
        XCTAssertEqual(seen.map(\.3), [1, 0])
    }

    func testReadyCarriesInitTimersAndFailedNamesARecord() throws {
        var ready = FrameEncoder()
        ready.appendUInt32(1)
        ready.appendBytes(Array("tick".utf8))
        ready.appendInt64(99)
        guard case .ready(let timers) = try self.parse(ready.frame(type: .ready)) else { return XCTFail("Ready") }
        XCTAssertEqual(timers, [OperatorTimer(key: Array("tick".utf8), timeMs: 99)])
        var failed = FrameEncoder()
        failed.appendUInt64(3)
        failed.appendUInt32(OperatorProtocol.noRecordIndex)
        failed.appendBytes(Array("boom".utf8))
        guard case .failed(let batchId, let index, let error) = try self.parse(failed.frame(type: .failed)) else {
            return XCTFail("Failed")
        }
        XCTAssertEqual(batchId, 3)
        XCTAssertNil(index)
        XCTAssertEqual(error, "boom")
    }

    func testInputBatchSlicesWithoutReencoding() {
        var batch = InputBatch()
        for offset in 0..<5 as Range<Int64> {
            let value = Array("value-\(offset)".utf8)
            value.withUnsafeBytes { bytes in
                batch.append(inputIndex: 0, partition: Int32(offset % 2), offset: offset, timestampMs: 1, key: nil, value: bytes) {
                    $0.appendUInt16(0)
                }
            }
        }
        let tail = batch.slice(2..<5)
        XCTAssertEqual(tail.count, 3)
        XCTAssertEqual(tail.decodedRecord(at: 0).value, Array("value-2".utf8))
        XCTAssertEqual(tail.decodedRecord(at: 2).value, Array("value-4".utf8))
        XCTAssertEqual(batch.commitPositions(upTo: 3), [
            InputPartitionKey(inputIndex: 0, partition: 0): 3, InputPartitionKey(inputIndex: 0, partition: 1): 2,
        ])
        let frame = tail.frame(batchId: 9)
        XCTAssertEqual(Array(frame[0..<4]), withUnsafeBytes(of: UInt32(frame.count - 4).bigEndian) { Array($0) })
        XCTAssertEqual(frame[4], 0x03)
        XCTAssertEqual(Array(frame[13..<17]), [0, 0, 0, 3])
    }

    func testLogRotatesAtItsBoundAndTails() throws {
        let directory = NSTemporaryDirectory() + "sluice-log-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let log = OperatorLog(path: directory + "/operator.log", sizeBytesMax: 2000)
        for index in 0..<100 { log.append("line \(index)", prefix: "v1#1") }
        XCTAssertTrue(FileManager.default.fileExists(atPath: directory + "/operator.log.1"))
        let size = try FileManager.default.attributesOfItem(atPath: directory + "/operator.log")[.size] as! Int
        XCTAssertLessThanOrEqual(size, 2000)
        let tail = log.tail(3)
        XCTAssertEqual(tail.count, 3)
        XCTAssertTrue(tail[2].hasSuffix("v1#1 line 99"), tail[2])
    }
}
