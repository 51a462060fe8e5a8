import Foundation
import LogStore
@testable import OperatorRuntime
import RecordFormat
import SluiceModel
import XCTest

/// traceparent parsing and formatting, sampling, the header rewrite on the way into a Records frame,
/// the span ring, and spans recorded by a real operator process.
final class TracingTests: XCTestCase {
    static let upstream = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

    // MARK: - traceparent

    func testParsesAndFormatsAVersion00Header() throws {
        let context = try XCTUnwrap(TraceContext(parsing: Self.upstream))
        XCTAssertEqual(context.traceId, TraceId(high: 0x4bf9_2f35_77b3_4da6, low: 0xa3ce_929d_0e0e_4736))
        XCTAssertEqual(context.spanId, 0x00f0_67aa_0ba9_02b7)
        XCTAssertTrue(context.isSampled)
        XCTAssertEqual(context.headerValue, Self.upstream)
        let unsampled = try XCTUnwrap(TraceContext(parsing: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"))
        XCTAssertFalse(unsampled.isSampled)
        XCTAssertEqual(TraceContext(traceId: TraceId(high: 0, low: 1), spanId: 2).headerValue,
                       "00-00000000000000000000000000000001-0000000000000002-01")
    }

    func testRefusesMalformedHeaders() {
        let bad = [
            "", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0",  // short
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-",  // version 00 with more
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",  // upper case
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",  // zero trace id
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",  // zero span id
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",  // forbidden version
            "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",  // wrong separator
            "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",  // not hex
        ]
        for text in bad { XCTAssertNil(TraceContext(parsing: text), text) }
        // A later version may carry more fields after a dash.
        XCTAssertNotNil(TraceContext(parsing: "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra"))
        XCTAssertNil(TraceContext(parsing: "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x"))
    }

    func testSamplerPicksOneRecordInN() {
        var everyThird = TraceSampler(sampleEvery: 3)
        XCTAssertEqual((0..<9).map { _ in everyThird.shouldSample() },
                       [true, false, false, true, false, false, true, false, false])
        var off = TraceSampler(sampleEvery: 0)
        XCTAssertFalse((0..<100).contains { _ in off.shouldSample() })
        var all = TraceSampler(sampleEvery: 1)
        XCTAssertTrue((0..<100).allSatisfy { _ in all.shouldSample() })
    }

    // MARK: - Into the frame

    func testReaderStartsContinuesAndRespectsTraceContexts() throws {
        let harness = try RuntimeHarness()
        defer { harness.close(); harness.remove() }
        try harness.createTopic("in", partitions: 1)
        let log = try XCTUnwrap(harness.logs.partition(TopicPartition(topic: "in", partition: PartitionID(0))))
        var builder = RecordBatchBuilder()
        let header = { (value: String) in RecordHeader(key: "traceparent", value: Array(value.utf8)) }
        let other = RecordHeader(key: "other", value: Array("x".utf8))
        try builder.append(timestampMs: 1000, key: nil, value: Array("upstream".utf8), headers: [other, header(Self.upstream)])
        try builder.append(timestampMs: 1001, key: nil, value: Array("unsampled".utf8),
                           headers: [header(String(Self.upstream.dropLast(2)) + "00")])
        try builder.append(timestampMs: 1002, key: nil, value: Array("plain-1".utf8))  // sampled (first of 2)
        try builder.append(timestampMs: 1003, key: nil, value: Array("plain-2".utf8))  // not sampled
        try builder.append(timestampMs: 1004, key: nil, value: Array("garbage".utf8), headers: [header("nonsense")])
        _ = try builder.finish().withUnsafeBytes { try log.append($0) }

        let source = InputReader.Source(key: .init(inputIndex: 0, partition: 0), stream: "in", log: log, position: 0)
        let reader = InputReader(sources: [source], traceSampleEvery: 2, onAppend: {}, onEvent: { _ in })
        defer { reader.close() }
        var batch = InputBatch()
        reader.fill(&batch, recordsMax: 100, bytesMax: 1 << 20)
        XCTAssertEqual(batch.count, 5)
        let headers = (0..<5).map { batch.decodedRecord(at: $0).headers }
        let traceparent = { (index: Int) in headers[index].first { $0.0 == "traceparent" }?.1.map { String(decoding: $0, as: UTF8.self) } }

        // Continued: same trace, a new span whose parent is the upstream span; other headers kept.
        XCTAssertEqual(batch.traces.map(\.recordIndex), [0, 2, 4])
        let continued = try XCTUnwrap(TraceContext(parsing: try XCTUnwrap(traceparent(0))))
        XCTAssertEqual(continued.traceId.hex, "4bf92f3577b34da6a3ce929d0e0e4736")
        XCTAssertNotEqual(continued.spanId, 0x00f0_67aa_0ba9_02b7)
        XCTAssertEqual(batch.traces[0].parentSpanId, 0x00f0_67aa_0ba9_02b7)
        XCTAssertEqual(batch.traces[0].spanId, continued.spanId)
        XCTAssertEqual(batch.traces[0].timestampMs, 1000)
        XCTAssertEqual(headers[0].map(\.0), ["other", "traceparent"])
        // An unsampled upstream decision is passed through untouched.
        XCTAssertEqual(traceparent(1), String(Self.upstream.dropLast(2)) + "00")
        // Started here: a new trace without a parent; the next plain record is not sampled.
        let started = try XCTUnwrap(TraceContext(parsing: try XCTUnwrap(traceparent(2))))
        XCTAssertNil(batch.traces[1].parentSpanId)
        XCTAssertEqual(batch.traces[1].traceId, started.traceId)
        XCTAssertTrue(headers[3].isEmpty)
        // An invalid header counts as none: sampled, it is replaced (there is one traceparent, not two).
        XCTAssertEqual(headers[4].filter { $0.0 == "traceparent" }.count, 1)
        XCTAssertNotNil(TraceContext(parsing: try XCTUnwrap(traceparent(4))))

        // Slicing keeps each trace with its record.
        let tail = batch.slice(2..<5)
        XCTAssertEqual(tail.traces.map(\.recordIndex), [0, 2])
        XCTAssertEqual(tail.traces[0].spanId, batch.traces[1].spanId)
    }

    // MARK: - Spans

    func testSpanStoreKeepsTheNewestSpansInOrderAndTellsItsListener() {
        let store = SpanStore(capacity: 3)
        let heard = LockedCounter()
        store.setListener { spans in heard.add(spans.count) }
        store.record((0..<2).map(Self.span))
        XCTAssertEqual(store.last(10).map(\.offset), [0, 1])
        store.record((2..<5).map(Self.span))
        XCTAssertEqual(store.last(10).map(\.offset), [2, 3, 4])
        XCTAssertEqual(store.last(2).map(\.offset), [3, 4])
        XCTAssertEqual(store.last(0), [])
        XCTAssertEqual(store.recordedTotal, 5)
        XCTAssertEqual(heard.value, 5)
    }

    func testEveryRecordThroughARealOperatorGetsASpanWhenSamplingIsOneInOne() async throws {
        let harness = try RuntimeHarness()
        defer { harness.close(); harness.remove() }
        harness.configuration.traceSampleEvery = 1
        try harness.createTopic("in", partitions: 2)
        try harness.produce("in", partition: 0, values: ["a", "b", "c"])
        try harness.produce("in", partition: 1, values: ["d"])
        let runtime = try harness.makeRuntime()
        _ = try await runtime.deploy(RuntimeHarness.fixture("identity.py"))
        await waitUntil("four spans") { runtime.recentSpans(last: 100).count >= 4 }
        let spans = runtime.recentSpans(last: 100)
        XCTAssertEqual(spans.count, 4)
        XCTAssertEqual(Set(spans.map { "\($0.stream)-\($0.partition)@\($0.offset)" }), ["in-0@0", "in-0@1", "in-0@2", "in-1@0"])
        XCTAssertEqual(Set(spans.map(\.traceId)).count, 4, "each sampled record starts its own trace")
        for span in spans {
            XCTAssertEqual(span.operatorName, "identity")
            XCTAssertEqual(span.version, 1)
            XCTAssertEqual(span.instance, "v1#1")
            XCTAssertNil(span.parentSpanId)
            XCTAssertEqual(span.recordTimestampMs, 1_700_000_000_000)
            XCTAssertGreaterThanOrEqual(span.endTimeUnixNs, span.startTimeUnixNs)
            XCTAssertGreaterThan(span.streamTimeMs, 0)
        }
        await runtime.shutdown()
    }

    private static func span(_ offset: Int) -> OperatorSpan {
        OperatorSpan(
            traceId: String(repeating: "a", count: 32), spanId: String(repeating: "b", count: 16), parentSpanId: nil,
            operatorName: "op", version: 1, instance: "v1#1", stream: "in", partition: 0, offset: Int64(offset),
            recordTimestampMs: 0, startTimeUnixNs: 0, endTimeUnixNs: 0
        )
    }
}

private final class LockedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func add(_ amount: Int) { self.lock.withLock { self.count += amount } }
    var value: Int { self.lock.withLock { self.count } }
}
