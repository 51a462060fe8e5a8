import ArgumentParser
import Foundation
import SluiceModel

/// `sluice trace`: the newest sampled paths through the topology, with the time each record spent in
/// each stream and each operator (`Docs/tracing.md`).
struct TraceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trace",
        abstract: "Show the newest sampled record paths through the operators (see Docs/tracing.md).",
        discussion: "Tracing is on when the broker samples (tracing.sample_every) or records arrive with a traceparent."
    )
    @OptionGroup var adminOption: AdminOption
    @Option(help: "How many of the newest traces to show (1...1000).") var last: Int = 10
    @Flag(help: "Print the traces as JSON (the admin API's TraceListDocument).") var json = false

    func validate() throws {
        guard (1...1000).contains(self.last) else { throw ValidationError("--last must be 1...1000, not \(self.last)") }
    }

    func run() async throws {
        let document = try await withAdmin(self.adminOption) { admin in
            try await admin.send(.GET, "/v1/traces?last=\(self.last)", as: TraceListDocument.self)
        }
        if self.json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(document), as: UTF8.self))
        } else {
            print(TraceText.render(document), terminator: "")
        }
    }
}

/// The text form: one line per trace, hops joined by arrows; a span that does not continue the one
/// before it (a record that caused several) starts an indented `↳` line.
enum TraceText {
    static func render(_ document: TraceListDocument) -> String {
        guard !document.traces.isEmpty else {
            return "no traces yet: set tracing.sample_every (sluice serve --trace-sample-every N) and produce records\n"
        }
        return document.traces.map(Self.line).joined()
    }

    static func line(_ trace: TraceDocument) -> String {
        var text = "trace \(trace.traceId) "
        var previous: SpanDocument?
        for span in trace.spans {
            if let previous, span.parentSpanId == previous.spanId {
                text += " → "
            } else if previous != nil {
                text += "\n    ↳ "
            } else {
                text += " "
            }
            text += Self.hop(span)
            previous = span
        }
        return text + "\n"
    }

    /// `words[0]@41 —3.1 ms→ uppercase v2 (0.4 ms)`.
    static func hop(_ span: SpanDocument) -> String {
        "\(span.stream)[\(span.partition)]@\(span.offset) —\(Self.milliseconds(span.streamTimeMs))→ "
            + "\(span.operatorName) v\(span.version) (\(Self.milliseconds(span.operatorTimeMs)))"
    }

    static func milliseconds(_ value: Double) -> String {
        String(format: value < 10 ? "%.1f ms" : "%.0f ms", value)
    }
}
