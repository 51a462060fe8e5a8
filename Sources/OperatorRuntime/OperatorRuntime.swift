import Foundation
import GroupCoordinator
import LogStore
import SluiceModel
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Runs operators: deploys them, feeds them their inputs from committed offsets, appends what they produce,
/// commits, and pauses, resumes, swaps, rolls back and kills them while everything else keeps running.
/// One `OperatorSupervisor` (an actor) per operator does the work; this class is the registry and the
/// public face for the admin API. See `README.md` in this folder.
public final class OperatorRuntime: Sendable {
    let configuration: OperatorRuntimeConfiguration
    let logs: LogManager
    let groups: GroupCoordinator
    let clock: SluiceClock
    let onEvent: @Sendable (String) -> Void
    let store: DeploymentStore
    let supervisors = Mutex<[String: OperatorSupervisor]>([:])
    /// Names being deployed right now, so two deploys of one name cannot race.
    let reservedNames = Mutex<Set<String>>([])

    public init(
        configuration: OperatorRuntimeConfiguration, logs: LogManager, groups: GroupCoordinator,
        clock: SluiceClock = SystemClock(), onEvent: @escaping @Sendable (String) -> Void = { _ in }
    ) throws {
        precondition(configuration.batchRecordsMax >= 1 && configuration.batchBytesMax >= 1, "batch bounds")
        precondition(configuration.batchBytesMax < OperatorProtocol.frameSizeBytesMax / 2, "a batch fits in a frame")
        precondition(configuration.outputPartitions >= 1, "an output stream has a partition")
        self.configuration = configuration
        self.logs = logs
        self.groups = groups
        self.clock = clock
        self.onEvent = onEvent
        self.store = try DeploymentStore(dataDirectory: configuration.dataDirectory)
        // A write to the pipe of an operator that just died must fail with EPIPE, not kill the broker.
        signal(SIGPIPE, SIG_IGN)
    }

    /// Brings back every deployed operator at its committed offsets; paused ones stay paused. An operator
    /// that cannot start is left restarting with backoff (and reported), so one bad operator does not keep
    /// the broker from starting.
    public func start() async throws {
        self.store.removeStagingDirectories()
        for name in self.store.deployedNames() {
            let record: DeploymentRecord
            do {
                record = try self.store.loadRecord(of: name)
            } catch {
                self.onEvent("operator \(name): cannot read operator.json: \(error)")
                continue
            }
            let supervisor = self.makeSupervisor(record)
            self.supervisors.withLock { $0[name] = supervisor }
            do {
                try await supervisor.begin(with: nil)
            } catch {
                self.onEvent("operator \(name): start failed, retrying: \(error)")
                await supervisor.beginRestarting(error: "\(error)")
            }
        }
    }

    func makeSupervisor(_ record: DeploymentRecord) -> OperatorSupervisor {
        OperatorSupervisor(
            record: record, configuration: self.configuration, logs: self.logs, groups: self.groups,
            clock: self.clock, store: self.store, onEvent: self.onEvent
        )
    }

    func supervisor(_ name: String) throws -> OperatorSupervisor {
        guard let supervisor = self.supervisors.withLock({ $0[name] }) else {
            throw OperatorRuntimeError(code: .unknownOperator, message: "no operator named \(name) is deployed")
        }
        return supervisor
    }

    public func pause(name: String) async throws -> OperatorStatus {
        let supervisor = try self.supervisor(name)
        try await supervisor.pause()
        return try self.status(name: name)
    }

    public func resume(name: String) async throws -> OperatorStatus {
        let supervisor = try self.supervisor(name)
        try await supervisor.resume()
        return try self.status(name: name)
    }

    /// Stops the operator and forgets its deployment (code, log, timers); its offsets stay in its group.
    public func kill(name: String) async throws {
        let supervisor = try self.supervisor(name)
        await supervisor.stop()
        await supervisor.destroyMetrics()
        supervisor.log.finishFollowers()
        self.supervisors.withLock { _ = $0.removeValue(forKey: name) }
        self.store.remove(self.store.directory(of: name))
        self.onEvent("operator \(name): killed")
    }

    public func status(name: String) throws -> OperatorStatus {
        try self.supervisor(name).status(nowNs: self.clock.monotonicNs())
    }

    public func list() -> [OperatorStatus] {
        let supervisors = self.supervisors.withLock { Array($0.values) }
        let nowNs = self.clock.monotonicNs()
        return supervisors.map { $0.status(nowNs: nowNs) }.sorted { $0.name < $1.name }
    }

    /// The last `tailLines` lines of the operator's log, each prefixed with its time and `v<version>#<instance>`.
    public func logs(name: String, tailLines: Int) throws -> [String] {
        try self.supervisor(name).log.tail(tailLines)
    }

    /// Every line the operator logs from now on; ends when the operator is killed.
    public func followLogs(name: String) throws -> AsyncStream<String> {
        try self.supervisor(name).log.follow()
    }

    /// Graceful: every operator finishes its in-flight batch (outputs appended, inputs committed), gets Stop,
    /// and is killed if it has not exited within the stop timeout. Deployments stay for the next `start`.
    public func shutdown() async {
        let supervisors = self.supervisors.withLock { state in
            defer { state.removeAll() }
            return Array(state.values)
        }
        await withTaskGroup(of: Void.self) { group in
            for supervisor in supervisors {
                group.addTask {
                    await supervisor.stop()
                    supervisor.log.finishFollowers()
                }
            }
        }
    }

    // MARK: - Shared helpers

    /// Creates the streams that do not exist yet.
    static func createStreams(_ streams: [String], logs: LogManager, partitions: Int) throws {
        for stream in streams where logs.topic(stream) == nil {
            if let problem = TopicNames.problem(with: stream) {
                throw OperatorRuntimeError(code: .invalidRequest, message: "stream name \(stream): \(problem)")
            }
            do {
                try logs.createTopic(stream, partitionCount: partitions)
            } catch {
                // Another operator may have created it in between.
                if logs.topic(stream) == nil { throw error }
            }
        }
    }

    /// The argv to spawn: `python3`/`python` stand for the configured interpreter.
    static func resolveCommand(_ command: [String], configuration: OperatorRuntimeConfiguration) -> [String] {
        guard let program = command.first else { return command }
        if program == "python3" || program == "python" {
            return [configuration.pythonExecutable] + command.dropFirst()
        }
        return command
    }

    /// The broker's environment, then the deployment's, then PYTHONPATH with the SDK directories first.
    static func environment(
        for version: DeploymentRecord.Version, name: String, configuration: OperatorRuntimeConfiguration
    ) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        for (key, value) in version.environment { environment[key] = value }
        let pythonPath = configuration.pythonPath + (environment["PYTHONPATH"].map { [$0] } ?? [])
        if !pythonPath.isEmpty { environment["PYTHONPATH"] = pythonPath.joined(separator: ":") }
        environment["PYTHONUNBUFFERED"] = "1"
        environment["SLUICE_OPERATOR_PROTOCOL"] = String(OperatorProtocol.version)
        environment["SLUICE_OPERATOR_NAME"] = name
        environment["SLUICE_OPERATOR_VERSION"] = String(version.version)
        return environment
    }
}

extension OperatorRuntime {
    /// The pid of the operator's current process (tests kill it to simulate a crash).
    func currentProcessIdentifier(name: String) async throws -> Int32? {
        await (try self.supervisor(name)).currentProcessIdentifier()
    }
}

extension OperatorSupervisor {
    func currentProcessIdentifier() -> Int32? { self.current?.process.pid }
}
