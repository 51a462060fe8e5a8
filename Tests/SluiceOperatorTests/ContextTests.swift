import XCTest

@testable import SluiceOperator

final class ContextTests: XCTestCase {
    func testExitStatusesMatchThePythonSDK() {
        XCTAssertEqual(exitStatus(for: OperatorError(.inputClosed, "")), 0)
        XCTAssertEqual(exitStatus(for: OperatorError(.initializeFailed, "")), 1)
        XCTAssertEqual(exitStatus(for: OperatorError(.unsupportedVersion, "")), 1)
        XCTAssertEqual(exitStatus(for: OperatorError(.invalidMetadata, "")), 1)
        XCTAssertEqual(exitStatus(for: OperatorError(.malformedFrame, "")), 2)
        XCTAssertEqual(exitStatus(for: OperatorError(.unexpectedMessage, "")), 2)
        XCTAssertEqual(exitStatus(for: OperatorError(.systemCallFailed, "")), 2)
    }

    /// A context inside batch 0.
    private func context() -> Context {
        var context = Context(
            hello: Hello(operatorName: "op", instanceId: "op-0", instanceIndex: 0, instanceCount: 1),
            outputs: ["out", "other"]
        )
        context.beginBatch(id: 0)
        return context
    }

    func testInitializeMaySetTimersButNotProduce() throws {
        var context = Context(
            hello: Hello(operatorName: "op", instanceId: "op-0", instanceIndex: 0, instanceCount: 1), outputs: ["out"]
        )
        XCTAssertThrowsError(try context.produce(stream: "out", value: [1])) { error in
            XCTAssertEqual((error as? OperatorError)?.code, .notInBatch)
        }
        try context.setTimer(timeMs: 5)
        try context.setTimer(key: [1], timeMs: 6)
        XCTAssertEqual(
            try OperatorMessage.decode(frame: context.readyFrame()),
            .ready(timers: [WireTimer(key: nil, timeMs: 5), WireTimer(key: [1], timeMs: 6)])
        )
        // Init's timers are not sent again with the first batch.
        context.beginBatch(id: 1)
        XCTAssertEqual(try OperatorMessage.decode(frame: context.batchResultFrame()),
                       .batchResult(batchId: 1, outputs: [], timers: []))
    }

    func testProduceToAnUndeclaredStreamThrows() {
        var context = self.context()
        XCTAssertThrowsError(try context.produce(stream: "elsewhere", value: [1])) { error in
            XCTAssertEqual((error as? OperatorError)?.code, .undeclaredStream)
        }
        XCTAssertEqual(context.outputCount, 0)
    }

    func testBatchResultOverTheFrameLimitIsRefusedRecordByRecord() throws {
        var context = self.context()
        let half = [UInt8](repeating: 1, count: OperatorLimits.frameLengthMax / 2)
        try context.produce(stream: "out", value: half)
        XCTAssertThrowsError(try context.produce(stream: "other", value: half)) { error in
            XCTAssertEqual((error as? OperatorError)?.code, .tooLarge)
        }
        XCTAssertThrowsError(try context.setTimer(key: half, timeMs: 1)) { error in
            XCTAssertEqual((error as? OperatorError)?.code, .tooLarge)
        }
        let frame = context.batchResultFrame()
        guard case .batchResult(0, let outputs, let timers) = try OperatorMessage.decode(frame: frame) else {
            return XCTFail("expected a BatchResult")
        }
        XCTAssertEqual(outputs.count, 1)
        XCTAssertEqual(timers, [])
    }

    func testHeaderKeysOverTheStringLimitAreRefused() {
        var context = self.context()
        let key = String(repeating: "k", count: 65_536)
        XCTAssertThrowsError(try context.produce(stream: "out", value: nil, headers: [Header(key: key, value: nil)]))
    }

    func testMetadataThatCannotBeEncodedIsRefused() {
        XCTAssertThrowsError(try Metadata(name: String(repeating: "n", count: 70_000), inputs: [], outputs: []).validate())
        XCTAssertThrowsError(try Metadata(name: "n", inputs: [], outputs: ["a", "a"]).validate())
        XCTAssertThrowsError(try Metadata(name: "n", inputs: ["a", Input("a", grouping: .groupByKey)], outputs: [])
            .validate())
        XCTAssertThrowsError(try Metadata(name: "", inputs: [], outputs: []).validate())
        XCTAssertThrowsError(try Metadata(name: "n", inputs: [""], outputs: []).validate())
        XCTAssertThrowsError(try Metadata(name: "n", inputs: [], outputs: [""]).validate())
        XCTAssertNoThrow(try Metadata(name: "n", inputs: ["a"], outputs: ["a"]).validate())
    }
}

extension ContextTests {
    func testReadyOverTheFrameLimitIsRefused() throws {
        var context = Context(
            hello: Hello(operatorName: "op", instanceId: "op-0", instanceIndex: 0, instanceCount: 1), outputs: []
        )
        // Ready = type + count + (4 + key + 8): a key one byte too long for the limit is refused, one that fits is not.
        let fitting = OperatorLimits.frameLengthMax - 1 - 4 - 4 - 8
        XCTAssertThrowsError(try context.setTimer(key: [UInt8](repeating: 0, count: fitting + 1), timeMs: 1))
        try context.setTimer(key: [UInt8](repeating: 0, count: fitting), timeMs: 1)
        XCTAssertEqual(context.readyFrame().count, OperatorLimits.frameLengthMax + 4)
    }
}

extension Context {
    mutating func readyFrame() -> [UInt8] {
        self.finishInitialize()
        return self.frame.bytes
    }

    mutating func batchResultFrame() -> [UInt8] {
        self.finishBatch()
        return self.frame.bytes
    }
}
