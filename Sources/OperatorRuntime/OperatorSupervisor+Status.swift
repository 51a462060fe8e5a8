import LogStore
import SluiceModel
import Synchronization

/// What `status` and `list` read without waiting for the supervisor (they are synchronous): a snapshot
/// the supervisor refreshes after every batch and lifecycle change, plus the input logs for the lag.
struct StatusSnapshot: Sendable {
    var status: OperatorStatus
    var lagSources: [(log: PartitionLog, committed: Int64)] = []
    var rateUpdatedNs: UInt64 = 0

    init(name: String, version: Int) {
        self.status = OperatorStatus(
            name: name, version: version, state: "starting", inputs: [], outputs: [], lag: 0, recordsPerSecond: 0,
            recordsIn: 0, recordsOut: 0, restarts: 0, deadLettered: 0, lastErrors: [], previousVersions: [],
            recentHandoffGapsMs: []
        )
    }

    /// The status with the lag computed now and a stale rate decayed to zero.
    func current(nowNs: UInt64) -> OperatorStatus {
        var status = self.status
        status.lag = self.lagSources.reduce(0) { $0 + max(0, $1.log.logEndOffset.rawValue - $1.committed) }
        if nowNs &- self.rateUpdatedNs > 3_000_000_000 { status.recordsPerSecond = 0 }
        for index in status.instanceDetails.indices {
            status.instanceDetails[index].lag = status.lag
            status.instanceDetails[index].recordsPerSecond = status.recordsPerSecond
        }
        return status
    }
}

extension OperatorSupervisor {
    func publishStatus() {
        let metadata = self.current?.metadata
        var lagSources: [(log: PartitionLog, committed: Int64)] = []
        for source in self.reader?.sources ?? [] {
            let topicPartition = TopicPartition(topic: source.stream, partition: PartitionID(source.key.partition))
            lagSources.append((source.log, self.committed[topicPartition] ?? 0))
        }
        let counters = self.counters
        let record = self.record
        // `failing` while the last answer could not be applied (the lifecycle itself is running or pausing).
        let stateName = self.failingReason != nil && self.lifecycle.stateName == "running"
            ? "failing" : self.lifecycle.stateName
        let reason = self.limitReason ?? self.failingReason
            ?? (self.lifecycle.isPauseRequested ? self.record.pauseReason : nil)
        let limits = self.limits(ofVersion: record.currentVersion)
        let enforcement = self.confinement.enforcement(of: limits)
        let restarts = self.lifecycle.restarts
        let placement = self.placement
        let instance = InstanceStatus(
            index: placement.index, process: self.current?.label, state: stateName,
            partitions: (self.reader?.sources ?? []).map { "\($0.stream)-\($0.key.partition)" }, lag: 0,
            recordsPerSecond: 0, recordsIn: counters.recordsIn
        )
        self.statusBox.withLock { snapshot in
            snapshot.status.version = record.currentVersion
            snapshot.status.state = stateName
            snapshot.status.reason = reason
            snapshot.status.limits = limits
            snapshot.status.limitsEnforcement = enforcement
            if let metadata {
                snapshot.status.inputs = metadata.inputs.map(\.stream)
                snapshot.status.outputs = metadata.outputs.map(placement.stream(forOutput:))
            }
            snapshot.status.recordsIn = counters.recordsIn
            snapshot.status.recordsOut = counters.recordsOut
            snapshot.status.deadLettered = counters.deadLettered
            snapshot.status.restarts = restarts
            snapshot.status.lastErrors = counters.lastErrors
            snapshot.status.previousVersions = record.previousVersions
            snapshot.status.recentHandoffGapsMs = counters.handOffGapsMs
            if counters.rateWindowStartNs != snapshot.rateUpdatedNs {
                snapshot.status.recordsPerSecond = counters.recordsPerSecond
                snapshot.rateUpdatedNs = counters.rateWindowStartNs
            }
            snapshot.status.instanceDetails = [instance]
            snapshot.lagSources = lagSources
        }
    }

    nonisolated func status(nowNs: UInt64) -> OperatorStatus {
        self.statusBox.withLock { $0.current(nowNs: nowNs) }
    }
}
