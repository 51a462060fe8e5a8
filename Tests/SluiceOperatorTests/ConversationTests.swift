import XCTest

@testable import SluiceOperator

/// Records what the operator's code saw, across the thread the operator loop runs on.
final class Probe: @unchecked Sendable {
    private let lock = NSLock()
    private var _events: [String] = []

    var events: [String] { self.lock.withLock { self._events } }

    func record(_ event: String) {
        self.lock.withLock { self._events.append(event) }
    }
}

struct Failure: Error, CustomStringConvertible {
    let description: String
}

/// Copies `a` to `x` and `b` to both `x` and `y` with a timer per key; fails on the value "boom", produces to an
/// undeclared stream on "stray". Sets a timer without key in `initialize`.
struct TestOperator: Computation {
    let probe: Probe
    var initializeThrows = false

    func metadata() -> Metadata {
        Metadata(name: "test", inputs: ["a", Input("b", grouping: .groupByKey)], outputs: ["x", "y"])
    }

    mutating func initialize(_ context: inout Context) throws {
        self.probe.record("initialize \(context.operatorName) \(context.instanceIndex)/\(context.instanceCount)")
        if self.initializeThrows {
            throw Failure(description: "no configuration")
        }
        try context.setTimer(timeMs: 1_000)
    }

    mutating func processRecord(_ context: inout Context, _ record: Record) throws {
        switch record.value {
        case Array("boom".utf8)?:
            throw Failure(description: "boom at offset \(record.offset)")
        case Array("stray".utf8)?:
            try context.produce(stream: "nowhere", value: record.value)
        default:
            break
        }
        try context.produce(stream: "x", key: record.key, value: record.value, headers: record.headers)
        if record.stream == "b" {
            try context.produce(stream: "y", key: record.key, value: nil)
            try context.setTimer(key: record.key, timeMs: record.timestampMs + 10)
        }
    }

    mutating func processTimer(_ context: inout Context, key: [UInt8]?, timeMs: Int64) throws {
        if timeMs == 666 {
            throw Failure(description: "timer failed")
        }
        try context.produce(stream: "y", key: key, value: Array("fired \(timeMs)".utf8))
    }

    mutating func destroy() {
        self.probe.record("destroy")
    }
}

/// Breaks the rule that outputs belong to a batch.
struct ProducesInInitialize: Computation {
    func metadata() -> Metadata { Metadata(name: "eager", inputs: [], outputs: ["out"]) }
    mutating func initialize(_ context: inout Context) throws { try context.produce(stream: "out", value: [1]) }
    mutating func processRecord(_ context: inout Context, _ record: Record) throws {}
}

final class ConversationTests: XCTestCase {
    private let hello = RuntimeMessage.hello(
        Hello(operatorName: "test", instanceId: "test-1", instanceIndex: 1, instanceCount: 2)
    )

    private func record(_ input: UInt16, _ offset: Int64, _ value: String, key: String? = nil) -> WireRecord {
        WireRecord(inputIndex: input, partition: 0, offset: offset, timestampMs: 100 + offset,
                   key: key.map { Array($0.utf8) }, value: Array(value.utf8))
    }

    func testFullConversation() throws {
        let probe = Probe()
        let runtime = try RuntimeSide { input, output in
            serve(TestOperator(probe: probe), input: input, output: output)
        }
        try runtime.send(self.hello)
        XCTAssertEqual(
            try runtime.receive(),
            .metadata(Metadata(name: "test", inputs: ["a", Input("b", grouping: .groupByKey)], outputs: ["x", "y"]))
        )
        // Ready carries the timer set in initialize.
        XCTAssertEqual(try runtime.receive(), .ready(timers: [WireTimer(key: nil, timeMs: 1_000)]))
        XCTAssertEqual(probe.events, ["initialize test 1/2"])

        // An empty Timers batch is answered like any other.
        try runtime.send(.timers(batchId: 1, timers: []))
        XCTAssertEqual(
            try runtime.receiveFrame(), OperatorMessage.batchResult(batchId: 1, outputs: [], timers: []).encodedFrame()
        )

        // Records: everything produced and every timer set, byte for byte.
        let headers = [Header(key: "trace", value: [1, 2]), Header(key: "empty", value: nil)]
        var first = self.record(0, 10, "one", key: "k1")
        first.headers = headers
        try runtime.send(.records(batchId: 2, records: [first, self.record(1, 11, "two", key: "k2")]))
        XCTAssertEqual(
            try runtime.receiveFrame(),
            OperatorMessage.batchResult(
                batchId: 2,
                outputs: [
                    WireOutput(outputIndex: 0, key: Array("k1".utf8), value: Array("one".utf8), headers: headers),
                    WireOutput(outputIndex: 0, key: Array("k2".utf8), value: Array("two".utf8)),
                    WireOutput(outputIndex: 1, key: Array("k2".utf8), value: nil),
                ],
                timers: [WireTimer(key: Array("k2".utf8), timeMs: 121)]
            ).encodedFrame()
        )

        // Timers, with and without key.
        try runtime.send(.timers(batchId: 3, timers: [WireTimer(key: Array("k2".utf8), timeMs: 121),
                                                      WireTimer(key: nil, timeMs: 1_000)]))
        XCTAssertEqual(
            try runtime.receive(),
            .batchResult(
                batchId: 3,
                outputs: [WireOutput(outputIndex: 1, key: Array("k2".utf8), value: Array("fired 121".utf8)),
                          WireOutput(outputIndex: 1, key: nil, value: Array("fired 1000".utf8))],
                timers: []
            )
        )

        // A throwing record: Failed with its index, and service goes on without a trace of that batch.
        try runtime.send(.records(batchId: 4, records: [self.record(0, 20, "ok"), self.record(0, 21, "boom"),
                                                        self.record(0, 22, "never seen")]))
        XCTAssertEqual(try runtime.receive(), .failed(batchId: 4, recordIndex: 1, error: "boom at offset 21"))
        try runtime.send(.records(batchId: 5, records: [self.record(0, 20, "ok")]))
        XCTAssertEqual(
            try runtime.receive(),
            .batchResult(batchId: 5, outputs: [WireOutput(outputIndex: 0, key: nil, value: Array("ok".utf8))],
                         timers: [])
        )

        // Producing to an undeclared stream fails the record.
        try runtime.send(.records(batchId: 6, records: [self.record(1, 30, "fine"), self.record(0, 31, "stray")]))
        guard case .failed(6, 1, let text) = try runtime.receive() else {
            return XCTFail("expected Failed for batch 6, record 1")
        }
        XCTAssertTrue(text.contains("nowhere"), text)

        // A throwing timer: Failed with the timer's index.
        try runtime.send(.timers(batchId: 7, timers: [WireTimer(key: nil, timeMs: 1), WireTimer(key: nil, timeMs: 666)]))
        XCTAssertEqual(try runtime.receive(), .failed(batchId: 7, recordIndex: 1, error: "timer failed"))

        try runtime.send(.stop)
        XCTAssertEqual(try runtime.receive(), .stopped)
        XCTAssertNil(runtime.waitForEnd())
        XCTAssertEqual(probe.events, ["initialize test 1/2", "destroy"])
    }

    func testProduceInInitializeFailsTheStart() throws {
        let runtime = try RuntimeSide { input, output in
            try runOperator(ProducesInInitialize(), input: input, output: output)
        }
        try runtime.send(self.hello)
        guard case .metadata = try runtime.receive() else { return XCTFail("expected Metadata") }
        guard case .failed(0, OperatorLimits.noRecordIndex, let text) = try runtime.receive() else {
            return XCTFail("expected Failed")
        }
        XCTAssertTrue(text.contains("initialize"), text)
        XCTAssertEqual((runtime.waitForEnd() as? OperatorError)?.code, .initializeFailed)
    }

    func testInitializeThatThrowsIsReportedAndEndsTheLoop() throws {
        let probe = Probe()
        let runtime = try RuntimeSide { input, output in
            try runOperator(TestOperator(probe: probe, initializeThrows: true), input: input, output: output)
        }
        try runtime.send(self.hello)
        guard case .metadata = try runtime.receive() else { return XCTFail("expected Metadata") }
        XCTAssertEqual(
            try runtime.receive(),
            .failed(batchId: 0, recordIndex: OperatorLimits.noRecordIndex, error: "initialize failed: no configuration")
        )
        XCTAssertEqual((runtime.waitForEnd() as? OperatorError)?.code, .initializeFailed)
    }

    func testAnotherProtocolVersionIsRefused() throws {
        let runtime = try RuntimeSide { input, output in
            try runOperator(TestOperator(probe: Probe()), input: input, output: output)
        }
        try runtime.send(.hello(Hello(protocolVersion: 2, operatorName: "t", instanceId: "t", instanceIndex: 0,
                                      instanceCount: 1)))
        guard case .failed(0, OperatorLimits.noRecordIndex, let text) = try runtime.receive() else {
            return XCTFail("expected Failed")
        }
        XCTAssertTrue(text.contains("version 2") && text.contains("version 1"), text)
        XCTAssertEqual((runtime.waitForEnd() as? OperatorError)?.code, .unsupportedVersion)
    }

    func testAnotherVersionIsRefusedWithoutReadingTheRestOfItsHello() throws {
        let runtime = try RuntimeSide { input, output in
            try runOperator(TestOperator(probe: Probe()), input: input, output: output)
        }
        try runtime.send(raw: [0, 0, 0, 4, 0x01, 0, 3, 0xEE])  // version 3, then a layout version 1 cannot read
        guard case .failed(0, OperatorLimits.noRecordIndex, let text) = try runtime.receive() else {
            return XCTFail("expected Failed")
        }
        XCTAssertTrue(text.contains("version 3"), text)
        XCTAssertEqual((runtime.waitForEnd() as? OperatorError)?.code, .unsupportedVersion)
    }

    func testMalformedBatchEndsTheLoopUnansweredWithoutRunningUserCode() throws {
        let probe = Probe()
        let runtime = try RuntimeSide { input, output in
            try runOperator(TestOperator(probe: probe), input: input, output: output)
        }
        try runtime.send(self.hello)
        _ = try runtime.receive()
        _ = try runtime.receive()
        // A valid record followed by a byte the body does not account for.
        try runtime.send(raw: RuntimeMessage.records(batchId: 9, records: [self.record(0, 0, "boom")]).encodedFrame()
            .withLength(+1) + [0])
        XCTAssertEqual((runtime.waitForEnd() as? OperatorError)?.code, .malformedFrame)
        runtime.assertNothingMoreSent()
        XCTAssertEqual(probe.events, ["initialize test 1/2"])
    }

    func testRecordOfAnUndeclaredInputIsAProtocolError() throws {
        let probe = Probe()
        let runtime = try RuntimeSide { input, output in
            try runOperator(TestOperator(probe: probe), input: input, output: output)
        }
        try runtime.send(self.hello)
        _ = try runtime.receive()
        _ = try runtime.receive()
        try runtime.send(.records(batchId: 1, records: [self.record(0, 0, "fine"), self.record(2, 1, "nowhere")]))
        XCTAssertEqual((runtime.waitForEnd() as? OperatorError)?.code, .malformedFrame)
        runtime.assertNothingMoreSent()
        XCTAssertEqual(probe.events, ["initialize test 1/2"])
    }

    func testInputClosedWithoutStopCallsDestroyAndEndsTheLoop() throws {
        let probe = Probe()
        let runtime = try RuntimeSide { input, output in
            try runOperator(TestOperator(probe: probe), input: input, output: output)
        }
        try runtime.send(self.hello)
        _ = try runtime.receive()
        _ = try runtime.receive()
        runtime.closeInput()
        XCTAssertEqual((runtime.waitForEnd() as? OperatorError)?.code, .inputClosed)
        XCTAssertEqual(probe.events, ["initialize test 1/2", "destroy"])
    }

    func testRecordsBeforeHelloEndTheLoopUnanswered() throws {
        let runtime = try RuntimeSide { input, output in
            try runOperator(TestOperator(probe: Probe()), input: input, output: output)
        }
        try runtime.send(.records(batchId: 1, records: []))
        XCTAssertEqual((runtime.waitForEnd() as? OperatorError)?.code, .unexpectedMessage)
        runtime.assertNothingMoreSent()
    }
}
