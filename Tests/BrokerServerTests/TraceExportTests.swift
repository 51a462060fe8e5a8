@testable import BrokerServer
import Foundation
import OperatorRuntime
import SluiceModel
import XCTest

/// The OTLP endpoint setting, the OTLP/HTTP JSON body, and the grouping of spans into paths.
final class TraceExportTests: XCTestCase {
    func testEndpointParsing() {
        let local = OTLPEndpoint(parsing: "http://127.0.0.1:4318")
        XCTAssertEqual([local?.host, local.map { String($0.port) }, local?.path], ["127.0.0.1", "4318", "/v1/traces"])
        XCTAssertEqual(OTLPEndpoint(parsing: "http://collector:80/otlp/v1/traces")?.path, "/otlp/v1/traces")
        for bad in ["", "127.0.0.1:4318", "https://c:4318", "http://c", "http://:4318", "http://c:0", "http://c:99999", "http://c:x"] {
            XCTAssertNil(OTLPEndpoint(parsing: bad), bad)
        }
        var config = BrokerConfig()
        XCTAssertThrowsError(try config.apply(key: "tracing.otlp_endpoint", text: "localhost:4318", source: "flag"))
        XCTAssertNoThrow(try config.apply(key: "tracing.otlp_endpoint", text: "http://localhost:4318", source: "flag"))
        XCTAssertThrowsError(try config.apply(key: "tracing.sample_every", text: "-1", source: "flag"))
    }

    func testRequestBodyFollowsTheOTLPJSONMapping() throws {
        let span = Self.span(id: "b", parent: "a", name: "counter", startNs: 1_700_000_000_000_000_000)
        let data = try JSONEncoder().encode(OTLPTraceRequest(spans: [span]))
        let body = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        let resource = try XCTUnwrap((body["resourceSpans"] as? [[String: Any]])?.first)
        let scope = try XCTUnwrap((resource["scopeSpans"] as? [[String: Any]])?.first)
        XCTAssertEqual((scope["scope"] as? [String: Any])?["name"] as? String, "sluice.operators")
        let encoded = try XCTUnwrap((scope["spans"] as? [[String: Any]])?.first)
        XCTAssertEqual(encoded["traceId"] as? String, span.traceId)
        XCTAssertEqual(encoded["parentSpanId"] as? String, span.parentSpanId)
        XCTAssertEqual(encoded["name"] as? String, "counter")
        XCTAssertEqual(encoded["kind"] as? Int, 5)
        // 64-bit integers are decimal strings in OTLP JSON.
        XCTAssertEqual(encoded["startTimeUnixNano"] as? String, "1700000000000000000")
        XCTAssertEqual(encoded["endTimeUnixNano"] as? String, "1700000000000400000")
        let attributes = try XCTUnwrap(encoded["attributes"] as? [[String: Any]])
        let byKey = Dictionary(uniqueKeysWithValues: attributes.map { ($0["key"] as! String, $0["value"] as! [String: Any]) })
        XCTAssertEqual(byKey["sluice.operator.version"]?["intValue"] as? String, "2")
        XCTAssertEqual(byKey["sluice.offset"]?["intValue"] as? String, "41")
        XCTAssertEqual(byKey["messaging.destination.name"]?["stringValue"] as? String, "upper")
        // A root span has no parentSpanId key at all.
        let root = try JSONEncoder().encode(OTLPTraceRequest(spans: [Self.span(id: "a", parent: nil, name: "uppercase", startNs: 0)]))
        XCTAssertFalse(String(decoding: root, as: UTF8.self).contains("parentSpanId"))
    }

    func testGroupingOrdersEachPathByParentLinksThenKeepsTheNewestTraces() {
        // Same start time for parent and child (millisecond clock): the parent link decides the order.
        let documents = [
            Self.document(trace: "t1", id: "c", parent: "b", startNs: 10),
            Self.document(trace: "t1", id: "a", parent: nil, startNs: 10),
            Self.document(trace: "t2", id: "x", parent: nil, startNs: 20),
            Self.document(trace: "t1", id: "b", parent: "a", startNs: 10),
            Self.document(trace: "t0", id: "z", parent: "gone", startNs: 5),
            // Two records caused by one, sent in one batch: by offset.
            Self.document(trace: "t2", id: "y2", parent: "x", startNs: 30, offset: 5),
            Self.document(trace: "t2", id: "y1", parent: "x", startNs: 30, offset: 4),
        ]
        let all = TraceListDocument.grouping(documents, last: 10)
        XCTAssertEqual(all.traces.map(\.traceId), ["t0", "t1", "t2"])
        XCTAssertEqual(all.traces[1].spans.map(\.spanId), ["a", "b", "c"])
        XCTAssertEqual(all.traces[2].spans.map(\.spanId), ["x", "y1", "y2"])
        XCTAssertEqual(TraceListDocument.grouping(documents, last: 2).traces.map(\.traceId), ["t1", "t2"])
    }

    private static func span(id: String, parent: String?, name: String, startNs: Int64) -> OperatorSpan {
        OperatorSpan(
            traceId: String(repeating: "1", count: 32), spanId: String(repeating: id, count: 16),
            parentSpanId: parent.map { String(repeating: $0, count: 16) }, operatorName: name, version: 2,
            instance: "v2#1", stream: "upper", partition: 0, offset: 41, recordTimestampMs: 0,
            startTimeUnixNs: startNs, endTimeUnixNs: startNs + 400_000
        )
    }

    private static func document(trace: String, id: String, parent: String?, startNs: Int64, offset: Int64 = 0) -> SpanDocument {
        SpanDocument(
            traceId: trace, spanId: id, parentSpanId: parent, operatorName: "op", version: 1, instance: "v1#1",
            stream: "s", partition: 0, offset: offset, recordTimestampMs: 0, startTimeUnixNs: startNs,
            endTimeUnixNs: startNs, streamTimeMs: 0, operatorTimeMs: 0
        )
    }
}
