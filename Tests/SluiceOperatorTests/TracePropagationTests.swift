import XCTest

@testable import SluiceOperator

/// Produces a plain record, one with headers of its own and one with its own traceparent per record, and one
/// record per timer.
struct TracePropagatingOperator: Computation {
    func metadata() -> Metadata { Metadata(name: "tracer", inputs: ["in"], outputs: ["out"]) }

    mutating func processRecord(_ context: inout Context, _ record: Record) throws {
        try context.produce(stream: "out", value: Array("plain".utf8))
        try context.produce(stream: "out", value: Array("own".utf8), headers: [Header(key: "h", value: [1])])
        try context.produce(
            stream: "out", value: Array("mine".utf8), headers: [Header(key: "traceparent", value: Array("mine".utf8))]
        )
    }

    mutating func processTimer(_ context: inout Context, key: [UInt8]?, timeMs: Int64) throws {
        try context.produce(stream: "out", value: Array("timer".utf8))
    }
}

/// Every record produced while processing a record inherits its traceparent (Docs/tracing.md).
final class TracePropagationTests: XCTestCase {
    private static let upstream = Array("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".utf8)

    func testOutputsInheritTheTraceparentOfTheRecordBeingProcessed() throws {
        let runtime = try RuntimeSide { input, output in
            serve(TracePropagatingOperator(), input: input, output: output)
        }
        try runtime.send(.hello(Hello(operatorName: "tracer", instanceId: "tracer-0", instanceIndex: 0, instanceCount: 1)))
        guard case .metadata = try runtime.receive(), case .ready = try runtime.receive() else {
            return XCTFail("expected Metadata and Ready")
        }
        let traceparent = Header(key: "traceparent", value: Self.upstream)
        let traced = WireRecord(
            inputIndex: 0, partition: 0, offset: 0, timestampMs: 1, key: nil, value: [1],
            headers: [Header(key: "other", value: nil), traceparent]
        )
        let untraced = WireRecord(inputIndex: 0, partition: 0, offset: 1, timestampMs: 2, key: nil, value: [2])
        try runtime.send(.records(batchId: 1, records: [traced, untraced]))
        let mine = Header(key: "traceparent", value: Array("mine".utf8))
        let own = Header(key: "h", value: [1])
        XCTAssertEqual(
            try runtime.receive(),
            .batchResult(
                batchId: 1,
                outputs: [
                    WireOutput(outputIndex: 0, key: nil, value: Array("plain".utf8), headers: [traceparent]),
                    WireOutput(outputIndex: 0, key: nil, value: Array("own".utf8), headers: [own, traceparent]),
                    WireOutput(outputIndex: 0, key: nil, value: Array("mine".utf8), headers: [mine]),
                    WireOutput(outputIndex: 0, key: nil, value: Array("plain".utf8)),
                    WireOutput(outputIndex: 0, key: nil, value: Array("own".utf8), headers: [own]),
                    WireOutput(outputIndex: 0, key: nil, value: Array("mine".utf8), headers: [mine]),
                ],
                timers: []
            )
        )
        // A timer has no record behind it: nothing is inherited, even after a traced record.
        try runtime.send(.records(batchId: 2, records: [traced]))
        _ = try runtime.receive()
        try runtime.send(.timers(batchId: 3, timers: [WireTimer(key: nil, timeMs: 5)]))
        XCTAssertEqual(
            try runtime.receive(),
            .batchResult(batchId: 3, outputs: [WireOutput(outputIndex: 0, key: nil, value: Array("timer".utf8))], timers: [])
        )
        try runtime.send(.stop)
        XCTAssertEqual(try runtime.receive(), .stopped)
        XCTAssertNil(runtime.waitForEnd())
    }
}
