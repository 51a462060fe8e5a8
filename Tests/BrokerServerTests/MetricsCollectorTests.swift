import Foundation
import GroupCoordinator
import LogStore
import Prometheus
import RecordFormat
import SluiceModel
import XCTest

@testable import BrokerServer
@testable import OperatorRuntime

/// The metrics endpoint's logic against a real Prometheus registry (each test its own, as each broker has),
/// real partition logs in a temporary directory and a real group coordinator. The rendered text is read
/// back series by series, so a wrong name, label or value fails here.
final class MetricsCollectorTests: XCTestCase {
    private var directory: String!
    private var logs: LogManager!

    override func setUpWithError() throws {
        self.directory = NSTemporaryDirectory() + "sluice-metrics-\(UUID().uuidString)"
        self.logs = try LogManager(dataDirectory: self.directory, defaultConfig: LogConfig())
    }

    override func tearDownWithError() throws {
        try self.logs?.close()
        try? FileManager.default.removeItem(atPath: self.directory)
    }

    // MARK: - The collector

    func testCountersFollowTotalsAndResetWhenATotalDrops() {
        let registry = PrometheusCollectorRegistry()
        var collector = MetricsCollector(factory: BrokerMetrics.makeFactory(registry: registry))
        let name = "sluice_partition_appended_records_total"
        let labels = #"{topic="orders",partition="0"}"#

        collector.collect(Self.samples(orders: [10]))
        XCTAssertEqual(Self.value(of: name + labels, in: registry), 10)
        collector.collect(Self.samples(orders: [25]))
        XCTAssertEqual(Self.value(of: name + labels, in: registry), 25)
        collector.collect(Self.samples(orders: [25]))
        XCTAssertEqual(Self.value(of: name + labels, in: registry), 25, "an unchanged total adds nothing")
        // The topic was deleted and made anew: its log counts from zero again.
        collector.collect(Self.samples(orders: [4]))
        XCTAssertEqual(Self.value(of: name + labels, in: registry), 4)
        XCTAssertEqual(Self.value(of: #"sluice_partition_log_end_offset{topic="orders",partition="0"}"#, in: registry), 4)
    }

    func testTraceExportCountsAppearOnlyWhenSpansAreExported() {
        let registry = PrometheusCollectorRegistry()
        var collector = MetricsCollector(factory: BrokerMetrics.makeFactory(registry: registry))
        collector.collect(Self.samples(orders: [1]))
        XCTAssertNil(Self.value(of: "sluice_trace_spans_exported_total", in: registry), "no endpoint, no series")
        var samples = Self.samples(orders: [1])
        samples.traceExport = TraceExportTotals(exportedSpans: 512, droppedSpans: 3)
        collector.collect(samples)
        XCTAssertEqual(Self.value(of: "sluice_trace_spans_exported_total", in: registry), 512)
        XCTAssertEqual(Self.value(of: "sluice_trace_spans_dropped_total", in: registry), 3)
    }

    func testSeriesOfVanishedSourcesLeaveTheExposition() {
        let registry = PrometheusCollectorRegistry()
        var collector = MetricsCollector(factory: BrokerMetrics.makeFactory(registry: registry))
        var samples = Self.samples(orders: [3, 5])
        samples.groupLags = [MetricsSamples.GroupLag(group: "billing", topic: "orders", lagRecords: 7)]
        collector.collect(samples)
        XCTAssertEqual(Self.value(of: #"sluice_partition_appended_bytes_total{topic="orders",partition="1"}"#, in: registry), 500)
        XCTAssertEqual(Self.value(of: #"sluice_consumer_group_lag_records{group="billing",topic="orders"}"#, in: registry), 7)

        collector.collect(Self.samples(orders: [3]))
        let text = registry.emitToString()
        XCTAssertFalse(text.contains(#"partition="1""#), text)
        XCTAssertFalse(text.contains("billing"), text)
        XCTAssertEqual(Self.value(of: #"sluice_partition_appended_records_total{topic="orders",partition="0"}"#, in: registry), 3)
        XCTAssertEqual(Self.value(of: "sluice_kafka_connections_open", in: registry), 2)
        XCTAssertNil(Self.value(of: "sluice_process_resident_memory_bytes", in: registry), "no /proc sample, no series")
    }

    func testTypesAreDeclared() {
        let registry = PrometheusCollectorRegistry()
        var collector = MetricsCollector(factory: BrokerMetrics.makeFactory(registry: registry))
        var samples = Self.samples(orders: [1])
        samples.residentMemoryBytes = 4096
        collector.collect(samples)
        let text = registry.emitToString()
        for line in [
            "# TYPE sluice_partition_appended_records_total counter",
            "# TYPE sluice_partition_appended_bytes_total counter",
            "# TYPE sluice_partition_log_end_offset gauge",
            "# TYPE sluice_process_resident_memory_bytes gauge",
            "# TYPE sluice_kafka_connections_open gauge",
        ] {
            XCTAssertTrue(text.contains(line + "\n"), "missing \(line) in\n\(text)")
        }
    }

    // MARK: - Reading the broker

    func testPartitionSamplesCountWhatWasAppended() throws {
        try self.logs.createTopic("orders", partitionCount: 2)
        let log = try XCTUnwrap(self.logs.partition(TopicPartition(topic: "orders", partition: PartitionID(1))))
        let first = try Self.batch(records: 3)
        let second = try Self.batch(records: 2)
        try Self.append(first, to: log)
        try Self.append(second, to: log)

        let samples = MetricsSamples.partitions(of: self.logs).filter { $0.topic == "orders" }
        XCTAssertEqual(samples.map(\.partition), [0, 1])
        XCTAssertEqual(samples[0].stats, PartitionLogStats(appendedRecords: 0, appendedBytes: 0, logEndOffset: 0, logStartOffset: 0))
        XCTAssertEqual(
            samples[1].stats,
            PartitionLogStats(
                appendedRecords: 5, appendedBytes: Int64(first.count + second.count), logEndOffset: 5, logStartOffset: 0
            )
        )
    }

    func testGroupLagIsTheEndMinusTheCommitSummedPerTopic() async throws {
        try self.logs.createTopic("orders", partitionCount: 2)
        try self.logs.createTopic("refunds", partitionCount: 1)
        for (topic, partition, records) in [("orders", 0, 10), ("orders", 1, 4), ("refunds", 0, 6)] {
            let log = try XCTUnwrap(self.logs.partition(TopicPartition(topic: topic, partition: PartitionID(Int32(partition)))))
            try Self.append(try Self.batch(records: records), to: log)
        }
        let groups = try GroupCoordinator(offsetStore: try OffsetStore(logManager: self.logs), clock: SystemClock())
        let results = await groups.commitOffsets(GroupOffsetCommitRequest(groupId: "billing", partitions: [
            PartitionOffsetCommit(topicPartition: TopicPartition(topic: "orders", partition: PartitionID(0)), offset: 7),
            PartitionOffsetCommit(topicPartition: TopicPartition(topic: "orders", partition: PartitionID(1)), offset: 4),
            PartitionOffsetCommit(topicPartition: TopicPartition(topic: "refunds", partition: PartitionID(0)), offset: 1),
        ]))
        XCTAssertEqual(results.map { $0.errorCode }, [GroupErrorCode.none, .none, .none])

        XCTAssertEqual(MetricsSamples.groupLags(of: groups, logs: self.logs), [
            MetricsSamples.GroupLag(group: "billing", topic: "orders", lagRecords: 3),
            MetricsSamples.GroupLag(group: "billing", topic: "refunds", lagRecords: 5),
        ])

        let metrics = BrokerMetrics(logs: self.logs, groups: groups)
        metrics.connections.opened()
        let text = String(decoding: metrics.scrape(), as: UTF8.self)
        XCTAssertTrue(text.contains(#"sluice_consumer_group_lag_records{group="billing",topic="orders"} 3"#), text)
        XCTAssertTrue(text.contains(#"sluice_partition_log_end_offset{topic="refunds",partition="0"} 6"#), text)
        XCTAssertTrue(text.contains("sluice_kafka_connections_open 1"), text)
        XCTAssertTrue(text.contains("sluice_process_resident_memory_bytes "), text)
    }

    func testResidentMemoryIsTheSecondStatmFieldInPages() {
        XCTAssertEqual(ProcessStats.residentMemoryBytes(statm: "5000 1200 300 10 0 900 0\n", pageSizeBytes: 4096), 1200 * 4096)
        XCTAssertNil(ProcessStats.residentMemoryBytes(statm: "", pageSizeBytes: 4096))
        XCTAssertNil(ProcessStats.residentMemoryBytes(statm: "5000 lots", pageSizeBytes: 4096))
        XCTAssertNil(ProcessStats.residentMemoryBytes(statm: "1 \(Int64.max)", pageSizeBytes: 4096), "overflow")
        XCTAssertGreaterThan(ProcessStats.residentMemoryBytes() ?? 0, 1_000_000, "this test process is bigger than 1 MB")
    }

    // MARK: - Operators and routing

    func testOperatorSeriesCarryOperatorVersionAndInstance() {
        let registry = PrometheusCollectorRegistry()
        var metrics = OperatorMetrics(operatorName: "upper", factory: BrokerMetrics.makeFactory(registry: registry))
        let first = metrics.series(OperatorMetrics.SeriesKey(version: 1, instance: "0"))
        first.recordsIn.increment(by: 40)
        first.recordsOut.increment(by: 39)
        first.deadLettered.increment()
        first.processingLatency.recordNanoseconds(3_000_000)
        first.processingLatency.recordNanoseconds(700_000_000)
        metrics.series(OperatorMetrics.SeriesKey(version: 2, instance: "0")).handOffGap.recordNanoseconds(20_000_000)

        let labels = #"operator="upper",version="1",instance="0""#
        XCTAssertEqual(Self.value(of: "sluice_operator_records_in_total{\(labels)}", in: registry), 40)
        XCTAssertEqual(Self.value(of: "sluice_operator_records_out_total{\(labels)}", in: registry), 39)
        XCTAssertEqual(Self.value(of: "sluice_operator_dead_lettered_records_total{\(labels)}", in: registry), 1)
        XCTAssertEqual(Self.value(of: "sluice_operator_restarts_total{\(labels)}", in: registry), 0)
        XCTAssertEqual(Self.value(of: "sluice_operator_processing_latency_seconds_count{\(labels)}", in: registry), 2)
        XCTAssertEqual(Self.value(of: #"sluice_operator_processing_latency_seconds_bucket{\#(labels),le="0.005"}"#, in: registry), 1)
        XCTAssertEqual(Self.value(of: #"sluice_operator_processing_latency_seconds_bucket{\#(labels),le="1.0"}"#, in: registry), 2)
        XCTAssertEqual(Self.value(of: "sluice_operator_processing_latency_seconds_sum{\(labels)}", in: registry) ?? 0, 0.703, accuracy: 1e-9)
        XCTAssertEqual(
            Self.value(of: #"sluice_operator_swap_handoff_gap_seconds_count{operator="upper",version="2",instance="0"}"#, in: registry), 1
        )

        metrics.destroy()
        XCTAssertFalse(registry.emitToString().contains("upper"), "a killed operator's series are gone")
    }

    func testMetricsRouteIsGetOnly() {
        XCTAssertEqual(AdminRoute(method: "GET", uri: "/metrics"), .metrics)
        XCTAssertEqual(AdminRoute(method: "GET", uri: "/metrics?name[]=x"), .metrics)
        XCTAssertNil(AdminRoute(method: "POST", uri: "/metrics"))
        XCTAssertNil(AdminRoute(method: "GET", uri: "/metrics/more"))
    }

    // MARK: - Helpers

    /// Partitions of "orders" with the given totals (records; 100 bytes each), and two connections.
    private static func samples(orders records: [Int64]) -> MetricsSamples {
        MetricsSamples(
            partitions: records.enumerated().map { index, count in
                MetricsSamples.Partition(
                    topic: "orders", partition: Int32(index),
                    stats: PartitionLogStats(appendedRecords: count, appendedBytes: count * 100, logEndOffset: count, logStartOffset: 0)
                )
            },
            residentMemoryBytes: nil, openKafkaConnections: 2
        )
    }

    /// The value of the sample line starting with `series` (name and labels as rendered), or nil.
    private static func value(of series: String, in registry: PrometheusCollectorRegistry) -> Double? {
        for line in registry.emitToString().split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1))
        }
        return nil
    }

    private static func batch(records: Int) throws -> [UInt8] {
        var builder = RecordBatchBuilder()
        for index in 0..<records {
            try builder.append(timestampMs: 1_700_000_000_000, key: nil, value: Array("record \(index)".utf8))
        }
        return try builder.finish()
    }

    private static func append(_ batch: [UInt8], to log: PartitionLog) throws {
        _ = try batch.withUnsafeBytes { try log.append($0) }
    }
}
