#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs `computation` as an operator: speaks the operator protocol on `input` and `output` (the process's standard
/// input and output by default) until the runtime says Stop, then returns; `main.swift` ends and the process
/// exits 0.
///
/// When the conversation cannot go on (`initialize` threw, another protocol version, a protocol violation, the
/// runtime went away) it writes the reason to standard error, which the runtime keeps as the operator's log, and
/// exits the process with status 1.
///
/// With the default `output`, standard output is kept for the protocol alone: `print` and anything else the
/// operator's code writes to file descriptor 1 go to standard error instead.
public func serve<Operator: Computation>(
    _ computation: Operator, input: Int32 = STDIN_FILENO, output: Int32 = STDOUT_FILENO
) {
    do {
        try runOperator(computation, input: input, output: output)
    } catch {
        let line = "\(computation.metadata().name): \(error)\n"
        _ = line.utf8CString.withUnsafeBufferPointer { write(STDERR_FILENO, $0.baseAddress, $0.count - 1) }
        exit(1)
    }
}

/// `serve` without the exit: returns after Stopped, throws what ended the conversation otherwise. For tests and
/// for hosts that run an operator loop inside a larger program.
public func runOperator<Operator: Computation>(
    _ computation: Operator, input: Int32 = STDIN_FILENO, output: Int32 = STDOUT_FILENO
) throws {
    OperatorLimits.assertRelations()
    // A runtime that died must show up as a failed write (EPIPE), not kill the process without a word.
    signal(SIGPIPE, SIG_IGN)
    var protocolOutput = output
    if output == STDOUT_FILENO {
        protocolOutput = dup(STDOUT_FILENO)
        guard protocolOutput >= 0 else {
            throw OperatorError(.systemCallFailed, "dup(1) failed", errno: errno)
        }
        fflush(stdout)
        guard dup2(STDERR_FILENO, STDOUT_FILENO) >= 0 else {
            throw OperatorError(.systemCallFailed, "dup2(2, 1) failed", errno: errno)
        }
    }
    var session = OperatorSession(computation, input: input, output: protocolOutput)
    try session.run()
}
