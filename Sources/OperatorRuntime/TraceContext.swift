/// A W3C trace context as carried in a record's `traceparent` header
/// (https://www.w3.org/TR/trace-context/#traceparent-header):
/// `00-<trace id, 32 lowercase hex>-<parent span id, 16 lowercase hex>-<flags, 2 hex>`.
///
/// The runtime reads it from a record entering an operator and writes a new one (same trace id, a new
/// span id for this operator's processing) into the Records frame; the SDKs copy it onto every record the
/// operator produces while processing that record, so the next operator continues the trace.
public struct TraceContext: Sendable, Equatable {
    public static let headerKey = "traceparent"
    static let headerKeyBytes = Array(headerKey.utf8)
    /// The length of a version-00 header; later versions may append fields after a dash.
    static let headerSizeBytes = 55
    public static let sampledFlag: UInt8 = 0x01

    public var traceId: TraceId
    public var spanId: UInt64
    public var flags: UInt8

    public init(traceId: TraceId, spanId: UInt64, flags: UInt8 = TraceContext.sampledFlag) {
        self.traceId = traceId
        self.spanId = spanId
        self.flags = flags
    }

    public var isSampled: Bool { self.flags & Self.sampledFlag != 0 }

    /// Parses a header value; nil when it is not a valid traceparent (wrong length or dashes, upper-case or
    /// non-hex digits, version ff, an all-zero trace or span id), which the runtime then treats as absent.
    public init?(parsing value: UnsafeRawBufferPointer) {
        guard value.count >= Self.headerSizeBytes else { return nil }
        guard let version = Self.hexNumber(value, 0, 2), version != 0xff else { return nil }
        // Version 00 is exactly 55 bytes; a later version may carry more after a dash.
        if version == 0 && value.count != Self.headerSizeBytes { return nil }
        if value.count > Self.headerSizeBytes && value[Self.headerSizeBytes] != UInt8(ascii: "-") { return nil }
        for dash in [2, 35, 52] where value[dash] != UInt8(ascii: "-") { return nil }
        guard let high = Self.hexNumber(value, 3, 16), let low = Self.hexNumber(value, 19, 16),
              let spanId = Self.hexNumber(value, 36, 16), let flags = Self.hexNumber(value, 53, 2)
        else { return nil }
        guard high != 0 || low != 0, spanId != 0 else { return nil }
        self.init(traceId: TraceId(high: high, low: low), spanId: spanId, flags: UInt8(flags))
    }

    public init?(parsing text: String) {
        let bytes = Array(text.utf8)
        guard let parsed = bytes.withUnsafeBytes({ TraceContext(parsing: $0) }) else { return nil }
        self = parsed
    }

    /// The version-00 header value.
    public var headerValue: String {
        "00-\(self.traceId.hex)-\(Self.hex(self.spanId, digits: 16))-\(Self.hex(UInt64(self.flags), digits: 2))"
    }

    /// `digits` lowercase hex digits of `value`, zero-padded.
    static func hex(_ value: UInt64, digits: Int) -> String {
        let text = String(value, radix: 16, uppercase: false)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }

    /// The number spelled by `count` lowercase hex digits at `start`; nil on any other byte (the spec
    /// allows lowercase only).
    private static func hexNumber(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ count: Int) -> UInt64? {
        var number: UInt64 = 0
        for byte in bytes[start..<start + count] {
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            default: return nil
            }
            number = number << 4 | UInt64(digit)
        }
        return number
    }
}

/// A 128-bit trace id.
public struct TraceId: Hashable, Sendable {
    public var high: UInt64
    public var low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// A random id; never all zeros, which the spec reserves for "invalid".
    static func random() -> TraceId {
        TraceId(high: UInt64.random(in: 0...UInt64.max), low: UInt64.random(in: 1...UInt64.max))
    }

    public var hex: String { TraceContext.hex(self.high, digits: 16) + TraceContext.hex(self.low, digits: 16) }
}

/// Decides which records without a trace context start a trace: the first record, then every
/// `sampleEvery`-th one (deterministic rather than random, so "one in N" holds over any N records and tests
/// know which records are traced). 0 turns sampling off.
struct TraceSampler: Sendable {
    let sampleEvery: Int
    /// Records still to pass before the next one is sampled.
    private var countdown = 0

    init(sampleEvery: Int) {
        precondition(sampleEvery >= 0, "sampleEvery is a count")
        self.sampleEvery = sampleEvery
    }

    mutating func shouldSample() -> Bool {
        guard self.sampleEvery > 0 else { return false }
        if self.countdown > 0 {
            self.countdown -= 1
            return false
        }
        self.countdown = self.sampleEvery - 1
        return true
    }
}

/// The trace of one record in a batch on its way to an operator: what the runtime wrote into the frame,
/// and what the span needs once the batch is applied.
struct TracedRecord: Sendable, Equatable {
    /// The record's index in its `InputBatch`.
    var recordIndex: Int
    var traceId: TraceId
    /// The span of the upstream operator (or instrumented producer); nil for a trace started here.
    var parentSpanId: UInt64?
    /// This operator's span, written into the frame's traceparent.
    var spanId: UInt64
    /// The record's timestamp: when it entered its stream.
    var timestampMs: Int64
}
