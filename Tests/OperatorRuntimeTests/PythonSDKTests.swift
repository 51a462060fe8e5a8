import Foundation
@testable import OperatorRuntime
import XCTest

/// The runtime with operators written against the real Python SDK (`sdk/python`), put on PYTHONPATH
/// through the configuration as the broker does.
final class PythonSDKTests: XCTestCase {
    private var harness: RuntimeHarness!

    private static let sdkDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("sdk/python").path

    override func setUpWithError() throws {
        guard FileManager.default.fileExists(atPath: Self.sdkDirectory + "/sluice/__init__.py") else {
            throw XCTSkip("no Python SDK at \(Self.sdkDirectory)")
        }
        self.harness = try RuntimeHarness()
        self.harness.configuration.pythonPath = [Self.sdkDirectory]
    }

    override func tearDownWithError() throws {
        self.harness?.close()
        self.harness?.remove()
    }

    private static let uppercase = """
        import sluice

        class Uppercase(sluice.Computation):
            def process_record(self, ctx, record):
                if record.data == b"explode":
                    raise ValueError("cannot uppercase an explosion")
                print("seen", record.offset)
                ctx.produce_record("upper", record.key, record.data.upper())

            def metadata(self):
                return sluice.Metadata(name="uppercase", istreams=["words"], ostreams=["upper"])

        sluice.serve_computation(Uppercase())
        """

    private static let ticker = """
        import time
        import sluice

        class Ticker(sluice.Computation):
            def init(self, ctx):
                ctx.set_timer("tick", int(time.time() * 1000) + 50)

            def process_timer(self, ctx, key, when):
                ctx.produce_record("ticks", key, str(when))
                ctx.set_timer("tick", when + 50)

            def metadata(self):
                return sluice.Metadata(name="sdk-ticker", ostreams=["ticks"])

        sluice.serve_computation(Ticker())
        """

    func testSDKOperatorProcessesDeadLettersAndLogs() async throws {
        try self.harness.createTopic("words", partitions: 2)
        let runtime = try self.harness.makeRuntime()
        let status = try await runtime.deploy(DeployRequest(files: ["uppercase.py": Array(Self.uppercase.utf8)]))
        XCTAssertEqual(status.name, "uppercase")
        try self.harness.produce("words", partition: 0, values: ["a", "b", "explode", "c"], keys: ["1", "2", "3", "4"])
        try self.harness.produce("words", partition: 1, values: ["d", "e"])
        await waitUntil("outputs") { self.harness.count("upper") == 5 }
        await waitUntil("dead letter") { self.harness.count("uppercase.dlq") == 1 }
        let outputs = try self.harness.values("upper").values.joined().sorted()
        XCTAssertEqual(outputs, ["A", "B", "C", "D", "E"])
        let letter = try XCTUnwrap(try self.harness.records("uppercase.dlq").values.joined().first)
        let error = letter.headers.first { $0.key == "sluice.error" }.map { String(decoding: $0.value ?? [], as: UTF8.self) }
        XCTAssertTrue(error?.contains("cannot uppercase an explosion") ?? false, "\(error ?? "none")")
        await waitUntil("log lines") { ((try? runtime.logs(name: "uppercase", tailLines: 100)) ?? []).contains { $0.contains("seen") } }
        await runtime.shutdown()
    }

    func testSDKSourceSetsItsFirstTimerInInitAndKeepsOnePerKey() async throws {
        let runtime = try self.harness.makeRuntime()
        _ = try await runtime.deploy(DeployRequest(files: ["ticker.py": Array(Self.ticker.utf8)]))
        try await Task.sleep(nanoseconds: 600_000_000)
        let ticks = self.harness.count("ticks")
        XCTAssertGreaterThanOrEqual(ticks, 6)
        XCTAssertLessThanOrEqual(ticks, 13)
        // A swap re-runs init, which replaces the pending tick instead of adding a second one.
        _ = try await runtime.swap(name: "sdk-ticker", DeployRequest(files: ["ticker.py": Array(Self.ticker.utf8)]))
        await runtime.shutdown()
        let timers = try String(contentsOfFile: self.harness.directory + "/operators/sdk-ticker/timers.json", encoding: .utf8)
        XCTAssertEqual(timers.components(separatedBy: "timeMs").count - 1, 1, timers)
    }
}
