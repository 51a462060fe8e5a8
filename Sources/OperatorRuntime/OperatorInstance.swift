import Foundation
import SluiceModel

#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Where an operator process's standard error goes: the operator's log once it has one, and always a short
/// tail kept in memory so a start failure can say what the process printed.
final class StderrSink: Sendable {
    private struct State {
        var log: OperatorLog?
        var prefix: String
        var pending: [String] = []
        var tail: [String] = []
    }

    private static let tailLinesMax = 20
    private static let pendingLinesMax = 1000
    private let state: Mutex<State>

    init(log: OperatorLog?, prefix: String) {
        self.state = Mutex(State(log: log, prefix: prefix))
    }

    func line(_ text: String) {
        self.state.withLock { state in
            state.tail.append(text)
            if state.tail.count > Self.tailLinesMax { state.tail.removeFirst() }
            if let log = state.log {
                log.append(text, prefix: state.prefix)
            } else if state.pending.count < Self.pendingLinesMax {
                state.pending.append(text)
            }
        }
    }

    /// Sends the lines kept so far, and every later one, to `log` (once the operator's name is known).
    func attach(_ log: OperatorLog) {
        self.state.withLock { state in
            for line in state.pending { log.append(line, prefix: state.prefix) }
            state.pending.removeAll()
            state.log = log
        }
    }

    var tail: [String] { self.state.withLock { $0.tail } }
}

/// A started operator process: it has answered Hello with Metadata, and Ready with the timers its init set.
///
/// The mutable fields are touched only by the owning `OperatorSupervisor` (an actor) or, before it has one,
/// by `start`.
final class OperatorInstance: @unchecked Sendable {
    let process: OperatorProcess
    let version: Int
    let number: Int
    let label: String
    let metadata: OperatorMetadata
    let stderr: StderrSink
    /// The limits it runs under, to tell a limit breach from a crash when it exits.
    let limits: OperatorLimits
    /// The timers set in init (carried by Ready).
    let initTimers: [OperatorTimer]
    private(set) var iterator: AsyncStream<OperatorProcessEvent>.AsyncIterator?
    var nextBatchId: UInt64 = 1
    var hasExited = false
    var exitStatus = ""
    var batchesCompleted = 0

    private init(
        process: OperatorProcess, version: Int, number: Int, label: String, metadata: OperatorMetadata,
        stderr: StderrSink, limits: OperatorLimits, initTimers: [OperatorTimer],
        iterator: AsyncStream<OperatorProcessEvent>.AsyncIterator
    ) {
        self.process = process
        self.version = version
        self.number = number
        self.label = label
        self.metadata = metadata
        self.stderr = stderr
        self.limits = limits
        self.initTimers = initTimers
        self.iterator = iterator
    }

    /// Hands the event iterator to the supervisor's pump (once).
    func takeIterator() -> AsyncStream<OperatorProcessEvent>.AsyncIterator? {
        defer { self.iterator = nil }
        return self.iterator
    }

    /// The limit it went over, when its exit says so (nil while it runs, and for an ordinary crash).
    var limitBreach: LimitBreach? {
        guard let exit = self.process.exit else { return nil }
        return LimitBreach.classify(exit, stderrTail: self.stderr.tail, limits: self.limits)
    }

    func sendStop() {
        self.process.send(OperatorProtocol.stopFrame())
        self.process.closeInput()
    }

    struct StartParameters: Sendable {
        var argv: [String]
        var directory: String
        var environment: [String: String]
        var helloName: String
        var version: Int
        var number: Int
        var timeoutMs: Int64
        var placement: OperatorPlacement
        var limits: OperatorLimits
        var confinement: OperatorConfinement

        /// `v<version>#<number>`, then the placement (`[2/3]`, `[canary]`): how logs and errors name the process.
        var label: String { "v\(self.version)#\(self.number)\(self.placement.labelSuffix)" }

        /// The name of its cgroup directory: unique across versions, processes and brokers sharing a machine.
        var cgroupLeaf: String {
            let name = self.helloName.isEmpty ? "unnamed" : self.helloName
            return "\(name)-v\(self.version)-\(self.number)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        }
    }

    /// Spawns the process and walks it through Hello → Metadata → Ready. Throws
    /// `.notAnOperator` when it never sends a valid Metadata, `.noStreams` when it declares none, and
    /// `.startFailed` when it fails or dies after its Metadata, `.limitExceeded` when it went over a limit
    /// meanwhile. The process is killed on every failure.
    static func start(_ parameters: StartParameters, stderr: StderrSink) async throws -> OperatorInstance {
        let process: OperatorProcess
        do {
            let plan = try parameters.confinement.plan(limits: parameters.limits, leaf: parameters.cgroupLeaf)
            process = try OperatorProcess(
                argv: parameters.argv, directory: parameters.directory, environment: parameters.environment,
                plan: plan, onStderrLine: { stderr.line($0) }
            )
        } catch {
            throw OperatorRuntimeError(code: .startFailed, message: "\(error)")
        }
        let timedOut = Atomic<Bool>(false)
        let timeout = Task {
            try await Task.sleep(nanoseconds: UInt64(parameters.timeoutMs) * 1_000_000)
            timedOut.store(true, ordering: .relaxed)
            process.kill()
        }
        defer { timeout.cancel() }
        var iterator = process.events.makeAsyncIterator()
        let what = parameters.argv.joined(separator: " ")
        func failure(_ code: OperatorRuntimeError.Code, _ reason: String) async -> OperatorRuntimeError {
            process.kill()
            // Drain to the exit so the last stderr lines are in the tail.
            while let event = await iterator.next() { if case .exited = event { break } }
            let tail = stderr.tail.suffix(5).joined(separator: " | ")
            let reason = timedOut.load(ordering: .relaxed) ? "no answer within \(parameters.timeoutMs) ms" : reason
            if let exit = process.exit, let breach = LimitBreach.classify(exit, stderrTail: stderr.tail, limits: parameters.limits) {
                return OperatorRuntimeError(code: .limitExceeded, message: "\(what): \(breach.reason)")
            }
            return OperatorRuntimeError(
                code: code, message: "\(what): \(reason)" + (tail.isEmpty ? "" : "; stderr: \(tail)")
            )
        }
        process.send(OperatorProtocol.helloFrame(
            name: parameters.helloName, instanceId: "\(parameters.helloName)-v\(parameters.version)-\(parameters.number)",
            instanceIndex: UInt32(parameters.placement.index), instanceCount: UInt32(parameters.placement.count)
        ))
        let metadata: OperatorMetadata
        switch await iterator.next() {
        case .message(.metadata(let declared)): metadata = declared
        case .protocolError(let error): throw await failure(.notAnOperator, "not an operator: it \(error)")
        case .exited(let status): throw await failure(.notAnOperator, "not an operator: exited (\(status)) without answering Hello")
        default: throw await failure(.notAnOperator, "not an operator: answered Hello with something other than Metadata")
        }
        if let problem = Self.problem(with: metadata) {
            throw await failure(.notAnOperator, "invalid Metadata: \(problem)")
        }
        guard !metadata.inputs.isEmpty || !metadata.outputs.isEmpty else {
            throw await failure(.noStreams, "operator \(metadata.name) declares no input or output stream")
        }
        let initTimers: [OperatorTimer]
        switch await iterator.next() {
        case .message(.ready(let timers)): initTimers = timers
        case .message(.failed(_, _, let error)): throw await failure(.startFailed, "init failed: \(error)")
        case .exited(let status): throw await failure(.startFailed, "exited before Ready (\(status))")
        case .protocolError(let error): throw await failure(.startFailed, "protocol error: \(error)")
        default: throw await failure(.startFailed, "answered Metadata with something other than Ready")
        }
        return OperatorInstance(
            process: process, version: parameters.version, number: parameters.number, label: parameters.label,
            metadata: metadata, stderr: stderr, limits: parameters.limits, initTimers: initTimers, iterator: iterator
        )
    }

    /// Names are non-empty and no stream is named twice among the inputs, nor among the outputs. Every name
    /// is a valid topic name and none belongs to the broker (`__`); no output contains '@', which separates
    /// a canary's version in the shadow streams the runtime derives from the declared names. Checked before
    /// anything is created, at every start (deploy, swap, canary, restart).
    static func problem(with metadata: OperatorMetadata) -> String? {
        if metadata.name.isEmpty { return "the operator has no name" }
        let inputs = metadata.inputs.map(\.stream)
        let outputs = metadata.outputs
        if inputs.contains("") || outputs.contains("") { return "a stream has an empty name" }
        if Set(inputs).count != inputs.count { return "an input stream is named twice" }
        if Set(outputs).count != outputs.count { return "an output stream is named twice" }
        for stream in inputs + outputs {
            if TopicNames.isInternal(stream) {
                return "stream \(stream) is internal to the broker (names starting with '\(TopicNames.internalPrefix)' are)"
            }
            if let problem = TopicNames.problem(with: stream) { return "stream \(stream): \(problem)" }
        }
        if let shadow = outputs.first(where: { $0.contains("@") }) {
            return "output stream \(shadow) contains '@', which only a canary's shadow streams have "
                + "(the runtime names them from the declared output)"
        }
        return nil
    }
}
