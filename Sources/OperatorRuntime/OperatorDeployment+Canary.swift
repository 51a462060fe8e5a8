import Foundation
import GroupCoordinator
import SluiceModel

/// Canaries: a new version next to the live one, on the same inputs from the same positions but with
/// offsets of its own (group `<name>@<version>`), writing to shadow streams (`<stream>@<version>`) so its
/// output can be compared with the live output before it is promoted.
extension OperatorDeployment {
    func deployCanary(
        files: [String: [UInt8]], command: [String], environment: [String: String],
        limits: OperatorLimitsOverride = OperatorLimitsOverride()
    ) async throws {
        if let running = self.record.canaryVersion {
            throw OperatorRuntimeError(
                code: .invalidRequest,
                message: "operator \(self.name) already has a canary (v\(running)): promote or abort it first"
            )
        }
        try self.beginChange()
        defer { self.isChanging = false }
        let version = try await self.addVersion(files: files, command: command, environment: environment, limits: limits)
        let placement = OperatorPlacement.canary(self.name, version: version)
        await self.copyLiveOffsets(to: placement.groupId)
        let canary = self.makeSupervisor(placement, version: version)
        do {
            try await canary.begin(with: nil)
        } catch {
            await canary.stop()
            await self.forgetVersion(version)
            throw OperatorRuntimeError(
                code: .startFailed, message: "canary v\(version) did not start, v\(self.record.currentVersion) runs alone: \(error)"
            )
        }
        if self.isStopping {
            await canary.stop()
            try self.checkNotStopping()
        }
        self.record.canaryVersion = version
        try self.context.store.saveRecord(self.record)
        self.members.withLock { $0.canary = canary }
        await self.refreshSupervisors()
        self.context.onEvent("operator \(self.name): canary v\(version) started next to v\(self.record.currentVersion)")
    }

    /// Swaps the live instances to the canary's version (make-before-break, from the live offsets), then
    /// stops the canary. When the swap fails the canary keeps running.
    func promote() async throws -> SwapReport {
        guard let version = self.record.canaryVersion, let canary = self.canary else {
            throw OperatorRuntimeError(code: .invalidRequest, message: "operator \(self.name) has no canary to promote")
        }
        let report = try await self.swapLive(to: version, forgetOnFailure: false)
        await self.dropCanary(canary, forgetVersion: false)
        self.context.onEvent("operator \(self.name): promoted canary v\(version)")
        return report
    }

    /// Stops the canary and forgets its version; its shadow streams and offsets stay for inspection.
    func abortCanary() async throws {
        guard self.record.canaryVersion != nil, let canary = self.canary else {
            throw OperatorRuntimeError(code: .invalidRequest, message: "operator \(self.name) has no canary to abort")
        }
        try self.beginChange()
        defer { self.isChanging = false }
        await self.dropCanary(canary, forgetVersion: true)
        self.context.onEvent("operator \(self.name): canary aborted")
    }

    private func dropCanary(_ canary: OperatorSupervisor, forgetVersion: Bool) async {
        await canary.stop()
        let version = self.record.canaryVersion
        self.members.withLock { $0.canary = nil }
        self.record.canaryVersion = nil
        try? self.context.store.saveRecord(self.record)
        self.context.store.remove(self.context.store.directory(of: self.name) + "/" + canary.placement.timersFileName)
        if forgetVersion, let version { await self.forgetVersion(version) }
        await self.refreshSupervisors()
    }

    /// The canary starts where the live version is: the live group's committed offsets, copied.
    private func copyLiveOffsets(to groupId: String) async {
        let live = self.context.groups.fetchOffsets(groupId: self.name, partitions: nil).offsets
        let partitions = live.compactMap { topicPartition, committed in
            committed.offset >= 0 ? PartitionOffsetCommit(topicPartition: topicPartition, offset: committed.offset) : nil
        }
        guard !partitions.isEmpty else { return }
        _ = await self.context.groups.commitOffsets(GroupOffsetCommitRequest(groupId: groupId, partitions: partitions))
    }
}
