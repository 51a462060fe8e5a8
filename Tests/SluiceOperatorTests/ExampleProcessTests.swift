import Foundation
import XCTest

@testable import SluiceOperator

/// Runs the built example operator as the runtime would: a child process on pipes. Skipped when
/// `.build/debug/identity-operator` has not been built (`swift build --product identity-operator`); the
/// in-process conversation tests cover the same loop without it.
final class ExampleProcessTests: XCTestCase {
    private var executable: URL {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".build/debug/identity-operator")
    }

    /// Runs the operator on `input` and returns its standard output and exit status.
    private func run(_ input: [RuntimeMessage]) throws -> (output: [UInt8], status: Int32) {
        guard FileManager.default.isExecutableFile(atPath: self.executable.path) else {
            throw XCTSkip("\(self.executable.path) is not built")
        }
        let process = Process()
        process.executableURL = self.executable
        let stdin = Foundation.Pipe()
        let stdout = Foundation.Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        try process.run()
        try stdin.fileHandleForWriting.write(contentsOf: input.flatMap { $0.encodedFrame() })
        try stdin.fileHandleForWriting.close()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return ([UInt8](output), process.terminationStatus)
    }

    private func frames(_ bytes: [UInt8]) throws -> [OperatorMessage] {
        var messages: [OperatorMessage] = []
        var position = 0
        while position < bytes.count {
            let length = bytes[position..<(position + 4)].reduce(0) { $0 << 8 | Int($1) }
            messages.append(try OperatorMessage.decode(frame: Array(bytes[position..<(position + 4 + length)])))
            position += 4 + length
        }
        return messages
    }

    func testIdentityOperatorServesAndStops() throws {
        let hello = Hello(operatorName: "identity", instanceId: "identity-0", instanceIndex: 0, instanceCount: 1)
        let record = WireRecord(inputIndex: 0, partition: 1, offset: 2, timestampMs: 3, key: [4], value: [5],
                                headers: [Header(key: "h", value: [6])])
        let (output, status) = try self.run([.hello(hello), .records(batchId: 1, records: [record]), .stop])
        XCTAssertEqual(try self.frames(output), [
            .metadata(Metadata(name: "identity", inputs: ["in"], outputs: ["out"])),
            .ready(timers: []),
            .batchResult(batchId: 1, outputs: [WireOutput(outputIndex: 0, key: [4], value: [5], headers: record.headers)],
                         timers: []),
            .stopped,
        ])
        XCTAssertEqual(status, 0)
    }

    func testProtocolErrorExitsWithStatus2Unanswered() throws {
        let (output, status) = try self.run([.stop])
        XCTAssertEqual(output, [])
        XCTAssertEqual(status, 2)
    }

    func testEndOfInputExitsWithStatus0() throws {
        let hello = Hello(operatorName: "identity", instanceId: "identity-0", instanceIndex: 0, instanceCount: 1)
        let (output, status) = try self.run([.hello(hello)])
        XCTAssertEqual(try self.frames(output).count, 2)  // Metadata, Ready
        XCTAssertEqual(status, 0)
    }
}
