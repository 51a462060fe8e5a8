import RecordFormat

/// The trace a record carries into an operator: the context written into the frame (this operator's new
/// span) and the span it continues.
struct TraceStart: Sendable, Equatable {
    var context: TraceContext
    var parentSpanId: UInt64?
}

/// Sampling and the `traceparent` header on the way into the Records frame. Only records with headers
/// are scanned, and only sampled ones are re-encoded, so an untraced record costs one count check.
extension InputReader {
    /// A record's traceparent header, if any (the first one), and whether it is valid.
    struct FoundTraceparent {
        var isPresent = false
        var context: TraceContext?
    }

    static func findTraceparent(in record: RecordView) -> FoundTraceparent {
        var found = FoundTraceparent()
        guard record.headerCount > 0 else { return found }
        record.forEachHeader { key, value in
            guard !found.isPresent, Self.isTraceparentKey(key) else { return }
            found.isPresent = true
            found.context = value.flatMap { TraceContext(parsing: $0) }
        }
        return found
    }

    /// Continues a valid, sampled upstream trace; starts one when the sampler picks a record without a valid
    /// context; nil otherwise (an unsampled upstream context is respected and passed through untouched).
    static func traceStart(for found: FoundTraceparent, sampler: inout TraceSampler) -> TraceStart? {
        if let upstream = found.context {
            guard upstream.isSampled else { return nil }
            let context = TraceContext(traceId: upstream.traceId, spanId: Self.newSpanId())
            return TraceStart(context: context, parentSpanId: upstream.spanId)
        }
        guard sampler.shouldSample() else { return nil }
        return TraceStart(context: TraceContext(traceId: .random(), spanId: Self.newSpanId()), parentSpanId: nil)
    }

    /// Encodes the record's headers as the frame's `headers` field; with `trace`, every traceparent header is
    /// left out and the new one appended last.
    static func encodeHeaders(of record: RecordView, trace: TraceContext?, into encoder: inout FrameEncoder) {
        guard let trace else {
            encoder.appendUInt16(UInt16(min(record.headerCount, Int(UInt16.max))))
            record.forEachHeader { key, value in Self.appendHeader(key: key, value: value, into: &encoder) }
            return
        }
        var kept = 0
        record.forEachHeader { key, _ in if !Self.isTraceparentKey(key) { kept += 1 } }
        // The u16 count bounds what the frame can carry; one slot is kept for the traceparent.
        let keptMax = Int(UInt16.max) - 1
        encoder.appendUInt16(UInt16(min(kept, keptMax) + 1))
        var written = 0
        record.forEachHeader { key, value in
            guard !Self.isTraceparentKey(key), written < keptMax else { return }
            Self.appendHeader(key: key, value: value, into: &encoder)
            written += 1
        }
        encoder.appendUInt16(UInt16(TraceContext.headerKeyBytes.count))
        encoder.bytes.append(contentsOf: TraceContext.headerKeyBytes)
        encoder.appendBytes(Array(trace.headerValue.utf8))
    }

    private static func appendHeader(key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer?, into encoder: inout FrameEncoder) {
        encoder.appendUInt16(UInt16(min(key.count, Int(UInt16.max))))
        encoder.bytes.append(contentsOf: key.prefix(Int(UInt16.max)))
        encoder.appendBytes(value)
    }

    private static func isTraceparentKey(_ key: UnsafeRawBufferPointer) -> Bool {
        key.elementsEqual(TraceContext.headerKeyBytes)
    }

    private static func newSpanId() -> UInt64 { UInt64.random(in: 1...UInt64.max) }
}
