import Synchronization

/// One traced record's pass through one operator: from the moment the batch holding it went to the
/// operator until the operator answered, plus how long the record had waited in its input stream.
public struct OperatorSpan: Sendable, Equatable {
    /// 32 lowercase hex digits, shared by every span of the record's path.
    public var traceId: String
    /// 16 lowercase hex digits: the span id the runtime wrote into the record's traceparent.
    public var spanId: String
    /// The upstream operator's (or instrumented producer's) span; nil where the trace started.
    public var parentSpanId: String?
    public var operatorName: String
    public var version: Int
    /// The process that handled it, `v<version>#<instance>`.
    public var instance: String
    public var stream: String
    public var partition: Int32
    public var offset: Int64
    /// The record's timestamp: when it was appended to (or produced into) its input stream.
    public var recordTimestampMs: Int64
    /// When the batch went to the operator, ns since the Unix epoch.
    public var startTimeUnixNs: Int64
    /// When the operator's answer came back, ns since the Unix epoch.
    public var endTimeUnixNs: Int64

    public init(
        traceId: String, spanId: String, parentSpanId: String?, operatorName: String, version: Int, instance: String,
        stream: String, partition: Int32, offset: Int64, recordTimestampMs: Int64, startTimeUnixNs: Int64,
        endTimeUnixNs: Int64
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
    }

    /// Time in the input stream: record timestamp → batch sent (0 when the producer's clock is ahead).
    public var streamTimeMs: Double {
        max(0, Double(self.startTimeUnixNs) / 1_000_000 - Double(self.recordTimestampMs))
    }

    /// Time in the operator: batch sent → answer (the whole batch's processing, shared by its records).
    public var operatorTimeMs: Double { Double(self.endTimeUnixNs - self.startTimeUnixNs) / 1_000_000 }
}

/// The newest finished spans of every operator, in a bounded ring (memory stays flat however much is
/// traced), plus an optional listener that gets each group of spans as it is recorded (the OTLP exporter).
/// The listener runs on the recording operator's task, so it must only enqueue.
public final class SpanStore: Sendable {
    public static let capacityDefault = 10_000

    private struct State {
        var ring: [OperatorSpan] = []
        /// Where the next span goes once the ring is full (the oldest one).
        var next = 0
        var recordedTotal: Int64 = 0
        var listener: (@Sendable ([OperatorSpan]) -> Void)?
    }

    public let capacity: Int
    private let state = Mutex(State())

    public init(capacity: Int = SpanStore.capacityDefault) {
        precondition(capacity >= 1, "a span store holds at least one span")
        self.capacity = capacity
    }

    /// Called with every group of spans recorded from now on; replaces an earlier listener.
    public func setListener(_ listener: (@Sendable ([OperatorSpan]) -> Void)?) {
        self.state.withLock { $0.listener = listener }
    }

    func record(_ spans: [OperatorSpan]) {
        guard !spans.isEmpty else { return }
        let listener = self.state.withLock { state in
            for span in spans {
                if state.ring.count < self.capacity {
                    state.ring.append(span)
                } else {
                    state.ring[state.next] = span
                    state.next = (state.next + 1) % self.capacity
                }
            }
            state.recordedTotal += Int64(spans.count)
            return state.listener
        }
        listener?(spans)
    }

    /// The newest `count` spans, oldest first.
    public func last(_ count: Int) -> [OperatorSpan] {
        self.state.withLock { state in
            let ordered = state.ring[state.next...] + state.ring[..<state.next]
            return Array(ordered.suffix(max(0, count)))
        }
    }

    /// Every span recorded since the start, including those the ring no longer holds.
    public var recordedTotal: Int64 { self.state.withLock { $0.recordedTotal } }
}
