import Foundation
import NIOCore
import SluiceModel
import XCTest

@testable import KafkaWire

final class FrameAndDispatchTests: XCTestCase {
    func testParserWaitsForWholeFrames() throws {
        var parser = KafkaFrameParser()
        var stream = buffer([0, 0, 0])
        XCTAssertNil(try parser.next(from: &stream))
        stream.writeBytes([5, 1, 2])
        XCTAssertNil(try parser.next(from: &stream))
        XCTAssertEqual(stream.readableBytes, 6, "nothing is consumed until the frame is whole")
        stream.writeBytes([3, 4, 5, 0, 0, 0, 0, 0, 0, 0, 1, 9])
        XCTAssertEqual(try parser.next(from: &stream), buffer([1, 2, 3, 4, 5]))
        XCTAssertEqual(try parser.next(from: &stream), buffer([]))
        XCTAssertEqual(try parser.next(from: &stream), buffer([9]))
        XCTAssertNil(try parser.next(from: &stream))
    }

    func testTwoGibibyteFrameIsRefusedFromItsPrefixAlone() {
        var parser = KafkaFrameParser()
        var stream = buffer([0x7f, 0xff, 0xff, 0xff])
        XCTAssertThrowsError(try parser.next(from: &stream)) { error in
            XCTAssertEqual((error as? KafkaWireError)?.code, .frameTooLarge)
        }
        var negative = buffer([0x80, 0, 0, 0])
        XCTAssertThrowsError(try parser.next(from: &negative)) { error in
            XCTAssertEqual((error as? KafkaWireError)?.code, .frameTooLarge)
        }
        var justAbove = ByteBufferAllocator().buffer(capacity: 4)
        justAbove.writeInteger(Int32(Limits.requestFrameSizeBytesMax + 1))
        XCTAssertThrowsError(try parser.next(from: &justAbove))
    }

    func testConfiguredMaximum() throws {
        var parser = KafkaFrameParser(maximumFrameSizeBytes: 4)
        var fits = buffer([0, 0, 0, 4, 1, 2, 3, 4])
        XCTAssertEqual(try parser.next(from: &fits), buffer([1, 2, 3, 4]))
        var tooBig = buffer([0, 0, 0, 5])
        XCTAssertThrowsError(try parser.next(from: &tooBig))
    }

    func testDispatcherDecodesSupportedRequests() throws {
        let produce = ProduceRequest(
            acks: 1, timeoutMs: 1000,
            topicData: [.init(name: "orders", partitionData: [.init(index: 0, records: ByteBuffer(bytes: [1, 2, 3]))])]
        )
        var frame = KafkaFrame.encodeRequest(produce, correlationId: 3, clientId: "c", version: 9, allocator: ByteBufferAllocator())
        var parser = KafkaFrameParser()
        var content = try XCTUnwrap(try parser.next(from: &frame))
        let (header, request) = try KafkaRequest.decode(frame: &content)
        XCTAssertEqual(header.correlationId, 3)
        XCTAssertEqual(request, .produce(produce))
    }

    func testProduceRecordsShareTheFrameStorage() throws {
        let produce = ProduceRequest(
            acks: 1, timeoutMs: 1000,
            topicData: [.init(name: "orders", partitionData: [.init(index: 0, records: ByteBuffer(bytes: [7, 7, 7, 7]))])]
        )
        var body = ByteBufferAllocator().buffer(capacity: 64)
        produce.encode(into: &body, version: 8)
        let frameBase = body.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) }
        var reading = body
        let decoded = try ProduceRequest(from: &reading, version: 8)
        let records = try XCTUnwrap(decoded.topicData.first?.partitionData.first?.records)
        let recordsBase = records.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) }
        XCTAssertEqual(recordsBase, frameBase + UInt(body.readableBytes - 4), "records are a slice, not a copy")
    }

    func testDispatcherRefusesVersionsOutsideTheTable() {
        var body = buffer([])
        let header = RequestHeader(apiKey: ApiKey.metadata.rawValue, apiVersion: 13, correlationId: 1, clientId: nil)
        XCTAssertThrowsError(try KafkaRequest.decode(header: header, body: &body)) { error in
            XCTAssertEqual((error as? KafkaWireError)?.code, .unsupportedVersion)
        }
        let old = RequestHeader(apiKey: ApiKey.produce.rawValue, apiVersion: 2, correlationId: 1, clientId: nil)
        XCTAssertThrowsError(try KafkaRequest.decode(header: old, body: &body))
    }

    func testDispatcherReportsUnknownApis() throws {
        var body = buffer([1, 2, 3])
        let unknown = RequestHeader(apiKey: 999, apiVersion: 0, correlationId: 1, clientId: nil)
        XCTAssertEqual(try KafkaRequest.decode(header: unknown, body: &body), .unsupported(apiKey: 999))
    }

    func testDispatcherRefusesTrailingBytes() {
        var body = buffer([0, 0, 0, 0, 0xee])
        let header = RequestHeader(apiKey: ApiKey.metadata.rawValue, apiVersion: 1, correlationId: 1, clientId: nil)
        XCTAssertThrowsError(try KafkaRequest.decode(header: header, body: &body)) { error in
            XCTAssertEqual((error as? KafkaWireError)?.code, .trailingBytes)
        }
    }

    func testVarintRoundTrip() throws {
        for value: UInt32 in [0, 1, 127, 128, 16_383, 16_384, 2_097_151, 268_435_455, 268_435_456, UInt32.max] {
            var bytes = ByteBufferAllocator().buffer(capacity: 8)
            bytes.writeUnsignedVarint(value)
            XCTAssertEqual(bytes.readableBytes, ByteBuffer.unsignedVarintSizeBytes(value))
            XCTAssertEqual(try bytes.readUnsignedVarint("test"), value)
        }
    }

    func testUnknownTaggedFieldsAreSkipped() throws {
        var bytes = buffer([2, 0, 2, 0xaa, 0xbb, 9, 1, 0xcc, 0x42])
        var seen: [UInt32] = []
        try bytes.readTaggedFields("test") { tag, _ in seen.append(tag) }
        XCTAssertEqual(seen, [0, 9])
        XCTAssertEqual(bytes.readableBytes, 1)
    }
}

final class ClientSideTests: XCTestCase {
    func testResponseFrameRoundTripThroughTheClientHelpers() throws {
        let response = MetadataResponse(
            brokers: [.init(nodeId: 1, host: "localhost", port: 9092)],
            clusterId: "c",
            controllerId: 1,
            topics: [.init(name: "orders", partitions: [.init(partitionIndex: 0, leaderId: 1, replicaNodes: [1], isrNodes: [1])])]
        )
        for version: Int16 in [1, 9, 12] {
            var stream = KafkaFrame.encodeResponse(response, correlationId: 11, version: version, allocator: ByteBufferAllocator())
            var parser = KafkaFrameParser(maximumFrameSizeBytes: Limits.responseFrameSizeBytesMax)
            var frame = try XCTUnwrap(try parser.next(from: &stream))
            let (correlationId, decoded) = try KafkaFrame.decodeResponse(MetadataResponse.self, from: &frame, version: version)
            XCTAssertEqual(correlationId, 11)
            XCTAssertEqual(decoded.topics, response.topics)
        }
    }
}
