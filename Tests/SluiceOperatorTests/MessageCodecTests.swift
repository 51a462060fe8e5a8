import XCTest

@testable import SluiceOperator

/// Every message encodes to a frame and decodes back to itself; a few are checked byte for byte against the
/// layout in Docs/operator-protocol.md.
final class MessageCodecTests: XCTestCase {
    func testRuntimeMessagesRoundTrip() throws {
        let messages: [RuntimeMessage] = [
            .hello(Hello(operatorName: "uppercase", instanceId: "uppercase-0", instanceIndex: 2, instanceCount: 3)),
            .records(batchId: 0, records: []),
            .records(
                batchId: UInt64.max,
                records: [
                    WireRecord(inputIndex: 0, partition: 3, offset: 42, timestampMs: 1_700_000_000_000, key: [1, 2],
                               value: Array("hello".utf8)),
                    WireRecord(inputIndex: 1, partition: -1, offset: Int64.min, timestampMs: -1, key: nil, value: nil,
                               headers: [Header(key: "trace", value: [9]), Header(key: "", value: nil)]),
                    WireRecord(inputIndex: UInt16.max, partition: Int32.max, offset: Int64.max, timestampMs: 0,
                               key: [], value: []),
                ]
            ),
            .timers(batchId: 7, timers: []),
            .timers(batchId: 8, timers: [WireTimer(key: nil, timeMs: 5), WireTimer(key: [0xFF], timeMs: Int64.min)]),
            .stop,
        ]
        for message in messages {
            XCTAssertEqual(try RuntimeMessage.decode(frame: message.encodedFrame()), message)
        }
    }

    func testOperatorMessagesRoundTrip() throws {
        let messages: [OperatorMessage] = [
            .metadata(Metadata(name: "op", inputs: [], outputs: [])),
            .metadata(
                Metadata(name: "join", inputs: ["a", Input("b", grouping: .groupByKey)], outputs: ["x", "y", "ünï"])
            ),
            .ready(timers: []),
            .ready(timers: [WireTimer(key: nil, timeMs: 1_000), WireTimer(key: Array("tick".utf8), timeMs: -5)]),
            .batchResult(batchId: 1, outputs: [], timers: []),
            .batchResult(
                batchId: 2,
                outputs: [
                    WireOutput(outputIndex: 0, key: nil, value: [1]),
                    WireOutput(outputIndex: 1, key: [2], value: nil, headers: [Header(key: "h", value: [])]),
                ],
                timers: [WireTimer(key: nil, timeMs: 1), WireTimer(key: [3], timeMs: 2)]
            ),
            .failed(batchId: 0, recordIndex: OperatorLimits.noRecordIndex, error: "initialize failed: nope"),
            .failed(batchId: 9, recordIndex: 4, error: ""),
            .stopped,
        ]
        for message in messages {
            XCTAssertEqual(try OperatorMessage.decode(frame: message.encodedFrame()), message)
        }
    }

    func testHelloBytesFollowTheDocumentedLayout() throws {
        let frame = RuntimeMessage.hello(Hello(operatorName: "op", instanceId: "i", instanceIndex: 1, instanceCount: 2))
            .encodedFrame()
        let expected: [UInt8] = [
            0, 0, 0, 18,  // length: type + 17 bytes of body
            0x01,  // Hello
            0, 1,  // version
            0, 2, 0x6F, 0x70,  // "op"
            0, 1, 0x69,  // "i"
            0, 0, 0, 1,  // index
            0, 0, 0, 2,  // count
        ]
        XCTAssertEqual(frame, expected)
    }

    func testBatchResultAndFailedBytesFollowTheDocumentedLayout() throws {
        let result = OperatorMessage.batchResult(
            batchId: 5, outputs: [WireOutput(outputIndex: 1, key: nil, value: [0xAB])],
            timers: [WireTimer(key: nil, timeMs: 3)]
        ).encodedFrame()
        let expected: [UInt8] =
            [0, 0, 0, 42, 0x83]
            + [0, 0, 0, 0, 0, 0, 0, 5]  // batch id
            + [0, 0, 0, 1]  // output count
            + [0, 1, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 1, 0xAB, 0, 0]  // index, null key, value, no headers
            + [0, 0, 0, 1]  // timer count
            + [0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0, 0, 3]  // null key, time
        XCTAssertEqual(result, expected)

        let failed = OperatorMessage.failed(batchId: 0, recordIndex: OperatorLimits.noRecordIndex, error: "x")
            .encodedFrame()
        XCTAssertEqual(failed, [0, 0, 0, 18, 0x84, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 1, 0x78])
    }

    func testEmptyMessagesAreShortFrames() {
        XCTAssertEqual(RuntimeMessage.stop.encodedFrame(), [0, 0, 0, 1, 0x05])
        XCTAssertEqual(OperatorMessage.ready(timers: []).encodedFrame(), [0, 0, 0, 5, 0x82, 0, 0, 0, 0])
        XCTAssertEqual(OperatorMessage.stopped.encodedFrame(), [0, 0, 0, 1, 0x85])
    }
}

extension MessageCodecTests {
    func testWriterGrowsPastItsFirstSize() {
        var writer = ByteWriter(capacity: 1)
        let chunk = [UInt8](0..<200)
        writer.append(UInt64(0x0102_0304_0506_0708))
        writer.append(contentsOf: chunk)
        writer.appendString("héllo")
        writer.appendBytes(nil)
        XCTAssertEqual(
            writer.bytes, [1, 2, 3, 4, 5, 6, 7, 8] + chunk + [0, 6] + Array("héllo".utf8) + [0xFF, 0xFF, 0xFF, 0xFF]
        )
        writer.removeAll()
        writer.append(UInt16(7))
        XCTAssertEqual(writer.bytes, [0, 7])
    }
}
