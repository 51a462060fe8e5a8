import Foundation
import GroupCoordinator
import LogStore
@testable import OperatorRuntime
import RecordFormat
import SluiceModel
import XCTest

/// Real Python fixture processes fed through LogManager and GroupCoordinator in-process.
final class OperatorRuntimeEndToEndTests: XCTestCase {
    private var harness: RuntimeHarness!

    override func setUpWithError() throws {
        self.harness = try RuntimeHarness()
    }

    override func tearDownWithError() throws {
        self.harness.close()
        self.harness.remove()
    }

    private func produceSequence(_ topic: String, partitions: Int, count: Int, batch: Int = 500) throws {
        var next = Array(repeating: 0, count: partitions)
        var produced = 0
        while produced < count {
            let partition = produced / batch % partitions
            let values = (0..<min(batch, count - produced)).map { i in "p\(partition)-\(next[partition] + i)" }
            try self.harness.produce(topic, partition: partition, values: values)
            next[partition] += values.count
            produced += values.count
        }
    }

    /// Output values grouped by the partition they came from (`p<n>-<seq>`), in output order.
    private func outputSequences(_ topic: String) throws -> [String: [Int]] {
        var sequences: [String: [Int]] = [:]
        for (_, values) in try self.harness.values(topic) {
            for value in values {
                let parts = value.split(separator: "-")
                sequences[String(parts[0]), default: []].append(Int(parts[1])!)
            }
        }
        return sequences
    }

    func testIdentityCopiesEveryRecordExactlyOnceInOrder() async throws {
        try self.harness.createTopic("in", partitions: 3)
        try self.produceSequence("in", partitions: 3, count: 20_000)
        let runtime = try self.harness.makeRuntime()
        let status = try await runtime.deploy(RuntimeHarness.fixture("identity.py"))
        XCTAssertEqual(status.name, "identity")
        XCTAssertEqual(status.inputs, ["in"])
        XCTAssertEqual(status.outputs, ["out"])
        XCTAssertEqual(status.version, 1)
        await waitUntil("20,000 outputs") { self.harness.count("out") >= 20_000 }
        let sequences = try self.outputSequences("out")
        XCTAssertEqual(self.harness.count("out"), 20_000)
        for (source, values) in sequences {
            XCTAssertEqual(values, Array(0..<values.count), "\(source) in order, exactly once")
        }
        await waitUntil("commits") {
            (0..<3).map { self.harness.committed(group: "identity", topic: "in", partition: $0) }.reduce(0, +) == 20_000
        }
        let final = try runtime.status(name: "identity")
        XCTAssertEqual(final.recordsIn, 20_000)
        XCTAssertEqual(final.recordsOut, 20_000)
        XCTAssertEqual(final.lag, 0)
        XCTAssertEqual(final.state, "running")
        await runtime.shutdown()
    }
}
