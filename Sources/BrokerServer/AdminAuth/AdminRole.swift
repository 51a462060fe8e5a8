/// What a bearer token of the admin API may do. Roles are ordered: each one may do everything the one
/// below it may, so a route names the least role it needs (`AdminRoute.requiredRole`).
///
/// - `viewer` reads: operators, logs, metrics, the topology, traces.
/// - `operator` also changes the topology: deploy, swap, roll back, pause, resume, scale, canary, promote,
///   abort and kill. These run code: an operator token is as strong as a shell as the broker's user.
/// - `admin` also deletes streams (data loss, not only downtime).
///
/// Tokens themselves are managed offline (`sluice token`, on the data directory), never over HTTP: see
/// `AdminTokenStore`.
public enum AdminRole: String, Codable, Sendable, CaseIterable, Comparable {
    case viewer
    case `operator`
    case admin

    private var rank: Int {
        switch self {
        case .viewer: return 0
        case .operator: return 1
        case .admin: return 2
        }
    }

    public static func < (left: AdminRole, right: AdminRole) -> Bool { left.rank < right.rank }

    /// Whether a token with this role may use a route that needs `required`.
    public func allows(_ required: AdminRole) -> Bool { self >= required }
}

extension AdminRoute {
    /// The least role a request on this route needs when the admin API requires a credential; nil for the
    /// routes open to anyone who reaches the port:
    /// - `GET /v1/health`, so a load balancer or a supervisor can probe the broker without a secret;
    /// - the dashboard page, a static HTML file with no data in it, which must load before it can ask for a
    ///   token (a browser's navigation cannot send an `Authorization` header). Every fetch it makes needs one.
    var requiredRole: AdminRole? {
        switch self {
        case .health, .dashboard:
            return nil
        case .list, .status, .logs, .metrics, .topology, .traces:
            return .viewer
        case .deploy, .swap, .rollback, .pause, .resume, .scale, .canary, .promote, .abortCanary, .kill:
            return .operator
        case .deleteStream:
            return .admin
        }
    }
}
