import Foundation
import XCTest

@testable import SluiceOperator

/// Plays the runtime in tests: runs an operator loop in process on a thread, over two `pipe(2)` pairs, and
/// writes and reads frames on the other ends.
final class RuntimeSide {
    private let toOperator: Pipe
    private let fromOperator: Pipe
    private let finished = DispatchSemaphore(value: 0)
    private var outcome: Error??

    /// Starts `body(input, output)` (an operator loop) on its own thread.
    init(_ body: @escaping (Int32, Int32) throws -> Void) throws {
        self.toOperator = try Pipe.make()
        self.fromOperator = try Pipe.make()
        let input = self.toOperator.read
        let output = self.fromOperator.write
        let thread = Thread { [self] in
            do {
                try body(input, output)
                self.outcome = .some(nil)
            } catch {
                self.outcome = .some(error)
            }
            self.finished.signal()
        }
        thread.stackSize = 8 << 20
        thread.start()
    }

    deinit {
        self.toOperator.closeWrite()
        self.toOperator.closeRead()
        self.fromOperator.closeWrite()
        self.fromOperator.closeRead()
    }

    func send(_ message: RuntimeMessage) throws {
        try FileDescriptorIO.writeAll(self.toOperator.write, message.encodedFrame())
    }

    func send(raw bytes: [UInt8]) throws {
        try FileDescriptorIO.writeAll(self.toOperator.write, bytes)
    }

    /// Closes the operator's input, as a runtime that died would.
    func closeInput() {
        self.toOperator.closeWrite()
    }

    /// The next whole frame from the operator, length included.
    func receiveFrame() throws -> [UInt8] {
        let lengthBytes = try self.readExactly(4)
        let length = lengthBytes.reduce(0) { $0 << 8 | Int($1) }
        return lengthBytes + (try self.readExactly(length))
    }

    func receive() throws -> OperatorMessage {
        try OperatorMessage.decode(frame: self.receiveFrame())
    }

    /// Waits for the operator loop to end and returns what it threw (nil when it returned).
    func waitForEnd(file: StaticString = #filePath, line: UInt = #line) -> Error? {
        guard self.finished.wait(timeout: .now() + 10) == .success else {
            XCTFail("the operator loop did not end", file: file, line: line)
            return nil
        }
        return self.outcome ?? nil
    }

    private func readExactly(_ count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let result = try bytes.withUnsafeMutableBytes {
                try FileDescriptorIO.read(self.fromOperator.read, into: $0.baseAddress! + done, count: count - done)
            }
            guard result > 0 else {
                throw OperatorError(.inputClosed, "operator output ended after \(done) of \(count) bytes")
            }
            done += result
        }
        return bytes
    }
}
