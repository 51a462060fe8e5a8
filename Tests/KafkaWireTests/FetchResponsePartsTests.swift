import NIOCore
import XCTest

@testable import KafkaWire

final class FetchResponsePartsTests: XCTestCase {
    private let segmentBytes: [UInt8] = Array(repeating: 0x5a, count: 300)

    /// Joins parts, putting `segmentBytes` where an external part stands, as sendfile would.
    private func join(_ parts: [FetchResponsePart]) -> [UInt8] {
        parts.flatMap { part -> [UInt8] in
            switch part {
            case .bytes(let buffer): return Array(buffer.readableBytesView)
            case .external(_, let sizeBytes): return Array(self.segmentBytes.prefix(sizeBytes))
            }
        }
    }

    func testPartsEqualInlineEncodingAtEveryVersion() {
        for version: Int16 in 4...12 {
            let external = Samples.fetchResponse(version: version, records: .external(token: 7, sizeBytes: 300))
            let inline = Samples.fetchResponse(version: version, records: .bytes(ByteBuffer(bytes: self.segmentBytes)))
            let parts = external.encodeParts(version: version, allocator: ByteBufferAllocator())
            XCTAssertEqual(parts.count, 3, "v\(version)")
            XCTAssertEqual(parts[1], .external(token: 7, sizeBytes: 300), "v\(version)")
            XCTAssertEqual(self.join(parts), encoded(inline, version: version), "v\(version)")
        }
    }

    func testFrameParts() throws {
        for version: Int16 in [4, 11, 12] {
            let external = Samples.fetchResponse(version: version, records: .external(token: 1, sizeBytes: 300))
            let parts = external.encodeFrameParts(correlationId: 77, version: version, allocator: ByteBufferAllocator())
            var stream = buffer(self.join(parts))
            XCTAssertEqual(stream.readableBytes, parts.reduce(0) { $0 + $1.sizeBytes })
            var parser = KafkaFrameParser(maximumFrameSizeBytes: 1 << 20)
            var frame = try XCTUnwrap(try parser.next(from: &stream))
            XCTAssertEqual(stream.readableBytes, 0)
            let headerVersion = ResponseHeader.headerVersion(apiKey: 1, apiVersion: version)
            XCTAssertEqual(try ResponseHeader(from: &frame, headerVersion: headerVersion).correlationId, 77)
            let decoded = try FetchResponse.decodeWhole(from: &frame, version: version)
            let inline = Samples.fetchResponse(version: version, records: .bytes(ByteBuffer(bytes: self.segmentBytes)))
            XCTAssertEqual(decoded, inline)
        }
    }

    func testSeveralExternalPartitions() {
        var response = Samples.fetchResponse(version: 12, records: .external(token: 1, sizeBytes: 100))
        response.responses[0].partitions[1].records = .external(token: 2, sizeBytes: 200)
        let parts = response.encodeParts(version: 12, allocator: ByteBufferAllocator())
        XCTAssertEqual(parts.count, 5)
        XCTAssertEqual(parts[1], .external(token: 1, sizeBytes: 100))
        XCTAssertEqual(parts[3], .external(token: 2, sizeBytes: 200))
    }

    func testEmptyRecordsAreWrittenAsEmptyNotNull() {
        let response = FetchResponse(responses: [.init(topic: "t", partitions: [.init(partitionIndex: 0, highWatermark: 0)])])
        let bytes = encoded(response, version: 4)
        XCTAssertEqual(Array(bytes.suffix(4)), [0, 0, 0, 0])
    }
}
