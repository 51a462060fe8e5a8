import Foundation
import SluiceModel

/// `scale`: N live instances, each owning the input partitions `p` with `p % N == index`.
extension OperatorDeployment {
    /// Make-before-break, as a swap: the new instances are started and Ready while the old ones run; then
    /// every old one finishes its in-flight batch (outputs appended, inputs committed) and stops being fed,
    /// and the new ones are fed from exactly the committed offsets of the partitions they now own.
    func scale(to count: Int) async throws -> ScaleReport {
        guard (1...Self.instancesMax).contains(count) else {
            throw OperatorRuntimeError(code: .invalidRequest, message: "instances must be 1 to \(Self.instancesMax), not \(count)")
        }
        let old = self.live
        let fromCount = old.count
        guard count != fromCount else {
            return ScaleReport(name: self.name, fromInstances: fromCount, toInstances: count, handoffGapMs: 0)
        }
        guard let first = old.first, !first.status(nowNs: self.context.clock.monotonicNs()).inputs.isEmpty else {
            throw OperatorRuntimeError(
                code: .invalidRequest, message: "operator \(self.name) is a source: it has no input partitions to share"
            )
        }
        try self.beginChange()
        defer { self.isChanging = false }
        let fresh = (0..<count).map { self.makeSupervisor(.live(self.name, index: $0, of: count)) }
        let started = try await self.startInstances(of: fresh, fromCount: fromCount)
        try self.giveUpIfStopping(killing: started)
        let beganNs = self.context.clock.monotonicNs()
        await withTaskGroup(of: Void.self) { group in
            for supervisor in old { group.addTask { await supervisor.stop(waitForExit: false) } }
        }
        try self.giveUpIfStopping(killing: started)
        try self.redistributeTimers(from: old.map(\.placement), to: fresh.map(\.placement))
        // Saved before the new instances are fed: after a crash from here on, the restart runs the new count,
        // so an interrupted batch's intent always names partitions of one instance (`OutputIntent`).
        self.record.instances = count
        try self.context.store.saveRecord(self.record)
        self.members.withLock { $0.live = fresh }
        for (supervisor, instance) in zip(fresh, started) {
            // A pause that came while the new instances were starting holds for them too.
            await supervisor.refresh(self.record)
            if self.record.paused { await supervisor.pause() }
            do {
                try await supervisor.begin(with: instance)
            } catch {
                await supervisor.beginRestarting(error: "\(error)")
            }
        }
        let gapMs = Double(self.context.clock.monotonicNs() &- beganNs) / 1_000_000
        self.context.onEvent("operator \(self.name): scaled from \(fromCount) to \(count) instances, handoff gap \(gapMs) ms")
        return ScaleReport(name: self.name, fromInstances: fromCount, toInstances: count, handoffGapMs: gapMs)
    }

    /// A kill or shutdown came while the scale awaited: the new processes go, the stop carries on.
    private func giveUpIfStopping(killing started: [OperatorInstance]) throws {
        guard self.isStopping else { return }
        for instance in started { instance.process.kill() }
        try self.checkNotStopping()
    }

    /// Starts one process per supervisor (Ready, not yet fed); kills them all when one fails.
    private func startInstances(of supervisors: [OperatorSupervisor], fromCount: Int) async throws -> [OperatorInstance] {
        var started: [OperatorInstance] = []
        do {
            for supervisor in supervisors {
                started.append(try await supervisor.startInstance(version: self.record.currentVersion))
            }
        } catch {
            for instance in started { instance.process.kill() }
            throw OperatorRuntimeError(
                code: .startFailed, message: "scaling \(self.name) failed, its \(fromCount) instance(s) keep running: \(error)"
            )
        }
        return started
    }

    /// A crash in the middle of a scale can leave timers in the files of instances the stored count does
    /// not run (`timers.<i>.json`, i ≥ count): the first instance takes them over, so none is lost (a timer
    /// of a key another instance owns then fires on the first one, once).
    func adoptStrayTimers(instanceCount: Int) {
        let store = self.context.store
        let directory = store.directory(of: self.name)
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        let stray = files.filter { file in
            guard file.hasPrefix("timers."), file.hasSuffix(".json"),
                  let index = Int(file.dropFirst("timers.".count).dropLast(".json".count)) else { return false }
            return index >= instanceCount
        }
        guard !stray.isEmpty else { return }
        var timers = store.loadTimers(of: self.name)
        var keys = Set(timers.map(\.key))
        for file in stray.sorted() {
            for timer in store.loadTimers(of: self.name, file: file) where keys.insert(timer.key).inserted {
                timers.append(timer)
            }
        }
        do {
            try store.saveTimers(timers, of: self.name)
            for file in stray { store.remove(directory + "/" + file) }
        } catch {
            self.context.onEvent("operator \(self.name): cannot adopt the timers of \(stray): \(error)")
        }
    }

    /// Pending timers follow their keys: a keyed timer goes to the instance owning the key's partition of
    /// the first input, an unkeyed one to the first instance.
    private func redistributeTimers(from old: [OperatorPlacement], to new: [OperatorPlacement]) throws {
        let store = self.context.store
        var timers: [OperatorTimer] = []
        for placement in old { timers += store.loadTimers(of: self.name, file: placement.timersFileName) }
        let inputPartitions = self.live.first.flatMap { supervisor in
            supervisor.status(nowNs: 0).inputs.first.flatMap { self.context.logs.topic($0)?.partitionCount }
        } ?? new.count
        var byIndex = Array(repeating: [OperatorTimer](), count: new.count)
        for timer in timers {
            var index = 0
            if let key = timer.key {
                let partition = Int(KeyPartitioner.partition(forKey: key, partitionCount: max(inputPartitions, 1)).rawValue)
                index = partition % new.count
            }
            byIndex[index].append(timer)
        }
        let kept = Set(new.map(\.timersFileName))
        for placement in new { try store.saveTimers(byIndex[placement.index], of: self.name, file: placement.timersFileName) }
        for placement in old where !kept.contains(placement.timersFileName) {
            store.remove(store.directory(of: self.name) + "/" + placement.timersFileName)
        }
    }
}
