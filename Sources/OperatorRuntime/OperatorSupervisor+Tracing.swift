/// Spans of traced records: once a batch is applied (outputs durable, inputs committed), each traced
/// record it carried becomes one `OperatorSpan` in the runtime's `SpanStore`, timed by the batch's send and
/// answer. A batch that fails records nothing; its retry does, with the same span ids (they are in the
/// retained frame bytes).
extension OperatorSupervisor {
    /// Records the spans of the traced records among the first `count` retained ones, which the batch sent
    /// at `sentWallTimeMs` and answered `operatorTimeNs` later carried and which are now applied. Called
    /// before they are dropped from `retained`.
    func recordSpans(count: Int, sentWallTimeMs: Int64, operatorTimeNs: UInt64) {
        guard self.retained.traces.contains(where: { $0.recordIndex < count }) else { return }
        let startNs = sentWallTimeMs * 1_000_000
        let instance = self.current
        var spans: [OperatorSpan] = []
        for traced in self.retained.traces where traced.recordIndex < count {
            let entry = self.retained.entries[traced.recordIndex]
            spans.append(OperatorSpan(
                traceId: traced.traceId.hex, spanId: TraceContext.hex(traced.spanId, digits: 16),
                parentSpanId: traced.parentSpanId.map { TraceContext.hex($0, digits: 16) },
                operatorName: self.name, version: instance?.version ?? self.record.currentVersion,
                instance: instance?.label ?? "-", stream: self.inputStreams[Int(entry.inputIndex)],
                partition: entry.partition, offset: entry.offset, recordTimestampMs: traced.timestampMs,
                startTimeUnixNs: startNs, endTimeUnixNs: startNs + Int64(clamping: operatorTimeNs)
            ))
        }
        self.configuration.traceSpans.record(spans)
    }
}
