import Foundation
import NIOCore
import XCTest

@testable import KafkaWire

/// Encodes `message` at `version`, decodes it back and compares; then checks that every proper prefix
/// of the encoding is refused with a `KafkaWireError` (a truncated frame must never decode or crash).
func assertRoundTrip<Message: KafkaMessage>(
    _ message: Message,
    version: Int16,
    file: StaticString = #filePath,
    line: UInt = #line
) {
    var encoded = ByteBufferAllocator().buffer(capacity: 128)
    message.encode(into: &encoded, version: version)
    dumpVectorIfRequested(encoded, name: "\(Message.self)", version: version)
    var reading = encoded
    do {
        let decoded = try Message.decodeWhole(from: &reading, version: version)
        XCTAssertEqual(decoded, message, "\(Message.self) v\(version)", file: file, line: line)
        var reencoded = ByteBufferAllocator().buffer(capacity: 128)
        decoded.encode(into: &reencoded, version: version)
        XCTAssertEqual(reencoded, encoded, "\(Message.self) v\(version) re-encoding", file: file, line: line)
    } catch {
        XCTFail("\(Message.self) v\(version): \(error)", file: file, line: line)
        return
    }
    for length in 0..<encoded.readableBytes {
        var prefix = encoded.getSlice(at: encoded.readerIndex, length: length)!
        XCTAssertThrowsError(
            try Message.decodeWhole(from: &prefix, version: version),
            "\(Message.self) v\(version) prefix of \(length) bytes",
            file: file,
            line: line
        ) { error in
            XCTAssertTrue(error is KafkaWireError, "\(error)", file: file, line: line)
        }
    }
}

/// Runs `assertRoundTrip` for every version of `range`, building a sample per version.
func assertRoundTripAllVersions<Message: KafkaMessage>(
    _ range: ClosedRange<Int16>,
    file: StaticString = #filePath,
    line: UInt = #line,
    _ sample: (Int16) -> Message
) {
    let supported = SupportedApis.range(for: Message.apiKey)
    XCTAssertEqual(supported?.minVersion, range.lowerBound, "\(Message.self) min version", file: file, line: line)
    XCTAssertEqual(supported?.maxVersion, range.upperBound, "\(Message.self) max version", file: file, line: line)
    for version in range {
        assertRoundTrip(sample(version), version: version, file: file, line: line)
    }
}

func buffer(_ bytes: [UInt8]) -> ByteBuffer {
    ByteBuffer(bytes: bytes)
}

func encoded<Message: KafkaMessage>(_ message: Message, version: Int16) -> [UInt8] {
    var buffer = ByteBufferAllocator().buffer(capacity: 64)
    message.encode(into: &buffer, version: version)
    return Array(buffer.readableBytesView)
}

let sampleUUID = KafkaUUID(mostSignificantBits: 0x0123_4567_89ab_cdef, leastSignificantBits: 0xfedc_ba98_7654_3210)

/// When `KAFKAWIRE_VECTOR_DIR` is set, every round-trip encoding is also written there as hex, one file per
/// sample, so that an independent Kafka codec can decode and re-encode it (a cross-check run by hand).
private func dumpVectorIfRequested(_ encoded: ByteBuffer, name: String, version: Int16) {
    guard let directory = ProcessInfo.processInfo.environment["KAFKAWIRE_VECTOR_DIR"] else {
        return
    }
    let hex = encoded.readableBytesView.map { String(format: "%02x", $0) }.joined()
    let path = "\(directory)/\(name)_v\(version)_\(UUID().uuidString.prefix(8)).hex"
    FileManager.default.createFile(atPath: path, contents: Data(hex.utf8))
}
