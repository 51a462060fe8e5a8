import OperatorRuntime

/// Where spans are exported: `http://HOST:PORT[/PATH]`, the path defaulting to OTLP/HTTP's `/v1/traces`.
/// Plain HTTP only: collectors usually sit beside the broker, and TLS would need a dependency the broker
/// does not otherwise have.
struct OTLPEndpoint: Equatable, Sendable {
    var host: String
    var port: Int
    var path: String

    init?(parsing text: String) {
        let prefix = "http://"
        guard text.hasPrefix(prefix) else { return nil }
        let rest = text.dropFirst(prefix.count)
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<slash]
        guard let colon = authority.lastIndex(of: ":"), let port = Int(authority[authority.index(after: colon)...]),
              (1...65_535).contains(port), colon != authority.startIndex
        else { return nil }
        self.host = String(authority[..<colon])
        self.port = port
        self.path = slash == rest.endIndex ? "/v1/traces" : String(rest[slash...])
    }
}

/// The OTLP/HTTP JSON body of an export request (`ExportTraceServiceRequest`), as the OpenTelemetry
/// protocol's JSON mapping spells it: ids as lowercase hex, 64-bit integers as decimal strings.
struct OTLPTraceRequest: Encodable {
    var resourceSpans: [ResourceSpans]

    struct ResourceSpans: Encodable {
        var resource: Resource
        var scopeSpans: [ScopeSpans]
    }

    struct Resource: Encodable {
        var attributes: [Attribute]
    }

    struct ScopeSpans: Encodable {
        var scope: Scope
        var spans: [Span]
    }

    struct Scope: Encodable {
        var name: String
    }

    struct Span: Encodable {
        var traceId: String
        var spanId: String
        var parentSpanId: String?
        var name: String
        /// SPAN_KIND_CONSUMER: an operator consumes a record from a stream.
        var kind = 5
        var startTimeUnixNano: String
        var endTimeUnixNano: String
        var attributes: [Attribute]
    }

    struct Attribute: Encodable {
        var key: String
        var value: Value
    }

    struct Value: Encodable {
        var stringValue: String?
        var intValue: String?
        var doubleValue: Double?
    }

    static let serviceName = "sluice"
    static let scopeName = "sluice.operators"

    init(spans: [OperatorSpan]) {
        let resource = Resource(attributes: [Self.string("service.name", Self.serviceName)])
        let scope = ScopeSpans(scope: Scope(name: Self.scopeName), spans: spans.map(Self.span))
        self.resourceSpans = [ResourceSpans(resource: resource, scopeSpans: [scope])]
    }

    private static func span(_ span: OperatorSpan) -> Span {
        Span(
            traceId: span.traceId, spanId: span.spanId, parentSpanId: span.parentSpanId,
            name: span.operatorName, startTimeUnixNano: String(span.startTimeUnixNs),
            endTimeUnixNano: String(span.endTimeUnixNs),
            attributes: [
                Self.string("sluice.operator.name", span.operatorName),
                Self.integer("sluice.operator.version", Int64(span.version)),
                Self.string("sluice.operator.instance", span.instance),
                Self.string("messaging.destination.name", span.stream),
                Self.integer("sluice.partition", Int64(span.partition)),
                Self.integer("sluice.offset", span.offset),
                Value.double("sluice.stream_time_ms", span.streamTimeMs),
            ]
        )
    }

    private static func string(_ key: String, _ value: String) -> Attribute {
        Attribute(key: key, value: Value(stringValue: value))
    }

    private static func integer(_ key: String, _ value: Int64) -> Attribute {
        Attribute(key: key, value: Value(intValue: String(value)))
    }
}

extension OTLPTraceRequest.Value {
    static func double(_ key: String, _ value: Double) -> OTLPTraceRequest.Attribute {
        OTLPTraceRequest.Attribute(key: key, value: Self(doubleValue: value))
    }
}
