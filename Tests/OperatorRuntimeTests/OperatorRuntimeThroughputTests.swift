import Foundation
@testable import OperatorRuntime
import XCTest

/// Throughput of the runtime with a Python identity operator on 100-byte records. Runs only when
/// SLUICE_RUNTIME_BENCH is set (it takes a while in debug builds; measure with `-c release`).
final class OperatorRuntimeThroughputTests: XCTestCase {
    func testPythonIdentityThroughput() async throws {
        guard let countText = ProcessInfo.processInfo.environment["SLUICE_RUNTIME_BENCH"] else {
            throw XCTSkip("set SLUICE_RUNTIME_BENCH=<records> to measure")
        }
        let count = Int(countText) ?? 1_000_000
        let harness = try RuntimeHarness()
        defer {
            harness.close()
            harness.remove()
        }
        try harness.createTopic("in", partitions: 3)
        let value = String(repeating: "x", count: 100)
        let batch = Array(repeating: value, count: 1000)
        for index in 0..<(count / 1000) {
            try harness.produce("in", partition: index % 3, values: batch)
        }
        // SLUICE_PYTHON_SDK=1 measures an identity operator written with the Python SDK instead of the fixture.
        let sdkDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("sdk/python").path
        let useSDK = ProcessInfo.processInfo.environment["SLUICE_PYTHON_SDK"] != nil
        if useSDK { harness.configuration.pythonPath = [sdkDirectory] }
        let sdkIdentity = """
            import sluice
            class Identity(sluice.Computation):
                def process_record(self, ctx, record):
                    ctx.produce_record("out", record.key, record.data)
                def metadata(self):
                    return sluice.Metadata(name="identity", istreams=["in"], ostreams=["out"])
            sluice.serve_computation(Identity())
            """
        let runtime = try harness.makeRuntime()
        let started = Date()
        _ = try await runtime.deploy(
            useSDK ? DeployRequest(files: ["identity.py": Array(sdkIdentity.utf8)]) : RuntimeHarness.fixture("identity.py")
        )
        await waitUntil("all copied", timeoutSeconds: 600) { harness.count("out") >= Int64(count) }
        let seconds = Date().timeIntervalSince(started)
        print("python \(useSDK ? "sdk" : "fixture") identity: \(count) records of 100 bytes in \(seconds) s = \(Int(Double(count) / seconds)) records/s")
        await runtime.shutdown()
    }

    func testNativeIdentityThroughput() async throws {
        guard let countText = ProcessInfo.processInfo.environment["SLUICE_RUNTIME_BENCH"] else {
            throw XCTSkip("set SLUICE_RUNTIME_BENCH=<records> to measure")
        }
        let count = Int(countText) ?? 1_000_000
        let harness = try RuntimeHarness()
        defer {
            harness.close()
            harness.remove()
        }
        // SLUICE_SWIFT_OPERATOR names a built Swift SDK identity operator (`swift build -c release --product
        // identity-operator`); without it a C identity operator is compiled here.
        if let swiftOperator = ProcessInfo.processInfo.environment["SLUICE_SWIFT_OPERATOR"] {
            try await self.measure(harness, count: count, binary: swiftOperator, label: "swift sdk identity")
            return
        }
        let binary = harness.directory + "/identity_native"
        let compiler = Process()
        compiler.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        compiler.arguments = ["cc", "-O2", "-o", binary, RuntimeHarness.fixturesDirectory + "/identity_native.c"]
        try compiler.run()
        compiler.waitUntilExit()
        guard compiler.terminationStatus == 0 else { throw XCTSkip("no C compiler") }
        try await self.measure(harness, count: count, binary: binary, label: "native identity")
    }

    private func measure(_ harness: RuntimeHarness, count: Int, binary: String, label: String) async throws {
        try harness.createTopic("in", partitions: 3)
        let value = String(repeating: "x", count: 100)
        let batch = Array(repeating: value, count: 1000)
        for index in 0..<(count / 1000) {
            try harness.produce("in", partition: index % 3, values: batch)
        }
        let runtime = try harness.makeRuntime()
        let started = Date()
        let request = DeployRequest(files: ["identity": Array(try Data(contentsOf: URL(fileURLWithPath: binary)))])
        _ = try await runtime.deploy(request)
        await waitUntil("all copied", timeoutSeconds: 600) { harness.count("out") >= Int64(count) }
        let seconds = Date().timeIntervalSince(started)
        print("\(label): \(count) records of 100 bytes in \(seconds) s = \(Int(Double(count) / seconds)) records/s")
        await runtime.shutdown()
    }
}
