import XCTest
import RecordFormat

final class CRC32CTests: XCTestCase {
    func testKnownVector() {
        XCTAssertEqual(CRC32C.checksum(Array("123456789".utf8)), 0xE306_9283)
        Array("123456789".utf8).withUnsafeBytes { bytes in
            XCTAssertEqual(CRC32C.softwareChecksum(bytes), 0xE306_9283)
        }
    }

    func testEmptyInputIsTheInitialValue() {
        XCTAssertEqual(CRC32C.checksum([]), 0)
    }

    func testHardwareAgreesWithSoftwareOnRandomData() {
        var generator = SeededGenerator(seed: 32)
        for length in [1, 7, 8, 9, 63, 64, 65, 1000, 4096, 65_537] {
            let bytes = TestBytes.random(count: length, using: &generator)
            bytes.withUnsafeBytes { buffer in
                XCTAssertEqual(CRC32C.checksum(buffer), CRC32C.softwareChecksum(buffer), "length \(length)")
                // Unaligned starts exercise the hardware path's byte-wise head.
                let tail = UnsafeRawBufferPointer(rebasing: buffer[(length / 3)...])
                XCTAssertEqual(CRC32C.checksum(tail), CRC32C.softwareChecksum(tail), "tail of \(length)")
            }
        }
    }

    func testContinuingEqualsOneShot() {
        var generator = SeededGenerator(seed: 33)
        let bytes = TestBytes.random(count: 10_000, using: &generator)
        bytes.withUnsafeBytes { buffer in
            let first = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: buffer[..<3333]))
            let whole = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: buffer[3333...]), continuing: first)
            XCTAssertEqual(whole, CRC32C.checksum(buffer))
        }
    }
}
