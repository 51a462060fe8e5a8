import GroupCoordinator
import LogStore
import OperatorRuntime
import Prometheus
import Synchronization

/// The broker's Prometheus metrics: one registry per broker, answered on the admin port at `GET /metrics`.
///
/// Values come from two places. Operators update theirs as they run, through the swift-metrics `factory`
/// handed to the operator runtime (histograms need every sample). Partition, group, memory and connection
/// numbers are read when scraped and mirrored into metrics by `MetricsCollector`, so appends and commits
/// pay nothing for them. Nothing is bootstrapped globally (`MetricsSystem.bootstrap` may run once per
/// process, and tests run several brokers in one): every metric is made with this broker's factory.
final class BrokerMetrics: Sendable {
    /// The exposition format's content type (text format 0.0.4).
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    let registry: PrometheusCollectorRegistry
    let factory: PrometheusMetricsFactory
    let connections: KafkaConnectionCounter
    let clientLimits: ClientLimits
    private let logs: LogManager
    private let groups: GroupCoordinator
    private let collector: Mutex<MetricsCollector>
    /// Set once spans are exported over OTLP (`tracing.otlp_endpoint`), so a scrape can count them.
    private let traceExporter = Mutex<OTLPExporter?>(nil)

    init(
        logs: LogManager, groups: GroupCoordinator, connections: KafkaConnectionCounter = KafkaConnectionCounter(),
        clientLimits: ClientLimits = ClientLimits(config: BrokerConfig())
    ) {
        let registry = PrometheusCollectorRegistry()
        let factory = Self.makeFactory(registry: registry)
        self.registry = registry
        self.factory = factory
        self.connections = connections
        self.clientLimits = clientLimits
        self.logs = logs
        self.groups = groups
        self.collector = Mutex(MetricsCollector(factory: factory))
    }

    func attach(_ exporter: OTLPExporter) {
        self.traceExporter.withLock { $0 = exporter }
    }

    /// Reads the broker's numbers now and renders every series.
    func scrape() -> [UInt8] {
        let samples = MetricsSamples(
            partitions: MetricsSamples.partitions(of: self.logs),
            dataDirectories: MetricsSamples.dataDirectories(of: self.logs),
            groupLags: MetricsSamples.groupLags(of: self.groups, logs: self.logs),
            residentMemoryBytes: ProcessStats.residentMemoryBytes(),
            openKafkaConnections: self.connections.open,
            clientLimits: self.clientLimits.totals,
            traceExport: self.traceExporter.withLock { $0 }.map { exporter in
                let counters = exporter.counters
                return TraceExportTotals(exportedSpans: counters.exported, droppedSpans: counters.dropped)
            },
            scrubber: ScrubberTotals(
                verifiedBytes: self.logs.scrubber.verifiedBytes, completedPasses: self.logs.scrubber.completedPasses
            )
        )
        // Under the lock until rendered, so two scrapes never interleave a mirror step with a render.
        return self.collector.withLock { collector in
            collector.collect(samples)
            return self.registry.emitToBuffer()
        }
    }

    /// Buckets in seconds: a batch answered in under a millisecond up to the batch timeout (60 s); a handoff
    /// gap from a millisecond (an idle swap) to seconds (a slow old version).
    static func makeFactory(registry: PrometheusCollectorRegistry) -> PrometheusMetricsFactory {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets[OperatorMetricNames.processingLatency] = [
            .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5),
            .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
            .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30), .seconds(60),
        ]
        factory.durationHistogramBuckets[OperatorMetricNames.handOffGap] = [
            .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
            .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500),
            .seconds(5), .seconds(10),
        ]
        return factory
    }
}
