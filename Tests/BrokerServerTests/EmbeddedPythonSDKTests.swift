@testable import BrokerServer
import Foundation
import XCTest

final class EmbeddedPythonSDKTests: XCTestCase {
    /// The SDK the broker writes for its operators is exactly sdk/python/sluice; when this fails, run
    /// scripts/embed-python-sdk.py.
    func testEmbeddedSDKMatchesTheSources() throws {
        let sdk = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("sdk/python/sluice")
        let onDisk = try FileManager.default.contentsOfDirectory(atPath: sdk.path).filter { $0.hasSuffix(".py") }
        XCTAssertEqual(Set(onDisk), Set(EmbeddedPythonSDK.files.keys), "run scripts/embed-python-sdk.py")
        for name in onDisk {
            let contents = try Data(contentsOf: sdk.appendingPathComponent(name))
            XCTAssertEqual(EmbeddedPythonSDK.files[name], contents.base64EncodedString(), "\(name) changed: run scripts/embed-python-sdk.py")
        }
    }

    func testInstallWritesAnImportablePackage() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sdk-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = try PythonSDKInstaller.install(dataDirectory: directory.path)
        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        python.arguments = ["python3", "-c", "import sluice; print(sluice.Computation.__name__)"]
        python.environment = ["PYTHONPATH": path, "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin"]
        let output = Pipe()
        python.standardOutput = output
        try python.run()
        python.waitUntilExit()
        XCTAssertEqual(python.terminationStatus, 0)
        XCTAssertEqual(String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self), "Computation\n")
    }
}
