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
        self.openDescriptors = [
            self.toOperator.read, self.toOperator.write, self.fromOperator.read, self.fromOperator.write,
        ]
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

    /// The descriptors not closed yet: each is closed once, so a number reused by a later test is never hit.
    private var openDescriptors: Set<Int32>

    deinit {
        for descriptor in self.openDescriptors {
            close(descriptor)
        }
    }

    private func close(_ descriptor: Int32) {
        if self.openDescriptors.remove(descriptor) != nil {
            Glibc.close(descriptor)
        }
    }

    func send(_ message: RuntimeMessage) throws {
        try FileDescriptorIO.writeAll(self.toOperator.write, message.encodedFrame())
    }

    func send(raw bytes: [UInt8]) throws {
        try FileDescriptorIO.writeAll(self.toOperator.write, bytes)
    }

    /// Closes the operator's input, as a runtime that died would.
    func closeInput() {
        self.close(self.toOperator.write)
    }

    /// Checks that the operator wrote nothing more: closes our copy of its output's write end (the loop must have
    /// ended) and expects end of input.
    func assertNothingMoreSent(file: StaticString = #filePath, line: UInt = #line) {
        self.close(self.fromOperator.write)
        XCTAssertThrowsError(try self.receiveFrame(), "the operator sent another frame", file: file, line: line)
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
