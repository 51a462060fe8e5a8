import Dispatch
import Foundation
import CSluiceNative
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// What an operator process reports, in order: messages, then exactly one `exited` (after its standard
/// output has been read to the end and the process reaped).
enum OperatorProcessEvent: Sendable {
    case message(OperatorMessage)
    /// The process wrote something that is not a valid frame; it has been killed.
    case protocolError(String)
    case exited(status: String)
}

/// One operator child process: spawned with `sluice_spawn` (confined before exec), standard input/output/error on
/// pipes.
///
/// Threads: a reader thread per process cuts standard output into frames (bounded by the protocol's 64 MiB)
/// and yields events; a second thread forwards standard error lines to `onStderrLine`; writes go through a
/// serial dispatch queue so a slow or hung child never blocks the caller (a Swift concurrency thread).
final class OperatorProcess: Sendable {
    let pid: pid_t
    let events: AsyncStream<OperatorProcessEvent>
    private let eventSink: AsyncStream<OperatorProcessEvent>.Continuation
    private let stdinDescriptor: Int32
    private let writer: DispatchQueue
    /// Set once the reader has reaped the child, so `kill` never signals a reused pid.
    private let isReaped = Mutex(false)
    /// Standard input is closed once, by `closeInput` or `deinit`: a second close could hit a descriptor number
    /// already reused by another operator's pipe.
    private let isInputClosed = Mutex(false)
    /// The process's cgroup, read and removed once it is reaped; nil without cgroups.
    private let cgroup: OperatorCgroup?

    /// How the process ended (`LimitBreach.Exit`), set just before the `exited` event.
    private let exitBox = Mutex<LimitBreach.Exit?>(nil)
    /// Signalled when standard error reaches its end, so the `exited` event comes after the last line.
    private let stderrFinished = DispatchSemaphore(value: 0)

    /// Spawns `argv` in `directory` with exactly `environment`, confined by `plan` (cgroup, rlimits, user)
    /// from before its first instruction. Throws when the executable cannot be started; the plan's cgroup is
    /// then removed.
    init(
        argv: [String], directory: String, environment: [String: String],
        plan: OperatorConfinement.Plan = OperatorConfinement.Plan(cgroup: nil, rlimits: [], user: nil),
        onStderrLine: @escaping @Sendable (String) -> Void
    ) throws {
        precondition(!argv.isEmpty, "a command has a program")
        let stdinPipe: (read: Int32, write: Int32)
        let stdoutPipe: (read: Int32, write: Int32)
        let stderrPipe: (read: Int32, write: Int32)
        do {
            stdinPipe = try Self.makePipe()
            stdoutPipe = try Self.makePipe()
            stderrPipe = try Self.makePipe()
        } catch {
            plan.cgroup?.remove()
            throw error
        }
        var environment = environment
        if let user = plan.user {
            // The broker's HOME is not the user's to write to.
            environment["HOME"] = user.home
            environment["USER"] = user.name
            environment["LOGNAME"] = user.name
        }
        let program = Self.resolve(argv[0], directory: directory, path: environment["PATH"])
        let result = Self.spawn(
            program: program, argv: argv, environment: environment, directory: directory,
            descriptors: (stdinPipe.read, stdoutPipe.write, stderrPipe.write), plan: plan
        )
        // The child has its copies; the parent keeps only its own ends, so EOF arrives when the child exits.
        close(stdinPipe.read)
        close(stdoutPipe.write)
        close(stderrPipe.write)
        guard case .success(let pid) = result else {
            close(stdinPipe.write)
            close(stdoutPipe.read)
            close(stderrPipe.read)
            plan.cgroup?.remove()
            if case .failure(let message) = result { throw OperatorProtocolError(message: "cannot start \(argv[0]): \(message)") }
            preconditionFailure("a spawn either succeeds or fails")
        }
        self.pid = pid
        self.cgroup = plan.cgroup
        self.stdinDescriptor = stdinPipe.write
        self.writer = DispatchQueue(label: "sluice.operator.\(pid).writer")
        (self.events, self.eventSink) = AsyncStream.makeStream(of: OperatorProcessEvent.self)
        let stdoutDescriptor = stdoutPipe.read
        let stderrDescriptor = stderrPipe.read
        let stderrFinished = self.stderrFinished
        Thread.detachNewThread { [self] in self.readFrames(from: stdoutDescriptor) }
        Thread.detachNewThread {
            Self.readLines(from: stderrDescriptor, onLine: onStderrLine)
            stderrFinished.signal()
        }
    }

    private enum SpawnResult { case success(pid_t), failure(String) }

    /// `sluice_spawn`: fork, confine, exec (see CSluiceNative.h for why the confinement is in the child).
    private static func spawn(
        program: String, argv: [String], environment: [String: String], directory: String,
        descriptors: (stdin: Int32, stdout: Int32, stderr: Int32), plan: OperatorConfinement.Plan
    ) -> SpawnResult {
        let cArguments = argv.map { strdup($0) } + [nil]
        let cEnvironment = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            cArguments.forEach { free($0) }
            cEnvironment.forEach { free($0) }
        }
        let resources = plan.rlimits.map { Int32($0.resource) }
        let values = plan.rlimits.map { CUnsignedLongLong($0.value) }
        let cgroupDescriptors = plan.cgroup?.procsDescriptors ?? []
        var pid: pid_t = 0
        var failedStep: Int32 = 0
        let error = program.withCString { cProgram in
            directory.withCString { cDirectory in
                resources.withUnsafeBufferPointer { resourcePointer in
                    values.withUnsafeBufferPointer { valuePointer in
                        cgroupDescriptors.withUnsafeBufferPointer { cgroupPointer in
                            cArguments.withUnsafeBufferPointer { argumentPointer in
                                cEnvironment.withUnsafeBufferPointer { environmentPointer in
                                    var request = sluice_spawn_request(
                                        path: cProgram, argv: argumentPointer.baseAddress, envp: environmentPointer.baseAddress,
                                        directory: cDirectory, stdin_fd: descriptors.stdin, stdout_fd: descriptors.stdout,
                                        stderr_fd: descriptors.stderr, rlimit_resources: resourcePointer.baseAddress,
                                        rlimit_values: valuePointer.baseAddress, rlimit_count: Int32(resources.count),
                                        cgroup_procs_fds: cgroupPointer.baseAddress, cgroup_count: Int32(cgroupDescriptors.count),
                                        change_user: plan.user == nil ? 0 : 1, uid: plan.user?.uid ?? 0, gid: plan.user?.gid ?? 0
                                    )
                                    return sluice_spawn(&request, &pid, &failedStep)
                                }
                            }
                        }
                    }
                }
            }
        }
        guard error != 0 else { return .success(pid) }
        let steps: [Int32: String] = [
            1: "pipe", 2: "fork", 3: "redirecting its standard streams", 4: "cannot run in \(directory)",
            5: "joining its cgroup", 6: "setting its rlimits", 7: "switching to user \(plan.user?.name ?? "?")",
            8: "exec",
        ]
        return .failure("\(steps[failedStep] ?? "spawn"): \(String(cString: strerror(error)))")
    }

    /// Queues `frame` for the child's standard input. A write to a child that has gone fails quietly: the
    /// `exited` event tells the story.
    func send(_ frame: [UInt8]) {
        self.writer.async {
            frame.withUnsafeBytes { bytes in
                guard !self.isInputClosed.withLock({ $0 }) else { return }
                var written = 0
                while written < bytes.count {
                    let count = write(self.stdinDescriptor, bytes.baseAddress! + written, bytes.count - written)
                    if count < 0 && errno == EINTR { continue }
                    if count <= 0 { return }
                    written += count
                }
            }
        }
    }

    /// Closes standard input after the queued writes (a well-behaved operator exits on EOF).
    func closeInput() {
        self.writer.async { self.closeInputOnce() }
    }

    private func closeInputOnce() {
        let shouldClose = self.isInputClosed.withLock { isClosed in
            defer { isClosed = true }
            return !isClosed
        }
        if shouldClose { close(self.stdinDescriptor) }
    }

    var hasExited: Bool { self.isReaped.withLock { $0 } }

    /// How it ended, once it has (before its `exited` event).
    var exit: LimitBreach.Exit? { self.exitBox.withLock { $0 } }

    func kill() {
        self.isReaped.withLock { isReaped in
            if !isReaped { _ = Glibc.kill(self.pid, SIGKILL) }
        }
    }

    deinit {
        // The writer queue holds a reference to self while it has work, so nothing is queued any more.
        self.closeInputOnce()
    }

    // MARK: - Reading

    private func readFrames(from descriptor: Int32) {
        var parser = FrameParser()
        var chunk = [UInt8](repeating: 0, count: 256 * 1024)
        reading: while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress!, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            parser.append(chunk[0..<count])
            while true {
                do {
                    guard let message = try parser.next() else { break }
                    self.eventSink.yield(.message(message))
                } catch {
                    self.kill()
                    self.eventSink.yield(.protocolError("\(error)"))
                    break reading
                }
            }
        }
        close(descriptor)
        var status: Int32 = 0
        while waitpid(self.pid, &status, 0) < 0 && errno == EINTR {}
        self.isReaped.withLock { $0 = true }
        let counters = self.cgroup?.counters()
        self.cgroup?.remove()
        // The last lines of standard error tell a failed allocation apart from another failure; a child that
        // left a grandchild holding the pipe open is not waited for beyond this.
        _ = self.stderrFinished.wait(timeout: .now() + .seconds(1))
        let signal = status & 0x7f
        self.exitBox.withLock {
            $0 = LimitBreach.Exit(code: signal == 0 ? (status >> 8) & 0xff : nil, signal: signal == 0 ? nil : signal, cgroup: counters)
        }
        self.eventSink.yield(.exited(status: Self.describe(status: status)))
        self.eventSink.finish()
    }

    private static func readLines(from descriptor: Int32, onLine: @Sendable (String) -> Void) {
        var pending: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        // A line without a newline is cut at this size so a child cannot grow the buffer without bound.
        let lineSizeBytesMax = 64 * 1024
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress!, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            pending.append(contentsOf: chunk[0..<count])
            var lineStart = 0
            for index in 0..<pending.count where pending[index] == UInt8(ascii: "\n") {
                onLine(String(decoding: pending[lineStart..<index], as: UTF8.self))
                lineStart = index + 1
            }
            pending.removeFirst(lineStart)
            if pending.count > lineSizeBytesMax {
                onLine(String(decoding: pending, as: UTF8.self))
                pending.removeAll(keepingCapacity: true)
            }
        }
        if !pending.isEmpty { onLine(String(decoding: pending, as: UTF8.self)) }
        close(descriptor)
    }

    // MARK: - Helpers

    private static func makePipe() throws -> (read: Int32, write: Int32) {
        var descriptors: [Int32] = [0, 0]
        guard pipe2(&descriptors, O_CLOEXEC) == 0 else {
            throw OperatorProtocolError(message: "pipe failed: \(String(cString: strerror(errno)))")
        }
        return (descriptors[0], descriptors[1])
    }

    /// execve does not search PATH: a bare name is looked up there, a relative path is taken in the
    /// operator's directory.
    private static func resolve(_ program: String, directory: String, path: String?) -> String {
        if program.hasPrefix("/") { return program }
        if program.contains("/") { return directory + "/" + program }
        for entry in (path ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(entry)/\(program)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return program
    }

    private static func describe(status: Int32) -> String {
        let signal = status & 0x7f
        if signal == 0 { return "exit code \((status >> 8) & 0xff)" }
        return "killed by signal \(signal)"
    }
}

// Declared here because Glibc's module map does not export it.
@_silgen_name("pipe2")
private func pipe2(_ descriptors: UnsafeMutablePointer<Int32>, _ flags: Int32) -> Int32

/// Cuts a byte stream into frames: u32 length (1...64 MiB), type, body.
struct FrameParser {
    private var buffer: [UInt8] = []
    private var start = 0

    mutating func append(_ bytes: ArraySlice<UInt8>) {
        if self.start > 0 && self.start >= self.buffer.count / 2 {
            self.buffer.removeFirst(self.start)
            self.start = 0
        }
        self.buffer.append(contentsOf: bytes)
    }

    /// The next complete message, nil when more bytes are needed.
    mutating func next() throws -> OperatorMessage? {
        let available = self.buffer.count - self.start
        guard available >= 4 else { return nil }
        var length = 0
        for index in 0..<4 { length = length << 8 | Int(self.buffer[self.start + index]) }
        guard length >= 1, length <= OperatorProtocol.frameSizeBytesMax else {
            // Show what came instead of a frame: usually a print() to standard output.
            let preview = self.buffer[self.start..<min(self.buffer.count, self.start + 60)]
                .map { $0 >= 0x20 && $0 < 0x7f ? Character(UnicodeScalar($0)) : "." }
            throw OperatorProtocolError(
                message: "wrote \"\(String(preview))\" to standard output, not a frame (length \(length))"
            )
        }
        guard available >= 4 + length else { return nil }
        let type = self.buffer[self.start + 4]
        let body = Array(self.buffer[(self.start + 5)..<(self.start + 4 + length)])
        self.start += 4 + length
        return try OperatorProtocol.decode(type: type, body: body)
    }
}
