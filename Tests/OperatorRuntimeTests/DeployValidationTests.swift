import Foundation
@testable import OperatorRuntime
import XCTest

/// A deploy refused for anything the request itself says (its name, environment, paths, command) has run
/// nothing and written nothing: each request here would `touch` a marker if its command ever ran.
final class DeployValidationTests: XCTestCase {
    private var harness: RuntimeHarness!
    private var marker = ""

    override func setUpWithError() throws {
        self.harness = try RuntimeHarness()
        self.marker = self.harness.directory + "/marker"
    }

    override func tearDown() {
        self.harness.close()
        self.harness.remove()
    }

    private func request(name: String?, environment: [String: String] = [:], path: String = "payload.txt") -> DeployRequest {
        DeployRequest(name: name, files: [path: Array("x".utf8)], run: "touch \(self.marker)", environment: environment)
    }

    func testARefusedDeployStartsNothingAndWritesNothing() async throws {
        let runtime = try self.harness.makeRuntime()
        let refused = [
            self.request(name: "bad@name"), self.request(name: "__internal"), self.request(name: ".hidden"),
            self.request(name: "ok", environment: ["A=B": "1"]), self.request(name: "ok", environment: ["": "1"]),
            self.request(name: "ok", environment: ["NUL": "a\0b"]), self.request(name: "ok", path: "../escape"),
        ]
        for request in refused {
            do {
                _ = try await runtime.deploy(request)
                XCTFail("deployed \(request.name ?? "-") with \(request.environment)")
            } catch let error as OperatorRuntimeError {
                XCTAssertEqual(error.code, .invalidRequest, error.message)
            }
        }
        try await Task.sleep(nanoseconds: 500_000_000)
        XCTAssertFalse(FileManager.default.fileExists(atPath: self.marker), "a refused deploy ran its command")
        let operators = try FileManager.default.contentsOfDirectory(atPath: self.harness.directory + "/operators")
        XCTAssertEqual(operators, [], "a refused deploy left files under operators/")

        // The control: a valid request runs the command (which then fails the handshake), so the checks above
        // could see a started command.
        do {
            _ = try await runtime.deploy(self.request(name: "ok"))
            XCTFail("touch is not an operator")
        } catch {}
        XCTAssertTrue(FileManager.default.fileExists(atPath: self.marker))
        await runtime.shutdown()
    }
}
