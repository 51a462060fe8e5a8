/// The admin API's routes, parsed from a method and a path. A pure value so routing is tested alone.
///
/// ```
/// GET    /v1/health
/// GET    /v1/operators                     list
/// POST   /v1/operators                     deploy (DeployDocument)
/// GET    /v1/operators/{name}              status
/// DELETE /v1/operators/{name}              kill
/// POST   /v1/operators/{name}/swap         swap (DeployDocument)
/// POST   /v1/operators/{name}/rollback
/// POST   /v1/operators/{name}/pause
/// POST   /v1/operators/{name}/resume
/// GET    /v1/operators/{name}/logs?tail=N&follow=true
/// POST   /v1/operators/{name}/scale        scale (ScaleRequestDocument)
/// POST   /v1/operators/{name}/canary       deploy a canary (DeployDocument)
/// POST   /v1/operators/{name}/promote      make the canary live
/// POST   /v1/operators/{name}/abort        drop the canary
/// GET    /metrics                          Prometheus text format (Docs/metrics.md)
/// GET    /v1/topology                      streams, operators and edges with rates and lag
/// GET    /  or  /dashboard                 the dashboard page
/// GET    /v1/traces?last=K                 the newest sampled paths (TraceListDocument)
/// DELETE /v1/streams/{name}?force=true     delete a stream; refused while operators use it unless forced
/// ```
enum AdminRoute: Equatable {
    case health
    case list
    case deploy
    case status(name: String)
    case kill(name: String)
    case swap(name: String)
    case rollback(name: String)
    case pause(name: String)
    case resume(name: String)
    case logs(name: String, tailLines: Int, follow: Bool)
    case scale(name: String)
    case canary(name: String)
    case promote(name: String)
    case abortCanary(name: String)
    /// Outside /v1: `/metrics` is where Prometheus looks by default.
    case metrics
    case topology
    case dashboard
    case traces(last: Int)
    case deleteStream(name: String, force: Bool)

    static let defaultTailLines = 100
    static let tailLinesMax = 100_000
    static let defaultTraces = 10
    static let tracesMax = 1000

    init?(method: String, uri: String) {
        let (path, query) = Self.split(uri)
        if path == "/metrics" {
            guard method == "GET" else { return nil }
            self = .metrics
            return
        }
        if let route = Self.topologyRoute(method: method, path: path) {
            self = route
            return
        }
        let segments = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        guard segments.count >= 2, segments.count <= 4, segments[0] == "v1" else { return nil }
        if segments == ["v1", "health"] {
            guard method == "GET" else { return nil }
            self = .health
            return
        }
        if segments == ["v1", "traces"] {
            guard method == "GET" else { return nil }
            let last = query["last"].flatMap(Int.init) ?? Self.defaultTraces
            self = .traces(last: min(max(last, 1), Self.tracesMax))
            return
        }
        if segments.count == 3, segments[1] == "streams" {
            guard method == "DELETE" else { return nil }
            self = .deleteStream(name: segments[2], force: query["force"] == "true" || query["force"] == "1")
            return
        }
        guard segments[1] == "operators" else { return nil }
        if segments.count == 2 {
            switch method {
            case "GET": self = .list
            case "POST": self = .deploy
            default: return nil
            }
            return
        }
        let name = segments[2]
        let action = segments.count == 4 ? segments[3] : nil
        switch (method, action) {
        case ("GET", nil): self = .status(name: name)
        case ("DELETE", nil): self = .kill(name: name)
        case ("POST", "swap"): self = .swap(name: name)
        case ("POST", "rollback"): self = .rollback(name: name)
        case ("POST", "pause"): self = .pause(name: name)
        case ("POST", "resume"): self = .resume(name: name)
        case ("POST", "scale"): self = .scale(name: name)
        case ("POST", "canary"): self = .canary(name: name)
        case ("POST", "promote"): self = .promote(name: name)
        case ("POST", "abort"): self = .abortCanary(name: name)
        case ("GET", "logs"):
            let tail = query["tail"].flatMap(Int.init) ?? Self.defaultTailLines
            self = .logs(
                name: name, tailLines: min(max(tail, 0), Self.tailLinesMax),
                follow: query["follow"] == "true" || query["follow"] == "1"
            )
        default: return nil
        }
    }

    /// Whether the route takes a JSON body.
    var takesBody: Bool {
        switch self {
        case .deploy, .swap, .scale, .canary: return true
        default: return false
        }
    }

    /// The topology document and the dashboard page that draws it.
    private static func topologyRoute(method: String, path: String) -> AdminRoute? {
        guard method == "GET" else { return nil }
        switch path {
        case "/v1/topology", "/v1/topology/": return .topology
        case "/", "/dashboard", "/dashboard/": return .dashboard
        default: return nil
        }
    }

    private static func split(_ uri: String) -> (path: String, query: [String: String]) {
        guard let mark = uri.firstIndex(of: "?") else { return (uri, [:]) }
        var query: [String: String] = [:]
        for pair in uri[uri.index(after: mark)...].split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            query[parts[0]] = parts.count > 1 ? parts[1] : ""
        }
        return (String(uri[..<mark]), query)
    }
}
