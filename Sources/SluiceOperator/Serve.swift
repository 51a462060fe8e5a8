#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs `computation` as an operator: speaks the operator protocol on `input` and `output` (the process's standard
/// input and output by default) until the runtime says Stop, then returns, so that `main.swift` ends and the
/// process exits 0.
///
/// When the conversation cannot go on it writes the reason to standard error (the operator's log, kept by the
/// runtime) and exits the process: with status 0 when the runtime closed the input (it is gone), 1 when the
/// operator cannot start (`initialize` threw, invalid metadata, another protocol version), 2 on a protocol
/// error (a malformed or unexpected frame, a failed read or write).
///
/// With the default descriptors, the protocol takes standard input and output for itself: descriptor 0 then
/// reads /dev/null and descriptor 1 (`print`) writes to standard error, so the operator's code cannot disturb
/// the frames.
public func serve<Operator: Computation>(
    _ computation: Operator, input: Int32 = STDIN_FILENO, output: Int32 = STDOUT_FILENO
) {
    do {
        try runOperator(computation, input: input, output: output)
    } catch let error as OperatorError {
        logToStandardError("\(error); exiting")
        exit(exitStatus(for: error))
    } catch {
        logToStandardError("\(error); exiting")
        exit(2)
    }
}

/// `serve` without the exit: returns after Stopped, throws what ended the conversation otherwise (see
/// `OperatorError.Code`). For tests, and for hosts that run an operator loop inside a larger program.
public func runOperator<Operator: Computation>(
    _ computation: Operator, input: Int32 = STDIN_FILENO, output: Int32 = STDOUT_FILENO
) throws {
    OperatorLimits.assertRelations()
    // A runtime that died must show up as a failed write (EPIPE), not kill the process without a word.
    signal(SIGPIPE, SIG_IGN)
    let channel = try ProtocolChannel.claim(input: input, output: output)
    var session = OperatorSession(
        computation, input: channel.input, output: channel.output, log: logToStandardError
    )
    try session.run()
}

/// The exit status `serve` uses when the conversation ends with `error`.
func exitStatus(for error: OperatorError) -> Int32 {
    switch error.code {
    case .inputClosed: return 0
    case .initializeFailed, .invalidMetadata, .unsupportedVersion: return 1
    default: return 2
    }
}

func logToStandardError(_ message: String) {
    let line = Array("sluice-operator: \(message)\n".utf8)
    try? FileDescriptorIO.writeAll(STDERR_FILENO, line)
}

/// The descriptors the protocol runs on. Standard input and output are moved to private descriptors first, and
/// 0 and 1 pointed at /dev/null and standard error, so that nothing the operator's code reads or prints can
/// touch a frame; other descriptors (tests' pipes) are used as they are.
enum ProtocolChannel {
    static func claim(input: Int32, output: Int32) throws -> (input: Int32, output: Int32) {
        var channel = (input: input, output: output)
        if input == STDIN_FILENO {
            channel.input = try Self.check(dup(STDIN_FILENO), "dup(0)")
            let null = try Self.check(open("/dev/null", O_RDONLY), "open(/dev/null)")
            _ = try Self.check(dup2(null, STDIN_FILENO), "dup2(/dev/null, 0)")
            close(null)
        }
        if output == STDOUT_FILENO {
            fflush(stdout)
            channel.output = try Self.check(dup(STDOUT_FILENO), "dup(1)")
            _ = try Self.check(dup2(STDERR_FILENO, STDOUT_FILENO), "dup2(2, 1)")
        }
        return channel
    }

    private static func check(_ result: Int32, _ call: String) throws -> Int32 {
        guard result >= 0 else {
            throw OperatorError(.systemCallFailed, "\(call) failed", errno: errno)
        }
        return result
    }
}
