import Foundation
import LogStore
import SluiceModel

/// Pause, resume, swap (make-before-break) and stop.
extension OperatorSupervisor {
    /// Stops feeding after the in-flight batch (whose outputs are appended and inputs committed before
    /// this returns) and keeps the process. The deployment persists the wish.
    func pause() async {
        self.perform(self.lifecycle.pause())
        self.record.paused = true
        await self.waitForNoBatchInFlight()
        self.publishStatus()
    }

    func resume() {
        self.record.paused = false
        self.record.pauseReason = nil
        self.perform(self.lifecycle.resume())
    }

    var runningVersion: Int { self.record.currentVersion }

    /// The deployment's record changed (a version was added or removed); `currentVersion` stays this
    /// supervisor's own.
    func refresh(_ record: DeploymentRecord) {
        let currentVersion = self.record.currentVersion
        self.record = record
        self.record.currentVersion = currentVersion
        self.publishStatus()
    }

    /// Starts `version` while the current one runs; once it is Ready, stops feeding the current one after its
    /// in-flight batch, stops it, and feeds the new one from exactly the committed offsets. When the new
    /// version fails to start, or dies within its first batch or its first second, the old version goes on
    /// (restarted if it was already stopped) and this throws `.startFailed`. The deployment saves the record.
    func swap(to version: Int) async throws -> SwapReport {
        guard !self.isSwapping else {
            throw OperatorRuntimeError(code: .invalidRequest, message: "a swap of \(self.name) is already under way")
        }
        guard self.lifecycle.state != .stopped else {
            throw OperatorRuntimeError(code: .invalidRequest, message: "operator \(self.name) is stopped")
        }
        self.isSwapping = true
        defer { self.isSwapping = false }
        let fromVersion = self.record.currentVersion
        let instance: OperatorInstance
        do {
            instance = try await self.startInstance(version: version)
        } catch let error as OperatorRuntimeError {
            throw OperatorRuntimeError(
                code: .startFailed, message: "v\(version) did not start, v\(fromVersion) keeps running: \(error.message)"
            )
        }
        do {
            try OperatorRuntime.createStreams(instance.metadata.outputs, logs: self.logs, partitions: self.configuration.outputPartitions)
            for input in instance.metadata.inputs where self.logs.topic(input.stream) == nil {
                throw OperatorRuntimeError(code: .startFailed, message: "input stream \(input.stream) does not exist")
            }
        } catch {
            instance.process.kill()
            throw OperatorRuntimeError(code: .startFailed, message: "v\(version) rejected, v\(fromVersion) keeps running: \(error)")
        }
        self.handOffStartNs = nil
        self.lastHandOffGapMs = nil
        self.swapReadyNs = self.clock.monotonicNs()
        switch self.lifecycle.newVersionReady() {
        case .handOff:
            await self.handOff(to: instance)
        default:
            self.pendingSwap = instance
            await withCheckedContinuation { self.handOffWaiter = $0 }
        }
        guard self.current === instance else {
            throw OperatorRuntimeError(code: .startFailed, message: "v\(version) exited before the handoff; v\(fromVersion) keeps running")
        }
        // Watch the new version through its first batch (or one second).
        let deadlineNs = self.clock.monotonicNs() + 1_000_000_000
        while !instance.hasExited && instance.batchesCompleted == 0 && self.clock.monotonicNs() < deadlineNs {
            try? await Task.sleep(nanoseconds: 2_000_000)
        }
        if instance.hasExited {
            self.record.currentVersion = fromVersion
            self.publishStatus()
            throw OperatorRuntimeError(
                code: .startFailed,
                message: "v\(version) exited at once (\(instance.exitStatus)); v\(fromVersion) is restarted in its place"
            )
        }
        let gapMs: Double
        if let measured = self.lastHandOffGapMs {
            gapMs = measured
        } else {
            // No input came within the watch: the gap is the handoff itself, until the new version could be fed.
            gapMs = Double((self.handOffDoneNs ?? 0) &- (self.handOffStartNs ?? self.handOffDoneNs ?? 0)) / 1_000_000
            self.handOffStartNs = nil
            self.recordHandOffGap(gapMs)
        }
        self.onEvent("operator \(self.name): swapped v\(fromVersion) → v\(version), handoff gap \(gapMs) ms")
        return SwapReport(name: self.name, fromVersion: fromVersion, toVersion: version, handoffGapMs: gapMs)
    }

    /// Called with no batch in flight and the lifecycle in `swapping` (so nothing is fed meanwhile): the old
    /// process gets Stop, the new one becomes current, reading from the committed offsets.
    func handOff(to instance: OperatorInstance) async {
        defer {
            self.handOffWaiter?.resume()
            self.handOffWaiter = nil
        }
        guard !instance.hasExited else {
            self.perform(self.lifecycle.handOffDone())
            return
        }
        self.handOffBeganNs = self.clock.monotonicNs()
        if let old = self.current { self.stopProcess(old) }
        self.current = nil
        // operator.json is rewritten by `swap` once feeding has resumed: its fsync stays out of the gap.
        self.record.currentVersion = instance.version
        do {
            try await self.adopt(instance)
        } catch {
            self.noteError("handoff to \(instance.label) failed: \(error)")
        }
        // The gap starts at the old version's last commit when it was busy up to the handoff; an idle old
        // version (its last commit before the new one was Ready) stopped being fed when the handoff began.
        let handOffBeganNs = self.handOffBeganNs ?? self.clock.monotonicNs()
        self.handOffStartNs = self.lastCommitNs >= self.swapReadyNs ? self.lastCommitNs : handOffBeganNs
        self.handOffDoneNs = self.clock.monotonicNs()
        self.perform(self.lifecycle.handOffDone())
    }

    /// Sends Stop and closes the input; kills the process if it has not exited within the stop timeout.
    func stopProcess(_ instance: OperatorInstance) {
        instance.sendStop()
        let timeoutMs = self.configuration.stopTimeoutMs
        Task {
            let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(timeoutMs) * 1_000_000
            while !instance.process.hasExited && DispatchTime.now().uptimeNanoseconds < deadline {
                try? await Task.sleep(nanoseconds: 5_000_000)
            }
            instance.process.kill()
        }
    }

    /// Waits for the in-flight batch to be applied; a process that has not answered within the stop timeout
    /// is killed (its batch is then handled like a crash: nothing appended, nothing committed).
    func waitForNoBatchInFlight() async {
        let deadlineNs = self.clock.monotonicNs() + UInt64(self.configuration.stopTimeoutMs) * 1_000_000
        while self.lifecycle.isBatchInFlight {
            if self.clock.monotonicNs() > deadlineNs, let instance = self.current, !instance.hasExited {
                self.noteError("\(instance.label) did not finish its batch within \(self.configuration.stopTimeoutMs) ms; killing it")
                instance.process.kill()
            }
            try? await Task.sleep(nanoseconds: 1_000_000)
        }
    }

    /// Finishes the in-flight batch, stops the process (Stop, then kill after the timeout) and the loop.
    /// Without `waitForExit` the process is stopped in the background (a scale: the partitions are taken over
    /// at once, the old process needs no more than its Stop).
    func stop(waitForExit: Bool = true) async {
        _ = self.lifecycle.stop()
        self.pendingSwap?.process.kill()
        self.pendingSwap = nil
        self.handOffWaiter?.resume()
        self.handOffWaiter = nil
        await self.waitForNoBatchInFlight()
        if let instance = self.current, !waitForExit {
            self.stopProcess(instance)
        } else if let instance = self.current {
            instance.sendStop()
            let deadlineNs = self.clock.monotonicNs() + UInt64(self.configuration.stopTimeoutMs) * 1_000_000
            while !instance.process.hasExited && self.clock.monotonicNs() < deadlineNs {
                try? await Task.sleep(nanoseconds: 2_000_000)
            }
            instance.process.kill()
        }
        self.current = nil
        self.loopTask?.cancel()
        self.wakeup.signal()
        self.reader?.close()
        self.reader = nil
        self.publishStatus()
    }
}
