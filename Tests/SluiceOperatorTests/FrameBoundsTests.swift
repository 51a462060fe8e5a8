import XCTest

@testable import SluiceOperator

/// The reader refuses what Docs/operator-protocol.md says a reader must refuse: a length of 0 or above 64 MiB, a
/// count that cannot fit in the rest of the frame, and bytes left over after the body.
final class FrameBoundsTests: XCTestCase {
    private func assertMalformed(
        _ bytes: [UInt8], operatorSide: Bool = false, file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertThrowsError(
            try operatorSide
                ? String(describing: OperatorMessage.decode(frame: bytes))
                : String(describing: RuntimeMessage.decode(frame: bytes)),
            file: file, line: line
        ) { error in
            XCTAssertEqual((error as? OperatorError)?.code, .malformedFrame, "\(error)", file: file, line: line)
        }
    }

    /// A frame with the given type and body and a correct length.
    private func frame(_ type: UInt8, _ body: [UInt8]) -> [UInt8] {
        var writer = ByteWriter()
        writer.append(UInt32(body.count + 1))
        writer.append(type)
        return writer.bytes + body
    }

    private func be<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value.bigEndian) { Array($0) }
    }

    func testLengthZeroIsRefused() {
        self.assertMalformed([0, 0, 0, 0])
        self.assertMalformed([0, 0, 0, 0], operatorSide: true)
    }

    func testLengthOver64MiBIsRefused() {
        self.assertMalformed(self.be(UInt32(OperatorLimits.frameLengthMax + 1)) + [0x05])
        self.assertMalformed(self.be(UInt32.max) + [0x85], operatorSide: true)
    }

    func testLengthThatDisagreesWithTheBytesIsRefused() {
        self.assertMalformed([0, 0, 0, 2, 0x05])  // says 2, has 1
        self.assertMalformed([0, 0, 0, 1, 0x05, 0])  // says 1, has 2
        self.assertMalformed([0, 0, 1])  // not even a length
    }

    func testTrailingBytesAfterABodyAreRefused() {
        self.assertMalformed(self.frame(0x05, [0]))  // Stop has no body
        self.assertMalformed(RuntimeMessage.hello(Hello(operatorName: "a", instanceId: "b", instanceIndex: 0,
                                                        instanceCount: 1)).encodedFrame().withLength(+1) + [7])
        self.assertMalformed(self.frame(0x04, self.be(UInt64(1)) + self.be(UInt32(0)) + [0]))  // Timers
        self.assertMalformed(self.frame(0x03, self.be(UInt64(1)) + self.be(UInt32(0)) + [0]))  // Records
        self.assertMalformed(self.frame(0x82, [0, 0, 0, 0, 0]), operatorSide: true)  // Ready
        self.assertMalformed(
            OperatorMessage.batchResult(batchId: 1, outputs: [], timers: []).encodedFrame().withLength(+2) + [0, 0],
            operatorSide: true
        )
    }

    func testCountsPastTheFrameAreRefused() {
        // 2 records need at least 64 bytes; the body has none.
        self.assertMalformed(self.frame(0x03, self.be(UInt64(1)) + self.be(UInt32(2))))
        // A huge record count is refused before anything is reserved for it.
        self.assertMalformed(self.frame(0x03, self.be(UInt64(1)) + self.be(UInt32.max)))
        self.assertMalformed(self.frame(0x04, self.be(UInt64(1)) + self.be(UInt32(1)) + [0xFF, 0xFF, 0xFF, 0xFF]))
        // A record whose header count cannot fit.
        let record: [UInt8] = self.be(UInt16(0)) + self.be(Int32(0)) + self.be(Int64(0)) + self.be(Int64(0))
            + self.be(UInt32.max) + self.be(UInt32.max) + self.be(UInt16(3)) + [0, 0, 0, 0, 0, 0]
        self.assertMalformed(self.frame(0x03, self.be(UInt64(1)) + self.be(UInt32(1)) + record))
        // Metadata claiming 100 inputs, BatchResult claiming 100 outputs.
        self.assertMalformed(self.frame(0x81, [0, 1, 0x61] + self.be(UInt16(100))), operatorSide: true)
        self.assertMalformed(self.frame(0x83, self.be(UInt64(1)) + self.be(UInt32(100))), operatorSide: true)
    }

    func testLengthsPastTheFrameAreRefused() {
        // A value claiming 1,000 bytes with 3 present; a string claiming 9 bytes with 1 present.
        let record: [UInt8] = self.be(UInt16(0)) + self.be(Int32(0)) + self.be(Int64(0)) + self.be(Int64(0))
            + self.be(UInt32.max) + self.be(UInt32(1000)) + [1, 2, 3] + self.be(UInt16(0)) + [0, 0, 0, 0, 0, 0]
        self.assertMalformed(self.frame(0x03, self.be(UInt64(1)) + self.be(UInt32(1)) + record))
        self.assertMalformed(self.frame(0x01, self.be(UInt16(1)) + self.be(UInt16(9)) + [0x61]))
        self.assertMalformed(self.frame(0x84, self.be(UInt64(0)) + self.be(UInt32(0))), operatorSide: true)
    }

    func testUnknownTypesAreRefused() {
        XCTAssertThrowsError(try RuntimeMessage.decode(frame: [0, 0, 0, 1, 0x02])) { error in
            XCTAssertEqual((error as? OperatorError)?.code, .unexpectedMessage)
        }
        XCTAssertThrowsError(try OperatorMessage.decode(frame: [0, 0, 0, 1, 0x86])) { error in
            XCTAssertEqual((error as? OperatorError)?.code, .unexpectedMessage)
        }
    }

    func testMetadataWithUnknownGroupingIsRefused() {
        self.assertMalformed(self.frame(0x81, [0, 0] + self.be(UInt16(1)) + [0, 1, 0x61, 2, 0, 0]), operatorSide: true)
    }

    // MARK: - FrameReader over a pipe

    func testReaderRefusesBadLengthsAndTruncatedFrames() throws {
        for bytes: [UInt8] in [[0, 0, 0, 0], self.be(UInt32(OperatorLimits.frameLengthMax + 1)), [0, 0, 0, 9, 0x03, 1]] {
            let pipe = try Pipe.make()
            try FileDescriptorIO.writeAll(pipe.write, bytes)
            pipe.closeWrite()
            let reader = FrameReader(descriptor: pipe.read)
            XCTAssertThrowsError(try reader.next(), "\(bytes)") { error in
                XCTAssertEqual((error as? OperatorError)?.code, .malformedFrame)
            }
            pipe.closeRead()
        }
    }

    func testReaderHandsOutFramesLargerThanItsFirstBuffer() throws {
        let pipe = try Pipe.make()
        let large = RuntimeMessage.records(
            batchId: 1,
            records: [WireRecord(inputIndex: 0, partition: 0, offset: 0, timestampMs: 0, key: nil,
                                 value: [UInt8](repeating: 7, count: 300_000))]
        )
        let frames = [RuntimeMessage.stop, large, .timers(batchId: 2, timers: []), large, .stop]
        let writer = Thread {
            for message in frames {
                try! FileDescriptorIO.writeAll(pipe.write, message.encodedFrame())
            }
            pipe.closeWrite()
        }
        writer.start()
        let reader = FrameReader(descriptor: pipe.read, capacity: 64 * 1024)
        var decoded: [RuntimeMessage] = []
        while let frame = try reader.next() {
            decoded.append(try RuntimeMessage.decode(frame))
        }
        XCTAssertEqual(decoded, frames)
        pipe.closeRead()
    }
}

extension Array where Element == UInt8 {
    /// The frame with its length field changed by `delta` (to append bytes a correct length would not cover).
    func withLength(_ delta: Int) -> [UInt8] {
        var copy = self
        let length = UInt32(Int(UInt32(bigEndian: copy.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) })) + delta)
        Swift.withUnsafeBytes(of: length.bigEndian) { copy.replaceSubrange(0..<4, with: $0) }
        return copy
    }
}
