import NIOCore
import XCTest

@testable import KafkaWire

/// Byte layouts computed by hand from the Kafka protocol guide, so that encoder and decoder cannot
/// agree on a mistake that a round trip would not see.
final class GoldenBytesTests: XCTestCase {
    private let sluice: [UInt8] = Array("sluice".utf8)

    func testApiVersionsV0RequestFrame() {
        let frame = KafkaFrame.encodeRequest(
            ApiVersionsRequest(), correlationId: 1, clientId: "sluice", version: 0, allocator: ByteBufferAllocator()
        )
        let expected: [UInt8] = [0, 0, 0, 16, 0, 18, 0, 0, 0, 0, 0, 1, 0, 6] + self.sluice
        XCTAssertEqual(Array(frame.readableBytesView), expected)
    }

    func testApiVersionsV3RequestFrame() throws {
        let request = ApiVersionsRequest(clientSoftwareName: "sluice", clientSoftwareVersion: "0.1.0")
        let frame = KafkaFrame.encodeRequest(
            request, correlationId: 7, clientId: "sluice", version: 3, allocator: ByteBufferAllocator()
        )
        // Header v2: classic client id, then an empty tagged-field section.
        let header: [UInt8] = [0, 18, 0, 3, 0, 0, 0, 7, 0, 6] + self.sluice + [0]
        // Body: compact strings (length + 1) and an empty tagged-field section.
        let body: [UInt8] = [7] + self.sluice + [6] + Array("0.1.0".utf8) + [0]
        let expected: [UInt8] = [0, 0, 0, UInt8(header.count + body.count)] + header + body
        XCTAssertEqual(Array(frame.readableBytesView), expected)

        var parser = KafkaFrameParser()
        var stream = frame
        var content = try XCTUnwrap(try parser.next(from: &stream))
        let (decodedHeader, decoded) = try KafkaRequest.decode(frame: &content)
        XCTAssertEqual(decodedHeader, RequestHeader(apiKey: 18, apiVersion: 3, correlationId: 7, clientId: "sluice"))
        XCTAssertEqual(decoded, .apiVersions(request))
    }

    func testApiVersionsV0Response() {
        let response = ApiVersionsResponse(apiKeys: [.init(apiKey: 18, minVersion: 0, maxVersion: 3)])
        XCTAssertEqual(encoded(response, version: 0), [0, 0, 0, 0, 0, 1, 0, 18, 0, 0, 0, 3])
    }

    func testApiVersionsV3ResponseFrameUsesHeaderV0() {
        let response = ApiVersionsResponse(apiKeys: [.init(apiKey: 18, minVersion: 0, maxVersion: 3)], throttleTimeMs: 0)
        let frame = KafkaFrame.encodeResponse(response, correlationId: 9, version: 3, allocator: ByteBufferAllocator())
        let expected: [UInt8] = [
            0, 0, 0, 19,
            0, 0, 0, 9, // response header v0: no tagged fields even though v3 is flexible
            0, 0, // error code
            2, 0, 18, 0, 0, 0, 3, 0, // compact array of one api key, with its tagged fields
            0, 0, 0, 0, // throttle time
            0, // tagged fields
        ]
        XCTAssertEqual(Array(frame.readableBytesView), expected)
        XCTAssertEqual(ResponseHeader.headerVersion(apiKey: 18, apiVersion: 3), 0)
        XCTAssertEqual(ResponseHeader.headerVersion(apiKey: 3, apiVersion: 9), 1)
        XCTAssertEqual(ResponseHeader.headerVersion(apiKey: 3, apiVersion: 8), 0)
    }

    func testMetadataV1Request() {
        let orders: [UInt8] = Array("orders".utf8)
        XCTAssertEqual(encoded(MetadataRequest(topics: [.init(name: "orders")]), version: 1), [0, 0, 0, 1, 0, 6] + orders)
        XCTAssertEqual(encoded(MetadataRequest(topics: nil), version: 1), [0xff, 0xff, 0xff, 0xff])
        XCTAssertEqual(encoded(MetadataRequest(topics: nil), version: 0), [0, 0, 0, 0])
        let frame = KafkaFrame.encodeRequest(
            MetadataRequest(topics: [.init(name: "orders")]),
            correlationId: 2, clientId: nil, version: 1, allocator: ByteBufferAllocator()
        )
        XCTAssertEqual(
            Array(frame.readableBytesView),
            [0, 0, 0, 22, 0, 3, 0, 1, 0, 0, 0, 2, 0xff, 0xff, 0, 0, 0, 1, 0, 6] + orders
        )
    }

    func testUnsupportedApiVersionsReplyUsesV0Layout() throws {
        let frame = ApiVersionsResponse.encodeUnsupportedVersionReply(correlationId: 5, allocator: ByteBufferAllocator())
        var expected: [UInt8] = [0, 0, 0, 5, 0, 35]
        let ranges = SupportedApis.ranges
        expected += [0, 0, 0, UInt8(ranges.count)]
        for range in ranges {
            for value in [range.apiKey.rawValue, range.minVersion, range.maxVersion] {
                expected += [UInt8(value >> 8), UInt8(value & 0xff)]
            }
        }
        let size = UInt8(expected.count)
        XCTAssertEqual(Array(frame.readableBytesView), [0, 0, 0, size] + expected)
        XCTAssertTrue(ranges.contains { $0.apiKey == .apiVersions && $0.minVersion == 0 && $0.maxVersion == 3 })
    }

    func testRequestHeaderVersions() throws {
        XCTAssertEqual(RequestHeader.headerVersion(apiKey: 3, apiVersion: 8), 1)
        XCTAssertEqual(RequestHeader.headerVersion(apiKey: 3, apiVersion: 9), 2)
        XCTAssertEqual(RequestHeader.headerVersion(apiKey: 18, apiVersion: 99), 2)
        XCTAssertEqual(RequestHeader.headerVersion(apiKey: 999, apiVersion: 20), 1)
        var bytes = buffer([0, 3, 0, 9, 0, 0, 0, 4, 0xff, 0xff, 1, 5, 2, 0xaa, 0xbb])
        let header = try RequestHeader(from: &bytes)
        XCTAssertEqual(header, RequestHeader(apiKey: 3, apiVersion: 9, correlationId: 4, clientId: nil))
        XCTAssertEqual(bytes.readableBytes, 0, "an unknown header tag is skipped")
    }
}
