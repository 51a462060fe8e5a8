import CoreMetrics

/// The broker-side metric names (the operators' are in `OperatorMetricNames`).
enum BrokerMetricNames {
    static let partitionAppendedRecords = "sluice_partition_appended_records_total"
    static let partitionAppendedBytes = "sluice_partition_appended_bytes_total"
    static let partitionLogEndOffset = "sluice_partition_log_end_offset"
    static let partitionLogStartOffset = "sluice_partition_log_start_offset"
    static let diskAvailableBytes = "sluice_data_dir_available_bytes"
    static let diskUsedBytes = "sluice_data_dir_used_bytes"
    static let diskTotalBytes = "sluice_data_dir_total_bytes"
    static let appendsRefusedForSpace = "sluice_appends_refused_disk_full_total"
    static let partitionCorruptRanges = "sluice_partition_corrupt_ranges_total"
    static let scrubberVerifiedBytes = "sluice_scrubber_verified_bytes_total"
    static let scrubberCompletedPasses = "sluice_scrubber_completed_passes_total"
    static let groupLag = "sluice_consumer_group_lag_records"
    static let residentMemory = "sluice_process_resident_memory_bytes"
    static let kafkaConnections = "sluice_kafka_connections_open"
    static let requestMemoryUsed = "sluice_request_memory_used_bytes"
    static let requestMemoryBudget = "sluice_request_memory_budget_bytes"
    static let connectionsPausedForMemory = "sluice_kafka_connections_paused_for_memory"
    static let memoryPauses = "sluice_kafka_connection_memory_pauses_total"
    static let connectionsRefused = "sluice_kafka_connections_refused_total"
    static let connectionsClosedByLimit = "sluice_kafka_connections_closed_total"
    static let acceptFailures = "sluice_kafka_accept_failures_total"
    static let traceSpansExported = "sluice_trace_spans_exported_total"
    static let traceSpansDropped = "sluice_trace_spans_dropped_total"
}

/// Turns the samples of a scrape into swift-metrics values, created through `factory`.
///
/// The logs keep totals, while a swift-metrics counter only goes up by increments: each counter remembers
/// the total it last mirrored and goes up by the difference. A total below the last one means the source
/// started again (a topic deleted and created anew), and the counter is reset, as Prometheus expects of a
/// restarted counter. Series whose source is gone (a deleted topic, a group without offsets) are destroyed,
/// so they leave the exposition instead of freezing at their last value.
struct MetricsCollector {
    let factory: any MetricsFactory
    private var counters = SeriesTable<MirroredCounter>()
    private var gauges = SeriesTable<CoreMetrics.Gauge>()

    init(factory: any MetricsFactory) {
        self.factory = factory
    }

    mutating func collect(_ samples: MetricsSamples) {
        self.counters.beginRound()
        self.gauges.beginRound()
        for sample in samples.partitions {
            let dimensions = [("topic", sample.topic), ("partition", String(sample.partition))]
            self.mirror(BrokerMetricNames.partitionAppendedRecords, dimensions, total: sample.stats.appendedRecords)
            self.mirror(BrokerMetricNames.partitionAppendedBytes, dimensions, total: sample.stats.appendedBytes)
            self.set(BrokerMetricNames.partitionLogEndOffset, dimensions, Double(sample.stats.logEndOffset))
            self.set(BrokerMetricNames.partitionLogStartOffset, dimensions, Double(sample.stats.logStartOffset))
            self.mirror(BrokerMetricNames.partitionCorruptRanges, dimensions, total: sample.stats.fencedRanges)
        }
        if let scrubber = samples.scrubber {
            self.mirror(BrokerMetricNames.scrubberVerifiedBytes, [], total: scrubber.verifiedBytes)
            self.mirror(BrokerMetricNames.scrubberCompletedPasses, [], total: scrubber.completedPasses)
        }
        for sample in samples.dataDirectories {
            let dimensions = [("path", sample.path)]
            if let space = sample.space {
                self.set(BrokerMetricNames.diskAvailableBytes, dimensions, Double(space.availableBytes))
                self.set(BrokerMetricNames.diskUsedBytes, dimensions, Double(space.usedBytes))
                self.set(BrokerMetricNames.diskTotalBytes, dimensions, Double(space.totalBytes))
            }
            self.mirror(BrokerMetricNames.appendsRefusedForSpace, dimensions, total: sample.refusedAppends)
        }
        for sample in samples.groupLags {
            self.set(BrokerMetricNames.groupLag, [("group", sample.group), ("topic", sample.topic)], Double(sample.lagRecords))
        }
        if let residentBytes = samples.residentMemoryBytes {
            self.set(BrokerMetricNames.residentMemory, [], Double(residentBytes))
        }
        self.set(BrokerMetricNames.kafkaConnections, [], Double(samples.openKafkaConnections))
        if let limits = samples.clientLimits { self.collect(limits) }
        if let traceExport = samples.traceExport {
            self.mirror(BrokerMetricNames.traceSpansExported, [], total: traceExport.exportedSpans)
            self.mirror(BrokerMetricNames.traceSpansDropped, [], total: traceExport.droppedSpans)
        }
        self.counters.endRound { $0.counter.destroy() }
        self.gauges.endRound { $0.destroy() }
    }

    private mutating func collect(_ limits: ClientLimitTotals) {
        self.set(BrokerMetricNames.requestMemoryUsed, [], Double(limits.requestMemoryUsedBytes))
        self.set(BrokerMetricNames.requestMemoryBudget, [], Double(limits.requestMemoryBudgetBytes))
        self.set(BrokerMetricNames.connectionsPausedForMemory, [], Double(limits.connectionsPausedForMemory))
        self.mirror(BrokerMetricNames.memoryPauses, [], total: limits.memoryPauses)
        self.mirror(BrokerMetricNames.connectionsRefused, [("limit", "max_connections")], total: limits.refusedOverTotal)
        self.mirror(
            BrokerMetricNames.connectionsRefused, [("limit", "max_connections_per_ip")], total: limits.refusedOverPerAddress
        )
        self.mirror(BrokerMetricNames.connectionsClosedByLimit, [("reason", "idle")], total: limits.closedIdle)
        self.mirror(
            BrokerMetricNames.connectionsClosedByLimit, [("reason", "request_receive_timeout")],
            total: limits.closedReceiveTimeout
        )
        self.mirror(BrokerMetricNames.acceptFailures, [], total: limits.acceptFailures)
    }

    private mutating func mirror(_ name: String, _ dimensions: [(String, String)], total: Int64) {
        let factory = self.factory
        self.counters.update(SeriesKey(name: name, dimensions: dimensions)) {
            MirroredCounter(counter: CoreMetrics.Counter(label: name, dimensions: dimensions, factory: factory))
        } apply: { mirrored in
            mirrored.advance(to: total)
        }
    }

    private mutating func set(_ name: String, _ dimensions: [(String, String)], _ value: Double) {
        let factory = self.factory
        self.gauges.update(SeriesKey(name: name, dimensions: dimensions)) {
            CoreMetrics.Gauge(label: name, dimensions: dimensions, factory: factory)
        } apply: { gauge in
            gauge.record(value)
        }
    }
}

/// A counter that follows a total kept elsewhere.
struct MirroredCounter {
    let counter: CoreMetrics.Counter
    private(set) var mirroredTotal: Int64 = 0

    init(counter: CoreMetrics.Counter) {
        self.counter = counter
    }

    mutating func advance(to total: Int64) {
        if total < self.mirroredTotal {
            self.counter.reset()
            self.mirroredTotal = 0
        }
        if total > self.mirroredTotal { self.counter.increment(by: total - self.mirroredTotal) }
        self.mirroredTotal = total
    }
}

/// A metric name and its labels: one series.
struct SeriesKey: Hashable {
    var name: String
    var labels: [String]

    init(name: String, dimensions: [(String, String)]) {
        self.name = name
        self.labels = dimensions.flatMap { [$0.0, $0.1] }
    }
}

/// Series by key, with the ones not updated in a round destroyed at its end.
struct SeriesTable<Series> {
    private var entries: [SeriesKey: Series] = [:]
    private var touched: Set<SeriesKey> = []

    var count: Int { self.entries.count }

    mutating func beginRound() {
        self.touched.removeAll(keepingCapacity: true)
    }

    mutating func update(_ key: SeriesKey, create: () -> Series, apply: (inout Series) -> Void) {
        var series = self.entries[key] ?? create()
        apply(&series)
        self.entries[key] = series
        self.touched.insert(key)
    }

    mutating func endRound(destroy: (Series) -> Void) {
        for (key, series) in self.entries where !self.touched.contains(key) {
            destroy(series)
            self.entries.removeValue(forKey: key)
        }
    }
}
