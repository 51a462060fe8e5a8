/// Decides, from a request's head alone, whether the admin API takes the request, before a byte of its body
/// is read: authentication, the route, the role and the body's declared size, in that order. A request it
/// refuses is answered at once and its connection closed; nothing of it reaches the operator runtime.
///
/// Order matters: without a valid credential the answer is 401 whatever the route (unknown routes are not
/// revealed to strangers); a known token on an unknown route gets 404; a role too weak gets 403; only then is
/// `Content-Length` compared with the cap (413). A chunked body has no declared size: `AdminHTTPHandler`
/// counts it as it arrives against the same cap.
struct AdminGate: Sendable {
    /// What the gate reads of a request head.
    struct RequestHead: Equatable, Sendable {
        var method: String
        var uri: String
        /// The `Authorization` header, if any.
        var authorization: String?
        /// The `Content-Length` header, if any.
        var contentLength: String?
    }

    enum Decision: Equatable, Sendable {
        /// Read the body (at most `bodyBytesMax` bytes), then run the route. `principal` names the token, when one
        /// was required, for the log.
        case admit(route: AdminRoute, bodyBytesMax: Int, principal: String?)
        case refuse(AdminRefusal)
    }

    /// Routes that take no document still get a small body allowance: clients send `{}` or an empty JSON body.
    static let bodyBytesMaxWithoutDocument = 64 * 1024

    let authenticationRequired: Bool
    let bodyBytesMax: Int
    let checkToken: @Sendable (String) -> AdminCredentialCheck

    func decide(_ head: RequestHead) -> Decision {
        let route = AdminRoute(method: head.method, uri: head.uri)
        var principal: String?
        if self.authenticationRequired, route?.requiredRole != nil || route == nil {
            switch self.authenticate(head.authorization) {
            case .refused(let refusal):
                return .refuse(refusal)
            case .authenticated(let name, let role):
                principal = name
                if let route, let required = route.requiredRole, !role.allows(required) {
                    return .refuse(.forbidden(token: name, role: role, required: required, head: head))
                }
            }
        }
        guard let route else { return .refuse(.noRoute(head)) }
        let bodyBytesMax = route.takesBody ? self.bodyBytesMax : min(self.bodyBytesMax, Self.bodyBytesMaxWithoutDocument)
        if let declared = head.contentLength {
            guard let declaredBytes = Int(declared), declaredBytes >= 0 else { return .refuse(.badContentLength(declared)) }
            guard declaredBytes <= bodyBytesMax else { return .refuse(.tooLarge(bodyBytesMax: bodyBytesMax)) }
        }
        return .admit(route: route, bodyBytesMax: bodyBytesMax, principal: principal)
    }

    private enum Authentication {
        case authenticated(name: String, role: AdminRole)
        case refused(AdminRefusal)
    }

    private func authenticate(_ authorization: String?) -> Authentication {
        guard let authorization, !authorization.isEmpty else { return .refused(.missingCredential) }
        guard let token = Self.bearerToken(in: authorization) else { return .refused(.notBearer) }
        switch self.checkToken(token) {
        case .valid(let name, let role): return .authenticated(name: name, role: role)
        case .invalid: return .refused(.invalidToken)
        case .storeUnusable(let why): return .refused(.storeUnusable(why))
        }
    }

    /// The token of `Bearer <token>` (the scheme is case-insensitive, RFC 7235), or nil for any other scheme.
    static func bearerToken(in authorization: String) -> String? {
        let parts = authorization.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = String(parts[1]).trimmingWhitespace()
        return token.isEmpty ? nil : token
    }
}

/// An answer the gate gives instead of running a request.
struct AdminRefusal: Equatable, Sendable {
    var status: Int
    var code: String
    var message: String
    /// Extra response headers (`WWW-Authenticate` on a 401).
    var headers: [String: String] = [:]

    private static let hint = "create one with `sluice token create NAME --role viewer|operator|admin --data-dir DIR`"
        + " and send it as `Authorization: Bearer TOKEN` (the CLI reads SLUICE_ADMIN_TOKEN or --token)"

    /// RFC 6750 §3: a request without credentials gets the challenge alone, a bad credential also the error.
    private static func challenge(_ error: String?) -> [String: String] {
        ["WWW-Authenticate": "Bearer realm=\"sluice-admin\"" + (error.map { ", error=\"\($0)\"" } ?? "")]
    }

    static let missingCredential = AdminRefusal(
        status: 401, code: "unauthenticated", message: "the admin API requires a bearer token: " + Self.hint,
        headers: Self.challenge(nil)
    )
    static let notBearer = AdminRefusal(
        status: 401, code: "unauthenticated", message: "the admin API takes `Authorization: Bearer TOKEN` only",
        headers: Self.challenge("invalid_request")
    )
    static let invalidToken = AdminRefusal(
        status: 401, code: "invalid_token", message: "the bearer token is not a known admin token",
        headers: Self.challenge("invalid_token")
    )

    static func storeUnusable(_ why: String) -> AdminRefusal {
        AdminRefusal(
            status: 503, code: "token_store_unusable",
            message: "no credential can be checked until the token file is repaired or moved away: \(why)"
        )
    }

    static func forbidden(token: String, role: AdminRole, required: AdminRole, head: AdminGate.RequestHead) -> AdminRefusal {
        AdminRefusal(
            status: 403, code: "forbidden",
            message: "token '\(token)' has role \(role.rawValue); \(head.method) \(Self.path(head.uri)) needs \(required.rawValue)",
            headers: ["WWW-Authenticate": "Bearer realm=\"sluice-admin\", error=\"insufficient_scope\""]
        )
    }

    static func noRoute(_ head: AdminGate.RequestHead) -> AdminRefusal {
        AdminRefusal(status: 404, code: "no_route", message: "no admin route \(head.method) \(Self.path(head.uri))")
    }

    static func badContentLength(_ text: String) -> AdminRefusal {
        AdminRefusal(status: 400, code: "bad_request", message: "Content-Length '\(text.prefix(40))' is not a byte count")
    }

    static func tooLarge(bodyBytesMax: Int) -> AdminRefusal {
        AdminRefusal(status: 413, code: "too_large", message: "request body over \(bodyBytesMax) bytes")
    }

    /// The path without its query, bounded, for messages.
    private static func path(_ uri: String) -> String {
        String(uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? "").prefix(200).description
    }
}
