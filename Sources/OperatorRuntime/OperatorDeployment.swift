import Foundation
import GroupCoordinator
import LogStore
import SluiceModel
import Synchronization

/// One deployed operator: the only writer of its `operator.json`, the owner of its log, of its live
/// instances (one `OperatorSupervisor` each, see `OperatorPlacement`) and of its canary. Commands fan out to
/// the supervisors; the status sums theirs. An actor, so that scale, swap and canary changes do not
/// interleave with each other; `isChanging` refuses a second one while one awaits.
actor OperatorDeployment {
    struct Members {
        var live: [OperatorSupervisor] = []
        var canary: OperatorSupervisor?
    }

    /// Live instances an operator may be scaled to.
    static let instancesMax = 64

    nonisolated let name: String
    nonisolated let log: OperatorLog
    nonisolated let members = Mutex(Members())
    let context: OperatorRuntime.Context
    let processNumbers = ProcessNumbering()
    var record: DeploymentRecord
    var isChanging = false
    /// Set by a final stop (kill, shutdown): a scale or canary start that was awaiting meanwhile gives up.
    var isStopping = false

    init(record: DeploymentRecord, context: OperatorRuntime.Context) {
        self.name = record.name
        self.record = record
        self.context = context
        self.log = OperatorLog(
            path: context.store.logPath(of: record.name), sizeBytesMax: context.configuration.logFileSizeBytesMax
        )
    }

    nonisolated var live: [OperatorSupervisor] { self.members.withLock { $0.live } }
    nonisolated var canary: OperatorSupervisor? { self.members.withLock { $0.canary } }

    func makeSupervisor(_ placement: OperatorPlacement, version: Int? = nil) -> OperatorSupervisor {
        var record = self.record
        if let version { record.currentVersion = version }
        return OperatorSupervisor(
            record: record, placement: placement, log: self.log, processNumbers: self.processNumbers, context: self.context
        )
    }

    // MARK: - Starting and stopping

    /// A new deployment: `instance` (started by deploy to learn the name) becomes the one live instance.
    func begin(with instance: OperatorInstance) async throws {
        let supervisor = self.makeSupervisor(.live(self.name))
        self.members.withLock { $0.live = [supervisor] }
        try await supervisor.begin(with: instance)
    }

    /// After a broker restart: every live instance and the canary, at their committed offsets. One that
    /// cannot start is left restarting with backoff, so a bad version does not keep the broker down.
    func restore() async {
        let count = self.record.instanceCount
        self.adoptStrayTimers(instanceCount: count)
        let supervisors = (0..<count).map { self.makeSupervisor(.live(self.name, index: $0, of: count)) }
        var canary: OperatorSupervisor?
        if let version = self.record.canaryVersion {
            canary = self.makeSupervisor(.canary(self.name, version: version), version: version)
        }
        self.members.withLock { $0 = Members(live: supervisors, canary: canary) }
        for supervisor in supervisors + (canary.map { [$0] } ?? []) {
            do {
                try await supervisor.begin(with: nil)
            } catch {
                self.context.onEvent("operator \(self.name): start failed, retrying: \(error)")
                await supervisor.beginRestarting(error: "\(error)")
            }
        }
    }

    /// Every instance finishes its in-flight batch and stops; followers of the log are ended when `finally`.
    func stop(finally: Bool) async {
        if finally { self.isStopping = true }
        let all = self.members.withLock { members in
            defer { if finally { members = Members() } }
            return members.live + (members.canary.map { [$0] } ?? [])
        }
        await withTaskGroup(of: Void.self) { group in
            for supervisor in all { group.addTask { await supervisor.stop() } }
        }
        guard finally else { return }
        for supervisor in all { await supervisor.destroyMetrics() }
        self.log.finishFollowers()
    }

    // MARK: - Pause and resume

    /// Pauses every instance after its in-flight batch; `reason` (a stream being deleted) shows in the status
    /// and is kept with the deployment until the resume.
    func pause(reason: String? = nil) async throws {
        self.record.paused = true
        self.record.pauseReason = reason
        try self.context.store.saveRecord(self.record)
        await withTaskGroup(of: Void.self) { group in
            for supervisor in self.allSupervisors {
                group.addTask {
                    if let reason { await supervisor.pause(reason: reason) } else { await supervisor.pause() }
                }
            }
        }
    }

    /// Resumes every instance; when a stream was deleted under them, their logs are reopened first, and the
    /// resume is refused (the operator stays paused) while an input is still missing.
    func resume() async throws {
        for supervisor in self.allSupervisors { try await supervisor.prepareResume() }
        self.record.paused = false
        self.record.pauseReason = nil
        try self.context.store.saveRecord(self.record)
        for supervisor in self.allSupervisors { await supervisor.resume() }
    }

    private var allSupervisors: [OperatorSupervisor] {
        self.members.withLock { $0.live + ($0.canary.map { [$0] } ?? []) }
    }

    // MARK: - Versions

    /// Stores `files` as the next version (not yet current) and tells the supervisors.
    /// `limits` override the current version's; the result is checked before anything is written.
    func addVersion(
        files: [String: [UInt8]], command: [String], environment: [String: String], limits: OperatorLimitsOverride
    ) async throws -> Int {
        let current = self.record.version(self.record.currentVersion)?.limits ?? self.context.configuration.limitsDefault
        let resolved = try OperatorRuntime.checked(limits.applied(to: current))
        let number = (self.record.versions.map(\.version).max() ?? 0) + 1
        try self.context.store.write(files, into: self.context.store.versionDirectory(of: self.name, version: number))
        self.record.versions.append(.init(
            version: number, command: command, environment: environment, createdMs: self.context.clock.wallTimeMs(),
            limits: resolved
        ))
        try self.context.store.saveRecord(self.record)
        await self.refreshSupervisors()
        return number
    }

    /// Forgets a version that never went live (a failed swap, an aborted canary), code included.
    func forgetVersion(_ version: Int) async {
        self.record.versions.removeAll { $0.version == version }
        try? self.context.store.saveRecord(self.record)
        self.context.store.remove(self.context.store.versionDirectory(of: self.name, version: version))
        await self.refreshSupervisors()
    }

    func refreshSupervisors() async {
        for supervisor in self.allSupervisors { await supervisor.refresh(self.record) }
    }

    func beginChange() throws {
        try self.checkNotStopping()
        guard !self.isChanging else {
            throw OperatorRuntimeError(
                code: .invalidRequest, message: "a swap, scale or canary change of \(self.name) is already under way"
            )
        }
        self.isChanging = true
    }

    /// Stores new code as the next version and swaps to it. The change is claimed first, so a swap refused
    /// because another change is under way writes no file.
    func swapLive(
        toNewVersion files: [String: [UInt8]], command: [String], environment: [String: String], limits: OperatorLimitsOverride
    ) async throws -> SwapReport {
        try self.beginChange()
        defer { self.isChanging = false }
        let version = try await self.addVersion(files: files, command: command, environment: environment, limits: limits)
        return try await self.performSwap(to: version, forgetOnFailure: true)
    }

    /// Swaps every live instance to `version` at once (each make-before-break). When one fails, the ones
    /// that swapped go back, so all instances run one version.
    func swapLive(to version: Int, forgetOnFailure: Bool) async throws -> SwapReport {
        try self.beginChange()
        defer { self.isChanging = false }
        return try await self.performSwap(to: version, forgetOnFailure: forgetOnFailure)
    }

    private func performSwap(to version: Int, forgetOnFailure: Bool) async throws -> SwapReport {
        let fromVersion = self.record.currentVersion
        await self.refreshSupervisors()
        let supervisors = self.live
        let outcomes = await withTaskGroup(of: Result<SwapReport, Error>.self) { group in
            for supervisor in supervisors {
                group.addTask {
                    do { return .success(try await supervisor.swap(to: version)) } catch { return .failure(error) }
                }
            }
            var outcomes: [Result<SwapReport, Error>] = []
            for await outcome in group { outcomes.append(outcome) }
            return outcomes
        }
        let reports = outcomes.compactMap { try? $0.get() }
        if reports.count < supervisors.count {
            for supervisor in supervisors {
                if await supervisor.runningVersion == version { _ = try? await supervisor.swap(to: fromVersion) }
            }
            if forgetOnFailure { await self.forgetVersion(version) }
            for case .failure(let error) in outcomes { throw error }
        }
        self.record.currentVersion = version
        try self.context.store.saveRecord(self.record)
        await self.refreshSupervisors()
        let gapMs = reports.map(\.handoffGapMs).max() ?? 0
        return SwapReport(name: self.name, fromVersion: fromVersion, toVersion: version, handoffGapMs: gapMs)
    }

    func checkNotStopping() throws {
        guard !self.isStopping else {
            throw OperatorRuntimeError(code: .invalidRequest, message: "operator \(self.name) is being stopped")
        }
    }

    // MARK: - Status

    /// The live instances' statuses summed (rates, lag, counters), their state when they agree, and the canary.
    nonisolated func status(nowNs: UInt64) -> OperatorStatus {
        let (live, canary) = self.members.withLock { ($0.live, $0.canary) }
        let statuses = live.map { $0.status(nowNs: nowNs) }
        guard var status = statuses.first else {
            var empty = StatusSnapshot(name: self.name, version: 0).status
            empty.state = "stopped"
            return empty
        }
        for other in statuses.dropFirst() {
            status.lag += other.lag
            status.recordsPerSecond += other.recordsPerSecond
            status.recordsIn += other.recordsIn
            status.recordsOut += other.recordsOut
            status.restarts += other.restarts
            status.deadLettered += other.deadLettered
            status.lastErrors += other.lastErrors
            status.reason = status.reason ?? other.reason
            status.recentHandoffGapsMs += other.recentHandoffGapsMs
            status.instanceDetails += other.instanceDetails
            if other.state != status.state { status.state = Self.combinedState(status.state, other.state) }
            if other.version != status.version { status.version = max(status.version, other.version) }
        }
        status.lastErrors = Array(status.lastErrors.suffix(OperatorSupervisor.lastErrorsMax))
        status.recentHandoffGapsMs = Array(status.recentHandoffGapsMs.suffix(OperatorSupervisor.handOffGapsMax))
        status.instances = statuses.count
        status.canary = canary.map { CanaryStatus($0.status(nowNs: nowNs)) }
        return status
    }

    /// While instances disagree, the one that needs attention shows: failing, stopped (over a limit),
    /// restarting, then starting, then paused.
    private static func combinedState(_ first: String, _ second: String) -> String {
        for state in ["failing", "stopped", "restarting", "starting", "running", "paused"] where first == state || second == state {
            return state
        }
        return first
    }
}

/// Numbers the processes a deployment starts, across its instances, so `v2#7` names exactly one process.
final class ProcessNumbering: Sendable {
    private let last = Atomic<Int>(0)

    func next() -> Int {
        self.last.add(1, ordering: .relaxed).newValue
    }
}
