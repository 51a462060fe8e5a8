import CoreMetrics

/// The metric names of operators, shared with the broker (which chooses histogram buckets by name).
/// Prometheus conventions: `sluice_` prefix, `_total` for counters, seconds for durations.
public enum OperatorMetricNames {
    public static let recordsIn = "sluice_operator_records_in_total"
    public static let recordsOut = "sluice_operator_records_out_total"
    public static let processingLatency = "sluice_operator_processing_latency_seconds"
    public static let restarts = "sluice_operator_restarts_total"
    public static let deadLettered = "sluice_operator_dead_lettered_records_total"
    public static let handOffGap = "sluice_operator_swap_handoff_gap_seconds"
}

/// The swift-metrics values of one operator, per (version, instance): records in and out, the processing
/// latency of each batch, restarts, dead-lettered records and swap handoff gaps.
///
/// The runtime depends on the swift-metrics API only (CoreMetrics), never on a backend: the broker passes a
/// factory in `OperatorRuntimeConfiguration.metricsFactory` (the Prometheus one, one registry per broker),
/// so several brokers in one test process never share series and nothing is bootstrapped globally.
///
/// Series are created on first use and live until the operator is killed (`destroy`); an old version's
/// series stay after a swap, so its final counts can be compared with the new version's. They are bounded by
/// the versions an operator keeps.
struct OperatorMetrics {
    /// The labels of one series set: `instance` is the instance's index among the operator's live instances
    /// (the Hello's instance index, so it stays the same across restarts), or `canary`.
    struct SeriesKey: Hashable {
        var version: Int
        var instance: String
    }

    /// One version-and-instance's handles.
    final class Series {
        // Qualified: Foundation, imported elsewhere in this module, has a `Timer` too.
        let recordsIn: CoreMetrics.Counter
        let recordsOut: CoreMetrics.Counter
        let processingLatency: CoreMetrics.Timer
        let restarts: CoreMetrics.Counter
        let deadLettered: CoreMetrics.Counter
        let handOffGap: CoreMetrics.Timer

        init(operatorName: String, key: SeriesKey, factory: any MetricsFactory) {
            let dimensions = [
                ("operator", operatorName), ("version", String(key.version)), ("instance", key.instance),
            ]
            self.recordsIn = CoreMetrics.Counter(label: OperatorMetricNames.recordsIn, dimensions: dimensions, factory: factory)
            self.recordsOut = CoreMetrics.Counter(label: OperatorMetricNames.recordsOut, dimensions: dimensions, factory: factory)
            self.processingLatency = CoreMetrics.Timer(
                label: OperatorMetricNames.processingLatency, dimensions: dimensions, factory: factory
            )
            self.restarts = CoreMetrics.Counter(label: OperatorMetricNames.restarts, dimensions: dimensions, factory: factory)
            self.deadLettered = CoreMetrics.Counter(
                label: OperatorMetricNames.deadLettered, dimensions: dimensions, factory: factory
            )
            self.handOffGap = CoreMetrics.Timer(label: OperatorMetricNames.handOffGap, dimensions: dimensions, factory: factory)
        }

        func destroy() {
            self.recordsIn.destroy()
            self.recordsOut.destroy()
            self.processingLatency.destroy()
            self.restarts.destroy()
            self.deadLettered.destroy()
            self.handOffGap.destroy()
        }
    }

    let operatorName: String
    let factory: any MetricsFactory
    private var series: [SeriesKey: Series] = [:]

    init(operatorName: String, factory: any MetricsFactory) {
        self.operatorName = operatorName
        self.factory = factory
    }

    /// The series of `key`, created (and registered with the factory) on first use.
    mutating func series(_ key: SeriesKey) -> Series {
        if let existing = self.series[key] { return existing }
        let created = Series(operatorName: self.operatorName, key: key, factory: self.factory)
        self.series[key] = created
        return created
    }

    /// Removes every series of this operator from the backend (the operator is killed).
    mutating func destroy() {
        for series in self.series.values { series.destroy() }
        self.series.removeAll()
    }
}

extension OperatorPlacement {
    /// The `instance` label: the live instance's index, or `canary`.
    var metricsInstance: String {
        switch self.role {
        case .live: return String(self.index)
        case .canary: return "canary"
        }
    }
}

/// The calls the supervisor makes, one line each beside the status counters they mirror.
extension OperatorSupervisor {
    private func metricsSeries(version: Int? = nil) -> OperatorMetrics.Series {
        let key = OperatorMetrics.SeriesKey(
            version: version ?? self.current?.version ?? self.record.currentVersion,
            instance: self.placement.metricsInstance
        )
        return self.metrics.series(key)
    }

    /// A batch's answer (BatchResult or Failed) arrived `durationNs` after the batch was sent. A process that
    /// died gave no answer: its batch is not a latency sample (the restart counter tells of it).
    func recordBatchAnswered(_ outcome: BatchOutcome, durationNs: UInt64, instance: OperatorInstance) {
        if case .crashed = outcome { return }
        let key = OperatorMetrics.SeriesKey(version: instance.version, instance: self.placement.metricsInstance)
        self.metrics.series(key).processingLatency.recordNanoseconds(Int64(clamping: durationNs))
    }

    /// Input records committed after a batch was applied.
    func recordRecordsIn(_ count: Int) {
        self.metricsSeries().recordsIn.increment(by: count)
    }

    /// Output records appended from a batch's answer.
    func recordRecordsOut(_ count: Int) {
        self.metricsSeries().recordsOut.increment(by: count)
    }

    func recordDeadLettered() {
        self.metricsSeries().deadLettered.increment()
    }

    /// A restart was scheduled: counted on the version being restarted.
    func recordRestart() {
        self.metricsSeries(version: self.record.currentVersion).restarts.increment()
    }

    /// A swap's handoff gap, on the new version (current once the handoff is done).
    func recordHandOffGapMetric(milliseconds gapMs: Double) {
        // Clamped: a gap is milliseconds to seconds, but a Double-to-integer conversion out of range traps.
        let nanoseconds = Int64(min(max(0, gapMs) * 1_000_000, 1e18))
        self.metricsSeries().handOffGap.recordNanoseconds(nanoseconds)
    }

    /// Drops this operator's series (called when it is killed).
    func destroyMetrics() {
        self.metrics.destroy()
    }
}
