/// Spans of traced records: when a batch holding traced records goes out and when its answer comes back
/// are noted by batch id; once the batch is applied (outputs durable, inputs committed) each traced record
/// becomes one `OperatorSpan` in the runtime's `SpanStore`. A batch that fails records nothing; its retry
/// does, with the same span ids (they are in the retained frame bytes).
extension OperatorSupervisor {
    /// Send and answer times of batches with traced records, by batch id, until they are applied.
    struct TraceTimings {
        struct Batch {
            var sentWallTimeMs: Int64
            var sentNs: UInt64
            var answeredNs: UInt64?
        }

        /// At most two batches are in flight; entries of batches dropped after a failure are pruned here.
        static let batchesMax = 8
        var batches: [UInt64: Batch] = [:]

        mutating func sent(_ batchId: UInt64, wallTimeMs: Int64, nowNs: UInt64) {
            self.batches[batchId] = Batch(sentWallTimeMs: wallTimeMs, sentNs: nowNs)
            if self.batches.count > Self.batchesMax, let oldest = self.batches.keys.min() {
                self.batches[oldest] = nil
            }
        }

        mutating func answered(_ batchId: UInt64, nowNs: UInt64) {
            self.batches[batchId]?.answeredNs = nowNs
        }

        /// The times of `batchId`, forgetting it and every older batch (those were discarded).
        mutating func take(_ batchId: UInt64) -> Batch? {
            let batch = self.batches[batchId]
            self.batches = self.batches.filter { $0.key > batchId }
            return batch
        }
    }

    /// Notes the send time of a Records batch whose records [first, first + count) hold a traced one.
    func traceBatchSent(_ batchId: UInt64, work: Work, recordsFrom first: Int) {
        guard case .records(let count) = work,
              self.retained.traces.contains(where: { (first..<first + count).contains($0.recordIndex) })
        else { return }
        self.traceTimings.sent(batchId, wallTimeMs: self.clock.wallTimeMs(), nowNs: self.clock.monotonicNs())
    }

    func traceBatchAnswered(_ batchId: UInt64) {
        guard !self.traceTimings.batches.isEmpty else { return }
        self.traceTimings.answered(batchId, nowNs: self.clock.monotonicNs())
    }

    /// Records the spans of the traced records among the first `count` retained ones, which batch `batchId`
    /// carried and which are now applied. Called before they are dropped from `retained`.
    func recordSpans(batchId: UInt64, count: Int) {
        guard !self.retained.traces.isEmpty, let times = self.traceTimings.take(batchId) else { return }
        let startNs = times.sentWallTimeMs * 1_000_000
        let operatorTimeNs = Int64((times.answeredNs ?? self.clock.monotonicNs()) &- times.sentNs)
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
                startTimeUnixNs: startNs, endTimeUnixNs: startNs + max(0, operatorTimeNs)
            ))
        }
        self.configuration.traceSpans.record(spans)
    }
}
