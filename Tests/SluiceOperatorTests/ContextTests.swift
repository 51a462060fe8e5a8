import XCTest

@testable import SluiceOperator

final class ContextTests: XCTestCase {
    private func context() -> Context {
        Context(hello: Hello(operatorName: "op", instanceId: "op-0", instanceIndex: 0, instanceCount: 1),
                outputs: ["out", "other"])
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
        let frame = context.finishBatch()
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
        XCTAssertNoThrow(try Metadata(name: "n", inputs: ["a"], outputs: ["a"]).validate())
    }
}
