import NIOCore
import XCTest

@testable import KafkaWire

/// Byte vectors produced by a different Kafka codec (kafka-python 3.0, which is generated from the same
/// JSON schemas as Kafka itself), for the hot-path messages: our encoding must match them byte for byte
/// and decode back to the same values.
final class IndependentVectorTests: XCTestCase {
    private func bytes(hex: String) -> [UInt8] {
        var result: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            result.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        return result
    }

    private func assertVector<Message: KafkaMessage>(
        _ message: Message,
        version: Int16,
        hex: String,
        file: StaticString = #filePath,
        line: UInt = #line
    ) throws {
        let expected = self.bytes(hex: hex)
        XCTAssertEqual(encoded(message, version: version), expected, file: file, line: line)
        var input = buffer(expected)
        XCTAssertEqual(try Message.decodeWhole(from: &input, version: version), message, file: file, line: line)
    }

    private var produce: ProduceRequest {
        ProduceRequest(
            transactionalId: nil, acks: -1, timeoutMs: 1500,
            topicData: [.init(name: "orders", partitionData: [.init(index: 2, records: ByteBuffer(bytes: [1, 2, 3]))])]
        )
    }

    func testProduceRequest() throws {
        try self.assertVector(self.produce, version: 3, hex: "ffffffff000005dc0000000100066f7264657273000000010000000200000003010203")
        try self.assertVector(self.produce, version: 9, hex: "00ffff000005dc02076f7264657273020000000204010203000000")
    }

    func testFetchResponse() throws {
        var partition = FetchResponse.Partition(
            partitionIndex: 0, errorCode: .none, highWatermark: 10, lastStableOffset: 10, logStartOffset: 0,
            abortedTransactions: nil, preferredReadReplica: -1, records: .bytes(ByteBuffer(bytes: [0xaa, 0xbb]))
        )
        let v4 = FetchResponse(responses: [.init(topic: "orders", partitions: [partition])])
        var v4Expected = v4
        v4Expected.responses[0].partitions[0].logStartOffset = -1 // not carried before v5
        try self.assertVector(
            v4Expected, version: 4,
            hex: "000000000000000100066f726465727300000001000000000000000000000000000a000000000000000affffffff00000002aabb"
        )
        partition.currentLeader = .init(leaderId: 1, leaderEpoch: 2)
        let v12 = FetchResponse(responses: [.init(topic: "orders", partitions: [partition])])
        try self.assertVector(
            v12, version: 12,
            hex: "0000000000000000000002076f726465727302000000000000000000000000000a000000000000000a00000000000000"
                + "0000ffffffff03aabb0101090000000100000002000000"
        )
    }
}
