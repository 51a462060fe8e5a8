import Foundation
import SluiceModel

/// Deploy, swap and rollback: storing versions and starting them.
extension OperatorRuntime {
    /// Stores the code as version 1, starts it (Hello → Metadata → Ready), names it (`request.name` or the
    /// name it declares), creates its missing output streams and starts feeding it.
    ///
    /// Everything a request can be refused for without running it (paths, command, environment, a given name)
    /// is checked before a file is written or a process started: only what the operator itself declares (its
    /// name when none is given, its streams) needs it running.
    public func deploy(_ request: DeployRequest) async throws -> OperatorStatus {
        let command = try Self.command(for: request)
        let limits = try Self.checked(request.limits.applied(to: self.configuration.limitsDefault))
        if let name = request.name {
            try Self.checkOperatorName(name)
            try self.reserve(name)
        }
        var reservedName = request.name
        defer { if let reservedName { self.release(reservedName) } }
        let staging = try self.store.stage(request.files)
        let versionDirectory = staging + "/versions/1"
        do {
            try FileManager.default.createDirectory(atPath: staging + "/versions", withIntermediateDirectories: true)
            try self.moveFiles(of: staging, into: versionDirectory)
        } catch {
            self.store.remove(staging)
            throw OperatorRuntimeError(code: .storageFailed, message: "cannot store the code: \(error)")
        }
        let version = DeploymentRecord.Version(
            version: 1, command: command, environment: request.environment, createdMs: self.clock.wallTimeMs(),
            limits: limits
        )
        let parameters = OperatorInstance.StartParameters(
            argv: Self.resolveCommand(command, configuration: self.configuration), directory: versionDirectory,
            environment: Self.environment(for: version, name: request.name ?? "", configuration: self.configuration),
            helloName: request.name ?? "", version: 1, number: 1, timeoutMs: self.configuration.startTimeoutMs,
            placement: .live(request.name ?? ""), limits: limits, confinement: self.confinement
        )
        let sink = StderrSink(log: nil, prefix: parameters.label)
        let instance: OperatorInstance
        do {
            instance = try await OperatorInstance.start(parameters, stderr: sink)
        } catch {
            self.store.remove(staging)
            throw error
        }
        let name = request.name ?? instance.metadata.name
        do {
            if request.name == nil {
                try self.reserve(name)
                reservedName = name
            }
            try Self.checkOperatorName(name)
            // A directory without operator.json is what a crash in the middle of a deploy or kill leaves.
            self.store.remove(self.store.directory(of: name))
            try FileManager.default.moveItem(atPath: staging, toPath: self.store.directory(of: name))
            let record = DeploymentRecord(name: name, currentVersion: 1, versions: [version], paused: false)
            try self.store.saveRecord(record)
            let deployment = OperatorDeployment(record: record, context: self.context)
            // The deploy's process is #1: the deployment numbers its next ones from 2.
            _ = deployment.processNumbers.next()
            sink.attach(deployment.log)
            self.deployments.withLock { $0[name] = deployment }
            do {
                try await deployment.begin(with: instance)
            } catch {
                await deployment.stop(finally: true)
                self.deployments.withLock { _ = $0.removeValue(forKey: name) }
                self.store.remove(self.store.directory(of: name))
                throw error
            }
        } catch {
            instance.process.kill()
            if FileManager.default.fileExists(atPath: staging) { self.store.remove(staging) }
            throw error
        }
        self.onEvent("operator \(name): deployed v1")
        return try self.status(name: name)
    }

    /// Stores the code as the next version and swaps to it (make-before-break, see `OperatorSupervisor.swap`).
    public func swap(name: String, _ request: DeployRequest) async throws -> SwapReport {
        let deployment = try self.deployment(name)
        let command = try Self.command(for: request)
        return try await deployment.swapLive(
            toNewVersion: request.files, command: command, environment: request.environment, limits: request.limits
        )
    }

    /// Swaps back to the version before the current one.
    public func rollback(name: String) async throws -> SwapReport {
        let deployment = try self.deployment(name)
        guard let previous = await deployment.record.previousVersions.first else {
            throw OperatorRuntimeError(code: .noPreviousVersion, message: "operator \(name) has no previous version")
        }
        return try await deployment.swapLive(to: previous, forgetOnFailure: false)
    }

    /// Stores the code as the next version and runs it as a canary next to the live one (see
    /// `OperatorDeployment+Canary.swift`).
    public func deployCanary(name: String, _ request: DeployRequest) async throws -> OperatorStatus {
        let deployment = try self.deployment(name)
        let command = try Self.command(for: request)
        try await deployment.deployCanary(
            files: request.files, command: command, environment: request.environment, limits: request.limits
        )
        return try self.status(name: name)
    }

    /// Makes the canary the live version with a swap handoff.
    public func promote(name: String) async throws -> SwapReport {
        try await self.deployment(name).promote()
    }

    /// Stops the canary and forgets its version.
    public func abortCanary(name: String) async throws -> OperatorStatus {
        try await self.deployment(name).abortCanary()
        return try self.status(name: name)
    }

    private func reserve(_ name: String) throws {
        let isFree = self.reservedNames.withLock { names in
            guard !names.contains(name) else { return false }
            names.insert(name)
            return true
        }
        let isDeployed = self.deployments.withLock { $0[name] != nil }
            || FileManager.default.fileExists(atPath: self.store.directory(of: name) + "/operator.json")
        if !isFree || isDeployed {
            if isFree { self.release(name) }
            throw OperatorRuntimeError(
                code: .alreadyDeployed, message: "operator \(name) is already deployed (use swap to replace it)"
            )
        }
    }

    private func release(_ name: String) {
        self.reservedNames.withLock { _ = $0.remove(name) }
    }

    /// Moves everything staged (the request's files) into the version directory.
    private func moveFiles(of staging: String, into versionDirectory: String) throws {
        let temporary = staging + "/.code"
        let entries = try FileManager.default.contentsOfDirectory(atPath: staging).filter { $0 != "versions" }
        try FileManager.default.createDirectory(atPath: temporary, withIntermediateDirectories: true)
        for entry in entries { try FileManager.default.moveItem(atPath: "\(staging)/\(entry)", toPath: "\(temporary)/\(entry)") }
        try FileManager.default.moveItem(atPath: temporary, toPath: versionDirectory)
    }

    /// `limits` when every value is within its bounds; `.invalidRequest` naming the first that is not.
    static func checked(_ limits: OperatorLimits) throws -> OperatorLimits {
        if let problem = limits.problem { throw OperatorRuntimeError(code: .invalidRequest, message: problem) }
        return limits
    }


    /// '@' is valid in a stream name but separates a canary's version in its group and streams.
    /// '__' would make its group, and its dead-letter stream `<name>.dlq`, the broker's own.
    static func checkOperatorName(_ name: String) throws {
        guard TopicNames.isValid(name), !name.hasPrefix("."), !name.contains("@"), !TopicNames.isInternal(name) else {
            throw OperatorRuntimeError(code: .invalidRequest, message: "\(name) is not a valid operator name")
        }
    }

    /// Each variable becomes one `KEY=VALUE` entry of the process's environment: a key with '=' (or empty) would
    /// set another variable, a NUL would cut the entry short.
    static func checkEnvironment(_ environment: [String: String]) throws {
        for (key, value) in environment where key.isEmpty || key.contains("=") || key.contains("\0") || value.contains("\0") {
            throw OperatorRuntimeError(
                code: .invalidRequest, message: "environment variable '\(key.prefix(64))' cannot be set: an empty key, '=' or NUL"
            )
        }
    }

    /// The argv for a request: `run` split on spaces, or detected from the files. Also checks the request's
    /// paths and environment, so a request refused for them has written and started nothing.
    static func command(for request: DeployRequest) throws -> [String] {
        try Self.checkEnvironment(request.environment)
        guard !request.files.isEmpty else {
            throw OperatorRuntimeError(code: .invalidRequest, message: "no files to deploy")
        }
        for path in request.files.keys {
            let parts = path.split(separator: "/")
            if path.hasPrefix("/") || parts.isEmpty || parts.contains("..") || parts.first == "versions" {
                throw OperatorRuntimeError(code: .invalidRequest, message: "\(path) is not a relative path inside the operator")
            }
        }
        if let run = request.run {
            let argv = run.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            guard !argv.isEmpty else { throw OperatorRuntimeError(code: .invalidRequest, message: "the run command is empty") }
            return argv
        }
        let pythonFiles = request.files.keys.filter { $0.hasSuffix(".py") }
        if request.files.count == 1, let file = pythonFiles.first { return ["python3", file] }
        if request.files.count == 1, let (file, bytes) = request.files.first, DeploymentStore.looksExecutable(bytes) {
            return ["./" + file]
        }
        if request.files["main.py"] != nil { return ["python3", "main.py"] }
        throw OperatorRuntimeError(
            code: .invalidRequest,
            message: "cannot tell how to run these files: give a run command (e.g. \"python3 main.py\" or \"./op\")"
        )
    }
}

extension OperatorSupervisor {
    /// For `start()`: the stored version did not come up; keep trying with backoff.
    func beginRestarting(error: String) {
        self.noteError("start failed: \(error)")
        self.loopTask = Task { await self.runLoop() }
        self.perform(self.lifecycle.processExited(nowNs: self.clock.monotonicNs()))
    }
}
