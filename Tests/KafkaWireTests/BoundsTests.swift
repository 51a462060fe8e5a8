import NIOCore
import SluiceModel
import XCTest

@testable import KafkaWire

/// Hostile input: every forged length, count or size must be refused before anything is allocated
/// for it, with a `KafkaWireError` naming the field.
final class BoundsTests: XCTestCase {
    private func assertWireError(
        _ code: KafkaWireError.Code,
        file: StaticString = #filePath,
        line: UInt = #line,
        _ body: () throws -> Void
    ) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            guard let wireError = error as? KafkaWireError else {
                return XCTFail("not a KafkaWireError: \(error)", file: file, line: line)
            }
            XCTAssertEqual(wireError.code, code, wireError.message, file: file, line: line)
        }
    }

    func testHugeArrayCountIsRefused() {
        var classic = buffer([0x7f, 0xff, 0xff, 0xff])
        self.assertWireError(.countOutOfRange) {
            _ = try classic.readWireArray("test.items", compact: false) { try $0.readWireInt32("item") }
        }
        var compact = buffer([0xff, 0xff, 0xff, 0xff, 0x0f])
        self.assertWireError(.countOutOfRange) {
            _ = try compact.readWireArray("test.items", compact: true) { try $0.readWireInt32("item") }
        }
        var negative = buffer([0xff, 0xff, 0xff, 0xfe])
        self.assertWireError(.countOutOfRange) {
            _ = try negative.readWireArray("test.items", compact: false) { try $0.readWireInt32("item") }
        }
    }

    func testArrayCountAboveReadableBytesIsRefusedBeforeAllocating() {
        var bytes = buffer([0, 1, 0x86, 0xa0, 1, 2, 3]) // 100_000 elements claimed, 3 bytes present
        self.assertWireError(.truncated) {
            _ = try bytes.readWireArray("test.items", compact: false) { try $0.readWireInt8("item") }
        }
    }

    func testMetadataRequestWithForgedTopicCount() {
        var body = buffer([0x7f, 0xff, 0xff, 0xff])
        self.assertWireError(.countOutOfRange) {
            _ = try MetadataRequest(from: &body, version: 1)
        }
    }

    func testHugeStringLengthIsRefused() {
        var compact = buffer([0x80, 0x80, 0x80, 0x80, 0x08]) // 2^31, far above the string limit
        self.assertWireError(.lengthOutOfRange) { _ = try compact.readWireString("test.name", compact: true) }
        var aboveLimit = ByteBufferAllocator().buffer(capacity: 8)
        aboveLimit.writeUnsignedVarint(UInt32(Limits.wireStringLengthMax + 2))
        self.assertWireError(.lengthOutOfRange) { _ = try aboveLimit.readWireString("test.name", compact: true) }
        var negative = buffer([0xff, 0xfe])
        self.assertWireError(.lengthOutOfRange) { _ = try negative.readWireString("test.name", compact: false) }
        var short = buffer([0, 100, 65, 66])
        self.assertWireError(.truncated) { _ = try short.readWireString("test.name", compact: false) }
        var null = buffer([0xff, 0xff])
        self.assertWireError(.unexpectedNull) { _ = try null.readWireString("test.name", compact: false) }
    }

    func testHugeBytesLengthIsRefused() {
        var classic = buffer([0x7f, 0xff, 0xff, 0xff, 0, 0])
        self.assertWireError(.lengthOutOfRange) { _ = try classic.readWireNullableBytes("test.records", compact: false) }
        var short = buffer([0, 0, 1, 0, 0, 0])
        self.assertWireError(.truncated) { _ = try short.readWireNullableBytes("test.records", compact: false) }
    }

    func testProduceRequestWithRecordsLongerThanTheFrame() {
        var body = ByteBufferAllocator().buffer(capacity: 64)
        body.writeWireNullableString(nil, compact: false)
        body.writeInteger(Int16(1))
        body.writeInteger(Int32(1000))
        body.writeInteger(Int32(1))
        body.writeWireString("orders", compact: false)
        body.writeInteger(Int32(1))
        body.writeInteger(Int32(0))
        body.writeInteger(Int32(10_000_000)) // records length, with 3 bytes following
        body.writeBytes([1, 2, 3])
        self.assertWireError(.truncated) { _ = try ProduceRequest(from: &body, version: 3) }
    }

    func testVarintLongerThan32BitsIsRefused() {
        var bytes = buffer([0xff, 0xff, 0xff, 0xff, 0xff, 0x01])
        self.assertWireError(.invalidVarint) { _ = try bytes.readUnsignedVarint("test.varint") }
        var truncated = buffer([0xff, 0xff])
        self.assertWireError(.truncated) { _ = try truncated.readUnsignedVarint("test.varint") }
    }

    func testTaggedFieldBounds() {
        var tooMany = ByteBufferAllocator().buffer(capacity: 8)
        tooMany.writeUnsignedVarint(UInt32(Limits.taggedFieldCountMax + 1))
        self.assertWireError(.countOutOfRange) { try tooMany.readTaggedFields("test") }
        var outOfOrder = buffer([2, 5, 1, 0xaa, 3, 1, 0xbb])
        self.assertWireError(.invalidTaggedFields) { try outOfOrder.readTaggedFields("test") }
        var sizeTooLarge = buffer([1, 0, 0x7f, 0xaa])
        self.assertWireError(.truncated) { try sizeTooLarge.readTaggedFields("test") }
    }

    func testTruncatedIntegers() {
        var bytes = buffer([0, 1, 2])
        self.assertWireError(.truncated) { _ = try bytes.readWireInt32("test.value") }
        var empty = buffer([])
        self.assertWireError(.truncated) { _ = try empty.readWireInt8("test.value") }
    }

    func testRandomCorruptionNeverCrashes() {
        var generator = SplitMix64(seed: 42)
        let request = ProduceRequest(
            transactionalId: nil, acks: 1, timeoutMs: 1000,
            topicData: [.init(name: "orders", partitionData: [.init(index: 0, records: ByteBuffer(bytes: [1, 2, 3]))])]
        )
        for version: Int16 in 3...9 {
            let bytes = encoded(request, version: version)
            for _ in 0..<500 {
                var corrupted = bytes
                let index = Int(generator.next() % UInt64(corrupted.count))
                corrupted[index] = UInt8(truncatingIfNeeded: generator.next())
                var input = buffer(corrupted)
                _ = try? ProduceRequest.decodeWhole(from: &input, version: version)
            }
        }
    }
}

/// A tiny deterministic generator so corruption tests are reproducible.
struct SplitMix64 {
    private var state: UInt64

    init(seed: UInt64) {
        self.state = seed
    }

    mutating func next() -> UInt64 {
        self.state &+= 0x9e37_79b9_7f4a_7c15
        var value = self.state
        value = (value ^ (value >> 30)) &* 0xbf58_476d_1ce4_e5b9
        value = (value ^ (value >> 27)) &* 0x94d0_49bb_1331_11eb
        return value ^ (value >> 31)
    }
}
