/// `GET /v1/traces?last=K`: the newest sampled paths through the topology (`Docs/tracing.md`).
public struct TraceListDocument: Codable, Sendable, Equatable {
    /// Oldest first; each trace's spans in path order.
    public var traces: [TraceDocument]

    public init(traces: [TraceDocument]) {
        self.traces = traces
    }

    /// Groups spans by trace id and keeps the `last` traces that started most recently. Within a trace,
    /// spans are ordered by depth along the parent links (an operator before the ones its outputs reached),
    /// then by start time and offset (siblings of one batch share a start time), so a linear path reads in
    /// the order the record travelled.
    public static func grouping(_ spans: [SpanDocument], last: Int) -> TraceListDocument {
        var byTrace: [String: [SpanDocument]] = [:]
        for span in spans { byTrace[span.traceId, default: []].append(span) }
        var traces = byTrace.map { traceId, spans in TraceDocument(traceId: traceId, spans: Self.pathOrder(spans)) }
        traces.sort { ($0.startTimeUnixNs, $0.traceId) < ($1.startTimeUnixNs, $1.traceId) }
        return TraceListDocument(traces: Array(traces.suffix(max(0, last))))
    }

    private static func pathOrder(_ spans: [SpanDocument]) -> [SpanDocument] {
        var parentOf: [String: String] = [:]
        for span in spans { if let parent = span.parentSpanId { parentOf[span.spanId] = parent } }
        let present = Set(spans.map(\.spanId))
        func depth(_ spanId: String) -> Int {
            var depth = 0
            var current = spanId
            // Bounded by the span count, so a cycle in bad ids cannot loop forever.
            while depth < spans.count, let parent = parentOf[current], present.contains(parent) {
                depth += 1
                current = parent
            }
            return depth
        }
        return spans.map { (depth($0.spanId), $0) }
            .sorted {
                ($0.0, $0.1.startTimeUnixNs, $0.1.offset, $0.1.spanId) < ($1.0, $1.1.startTimeUnixNs, $1.1.offset, $1.1.spanId)
            }
            .map(\.1)
    }
}

/// One sampled record's path: every span that shares its trace id.
public struct TraceDocument: Codable, Sendable, Equatable {
    public var traceId: String
    public var spans: [SpanDocument]

    public init(traceId: String, spans: [SpanDocument]) {
        self.traceId = traceId
        self.spans = spans
    }

    var startTimeUnixNs: Int64 { self.spans.map(\.startTimeUnixNs).min() ?? 0 }
}

/// One traced record's pass through one operator.
public struct SpanDocument: Codable, Sendable, Equatable {
    public var traceId: String
    public var spanId: String
    /// The upstream operator's span; absent where the trace started.
    public var parentSpanId: String?
    public var operatorName: String
    public var version: Int
    /// `v<version>#<instance>`.
    public var instance: String
    /// Where the record was read from.
    public var stream: String
    public var partition: Int32
    public var offset: Int64
    public var recordTimestampMs: Int64
    /// Batch sent to the operator → its answer, ns since the Unix epoch.
    public var startTimeUnixNs: Int64
    public var endTimeUnixNs: Int64
    /// Time in the input stream: the record's timestamp → batch sent.
    public var streamTimeMs: Double
    /// Time in the operator: batch sent → answer.
    public var operatorTimeMs: Double

    public init(
        traceId: String, spanId: String, parentSpanId: String?, operatorName: String, version: Int, instance: String,
        stream: String, partition: Int32, offset: Int64, recordTimestampMs: Int64, startTimeUnixNs: Int64,
        endTimeUnixNs: Int64, streamTimeMs: Double, operatorTimeMs: Double
    ) {
        self.traceId = traceId
        self.spanId = spanId
        self.parentSpanId = parentSpanId
        self.operatorName = operatorName
        self.version = version
        self.instance = instance
        self.stream = stream
        self.partition = partition
        self.offset = offset
        self.recordTimestampMs = recordTimestampMs
        self.startTimeUnixNs = startTimeUnixNs
        self.endTimeUnixNs = endTimeUnixNs
        self.streamTimeMs = streamTimeMs
        self.operatorTimeMs = operatorTimeMs
    }
}
