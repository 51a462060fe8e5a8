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
/// One `OperatorDeployment` (an actor) per operator owns its record and its instances, one
/// `OperatorSupervisor` each; this class is the registry and the public face for the admin API. See
/// `README.md` in this folder.
public final class OperatorRuntime: Sendable {
    /// What every deployment and supervisor shares.
    struct Context: Sendable {
        var configuration: OperatorRuntimeConfiguration
        var logs: LogManager
        var groups: GroupCoordinator
        var clock: SluiceClock
        var store: DeploymentStore
        /// Ids for the outputs of each fed process (`OutputIntent`): the broker's one allocator.
        var producerIds: ProducerIdAllocator
        /// How operator processes are confined on this machine (cgroups found, user to run as).
        var confinement: OperatorConfinement
        var onEvent: @Sendable (String) -> Void
    }

    let configuration: OperatorRuntimeConfiguration
    let logs: LogManager
    let groups: GroupCoordinator
    let clock: SluiceClock
    let onEvent: @Sendable (String) -> Void
    let store: DeploymentStore
    let producerIds: ProducerIdAllocator
    let confinement: OperatorConfinement
    let deployments = Mutex<[String: OperatorDeployment]>([:])
    /// Names being deployed right now, so two deploys of one name cannot race.
    let reservedNames = Mutex<Set<String>>([])

    public init(
        configuration: OperatorRuntimeConfiguration, logs: LogManager, groups: GroupCoordinator,
        clock: SluiceClock = SystemClock(), producerIds: ProducerIdAllocator? = nil,
        onEvent: @escaping @Sendable (String) -> Void = { _ in },
        onError: (@Sendable (String) -> Void)? = nil
    ) throws {
        precondition(configuration.batchRecordsMax >= 1 && configuration.batchBytesMax >= 1, "batch bounds")
        precondition(configuration.batchBytesMax < OperatorProtocol.frameSizeBytesMax / 2, "a batch fits in a frame")
        precondition(configuration.outputPartitions >= 1, "an output stream has a partition")
        self.configuration = configuration
        self.logs = logs
        self.groups = groups
        self.clock = clock
        self.onEvent = onEvent
        // Pass the broker's allocator when the Kafka port hands out ids too: two would issue the same ones.
        self.producerIds = producerIds ?? logs.makeProducerIdAllocator()
        self.store = try DeploymentStore(dataDirectory: configuration.dataDirectory, onError: onError ?? onEvent)
        if let problem = configuration.limitsDefault.problem {
            throw OperatorRuntimeError(code: .invalidRequest, message: "operators: default \(problem)")
        }
        self.confinement = try OperatorConfinement.make(
            cgroupsEnabled: configuration.cgroupsEnabled, runAsUser: configuration.runAsUser
        )
        onEvent("operator limits: \(self.confinement.enforcement(of: configuration.limitsDefault)); "
            + "defaults \(configuration.limitsDefault.summary)")
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
                // Not started and not removed: its files stay for a person to repair (or redeploy over).
                self.store.onError("operator \(name): not started, cannot read operator.json: \(error)")
                continue
            }
            let deployment = OperatorDeployment(record: record, context: self.context)
            self.deployments.withLock { $0[name] = deployment }
            await deployment.restore()
        }
    }

    var context: Context {
        Context(
            configuration: self.configuration, logs: self.logs, groups: self.groups, clock: self.clock,
            store: self.store, producerIds: self.producerIds, confinement: self.confinement, onEvent: self.onEvent
        )
    }

    func deployment(_ name: String) throws -> OperatorDeployment {
        guard let deployment = self.deployments.withLock({ $0[name] }) else {
            throw OperatorRuntimeError(code: .unknownOperator, message: "no operator named \(name) is deployed")
        }
        return deployment
    }

    /// Stops feeding every instance (and the canary) after its in-flight batch, which is committed first.
    public func pause(name: String) async throws -> OperatorStatus {
        try await self.deployment(name).pause()
        return try self.status(name: name)
    }

    public func resume(name: String) async throws -> OperatorStatus {
        try await self.deployment(name).resume()
        return try self.status(name: name)
    }

    /// Runs `instances` live instances, moving input partitions with a swap's exact handoff.
    public func scale(name: String, instances: Int) async throws -> ScaleReport {
        try await self.deployment(name).scale(to: instances)
    }

    /// Stops the operator and forgets its deployment (code, log, timers); its offsets stay in its group.
    public func kill(name: String) async throws {
        let deployment = try self.deployment(name)
        await deployment.stop(finally: true)
        self.deployments.withLock { _ = $0.removeValue(forKey: name) }
        self.store.remove(self.store.directory(of: name))
        self.onEvent("operator \(name): killed")
    }

    public func status(name: String) throws -> OperatorStatus {
        try self.deployment(name).status(nowNs: self.clock.monotonicNs())
    }

    public func list() -> [OperatorStatus] {
        let deployments = self.deployments.withLock { Array($0.values) }
        let nowNs = self.clock.monotonicNs()
        return deployments.map { $0.status(nowNs: nowNs) }.sorted { $0.name < $1.name }
    }

    /// The last `tailLines` lines of the operator's log, each prefixed with its time and `v<version>#<process>`
    /// (and `[i/n]` or `[canary]` when the operator runs more than one process).
    public func logs(name: String, tailLines: Int) throws -> [String] {
        try self.deployment(name).log.tail(tailLines)
    }

    /// Every line the operator logs from now on; ends when the operator is killed.
    public func followLogs(name: String) throws -> AsyncStream<String> {
        try self.deployment(name).log.follow()
    }

    /// Graceful: every operator finishes its in-flight batch (outputs appended, inputs committed), gets Stop,
    /// and is killed if it has not exited within the stop timeout. Deployments stay for the next `start`.
    public func shutdown() async {
        let deployments = self.deployments.withLock { state in
            defer { state.removeAll() }
            return Array(state.values)
        }
        await withTaskGroup(of: Void.self) { group in
            for deployment in deployments { group.addTask { await deployment.stop(finally: true) } }
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
    func currentProcessIdentifier(name: String, instance: Int = 0) async throws -> Int32? {
        let live = try self.deployment(name).live
        guard instance < live.count else { return nil }
        return await live[instance].currentProcessIdentifier()
    }
}

extension OperatorSupervisor {
    func currentProcessIdentifier() -> Int32? { self.current?.process.pid }
}
