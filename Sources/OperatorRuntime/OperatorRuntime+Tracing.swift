extension OperatorRuntime {
    /// The newest `count` finished spans of every operator, oldest first (see `Docs/tracing.md`).
    public func recentSpans(last count: Int) -> [OperatorSpan] {
        self.configuration.traceSpans.last(count)
    }

    /// The span store every operator records into (the broker attaches its OTLP exporter here).
    public var traceSpans: SpanStore { self.configuration.traceSpans }
}
