import XCTest
@testable import RecordFormat

final class VarintTests: XCTestCase {
    func testZigZag32RoundTripsBoundaryValues() throws {
        let values: [Int32] = [0, 1, -1, 2, -2, 63, -64, 64, -65, 8191, -8192, 1 << 20, Int32.max, Int32.min]
        for value in values {
            var bytes: [UInt8] = []
            Varint.appendZigZag(value, to: &bytes)
            XCTAssertEqual(bytes.count, Varint.sizeBytes(zigZag: Int64(value)), "size of \(value)")
            var position = 0
            let decoded = try bytes.withUnsafeBytes { bytes in try Varint.readZigZag32(bytes, at: &position) }
            XCTAssertEqual(decoded, value)
            XCTAssertEqual(position, bytes.count)
        }
    }

    func testZigZag64RoundTripsBoundaryValues() throws {
        let values: [Int64] = [0, 1, -1, 300, -300, Int64(Int32.max) + 1, Int64(Int32.min) - 1, Int64.max, Int64.min]
        for value in values {
            var bytes: [UInt8] = []
            Varint.appendZigZag(value, to: &bytes)
            XCTAssertEqual(bytes.count, Varint.sizeBytes(zigZag: value), "size of \(value)")
            var position = 0
            let decoded = try bytes.withUnsafeBytes { bytes in try Varint.readZigZag64(bytes, at: &position) }
            XCTAssertEqual(decoded, value)
        }
    }

    func testZigZagRoundTripsRandomValues() throws {
        var generator = SeededGenerator(seed: 1)
        for _ in 0..<10_000 {
            let shift = Int.random(in: 0..<64, using: &generator)
            let value = Int64.random(in: Int64.min...Int64.max, using: &generator) >> shift
            var bytes: [UInt8] = []
            Varint.appendZigZag(value, to: &bytes)
            var position = 0
            XCTAssertEqual(try bytes.withUnsafeBytes { try Varint.readZigZag64($0, at: &position) }, value)
        }
    }

    func testKnownEncodings() {
        // Values from Kafka's ByteUtilsTest: zigzag maps 0, -1, 1, -2 to 0, 1, 2, 3.
        var bytes: [UInt8] = []
        Varint.appendZigZag(Int32(-1), to: &bytes)
        Varint.appendZigZag(Int32(1), to: &bytes)
        Varint.appendZigZag(Int32(-64), to: &bytes)
        Varint.appendZigZag(Int32(64), to: &bytes)
        Varint.appendUnsigned(UInt32(300), to: &bytes)
        XCTAssertEqual(bytes, [0x01, 0x02, 0x7F, 0x80, 0x01, 0xAC, 0x02])
        XCTAssertEqual(Varint.sizeBytes(unsigned: 0), 1)
        XCTAssertEqual(Varint.sizeBytes(unsigned: UInt64.max), 10)
        XCTAssertEqual(Varint.sizeBytes(unsigned: UInt64(UInt32.max)), 5)
    }

    func testUnsignedRoundTripsExtremes() throws {
        for value: UInt32 in [0, 127, 128, 16_383, 16_384, UInt32.max] {
            var bytes: [UInt8] = []
            Varint.appendUnsigned(value, to: &bytes)
            var position = 0
            XCTAssertEqual(try bytes.withUnsafeBytes { try Varint.readUnsigned32($0, at: &position) }, value)
        }
        for value: UInt64 in [0, UInt64(UInt32.max) + 1, UInt64.max] {
            var bytes: [UInt8] = []
            Varint.appendUnsigned(value, to: &bytes)
            var position = 0
            XCTAssertEqual(try bytes.withUnsafeBytes { try Varint.readUnsigned64($0, at: &position) }, value)
        }
    }

    func testRejectsTruncatedVarint() {
        self.assertRejected32([0x80])
        self.assertRejected32([])
        self.assertRejected64([0xFF, 0xFF])
    }

    func testRejectsVarintLongerThanItsType() {
        // Six bytes for a 32-bit value, eleven for a 64-bit one.
        self.assertRejected32([0x80, 0x80, 0x80, 0x80, 0x80, 0x00])
        self.assertRejected64(Array(repeating: 0x80, count: 10) + [0x00])
    }

    func testRejectsLastByteOverflowingItsType() {
        // The fifth byte of a 32-bit varint may carry 4 bits; 0x10 would be bit 32.
        self.assertRejected32([0xFF, 0xFF, 0xFF, 0xFF, 0x10])
        // The tenth byte of a 64-bit varint may carry 1 bit; 0x02 would be bit 64.
        self.assertRejected64(Array(repeating: 0xFF, count: 9) + [0x02])
    }

    func testAcceptsMaximalValidEncodings() throws {
        var position = 0
        let max32: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0x0F]
        XCTAssertEqual(try max32.withUnsafeBytes { try Varint.readUnsigned32($0, at: &position) }, UInt32.max)
        position = 0
        let max64 = Array(repeating: UInt8(0xFF), count: 9) + [0x01]
        XCTAssertEqual(try max64.withUnsafeBytes { try Varint.readUnsigned64($0, at: &position) }, UInt64.max)
    }

    private func assertRejected32(_ bytes: [UInt8], line: UInt = #line) {
        var position = 0
        XCTAssertThrowsError(try bytes.withUnsafeBytes { try Varint.readZigZag32($0, at: &position) }, line: line)
        XCTAssertEqual(position, 0, "position must not move on failure", line: line)
    }

    private func assertRejected64(_ bytes: [UInt8], line: UInt = #line) {
        var position = 0
        XCTAssertThrowsError(try bytes.withUnsafeBytes { try Varint.readZigZag64($0, at: &position) }, line: line)
    }
}
