import Foundation

/// Decides, from a request's head alone, whether the admin API takes the request, before a byte of its body
/// is read: authentication, the route, the role and the body's declared size, in that order. A request it
/// refuses is answered at once and its connection closed; nothing of it reaches the operator runtime.
///
/// A credential is a bearer token (`sluice token`) or, on an admin listener with TLS, a SCRAM user's name and
/// password by HTTP Basic (RFC 7617), checked against the same salted credentials as a SASL login; a password is
/// never accepted over plain HTTP, where anyone on the path could read it.
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
        /// The client's IP address, for host-specific ACLs of HTTP Basic users.
        var remoteHost = "*"
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
    /// Checks a SCRAM user's password (HTTP Basic) from the given host; nil when Basic is not accepted (no TLS).
    var checkPassword: (@Sendable (_ user: String, _ password: String, _ host: String) -> AdminCredentialCheck)? = nil

    func decide(_ head: RequestHead) -> Decision {
        let route = AdminRoute(method: head.method, uri: head.uri)
        var principal: String?
        if self.authenticationRequired, route?.requiredRole != nil || route == nil {
            switch self.authenticate(head.authorization, host: head.remoteHost) {
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

    private func authenticate(_ authorization: String?, host: String) -> Authentication {
        guard let authorization, !authorization.isEmpty else { return .refused(.missingCredential) }
        if let token = Self.bearerToken(in: authorization) {
            return Self.authentication(self.checkToken(token), invalid: .invalidToken)
        }
        guard let (user, password) = Self.basicCredentials(in: authorization) else { return .refused(.notBearer) }
        guard let checkPassword = self.checkPassword else { return .refused(.basicWithoutTLS) }
        return Self.authentication(checkPassword(user, password, host), invalid: .invalidPassword)
    }

    private static func authentication(_ check: AdminCredentialCheck, invalid: AdminRefusal) -> Authentication {
        switch check {
        case .valid(let name, let role): return .authenticated(name: name, role: role)
        case .invalid: return .refused(invalid)
        case .noRole(let name): return .refused(.noRole(user: name))
        case .storeUnusable(let why): return .refused(.storeUnusable(why))
        }
    }

    /// The user and password of `Basic <base64(user:password)>` (RFC 7617), or nil for anything else. Bounded:
    /// a header is at most what the HTTP decoder admits, and the decoded text must be UTF-8 with a colon.
    static func basicCredentials(in authorization: String) -> (user: String, password: String)? {
        let parts = authorization.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "basic", parts[1].utf8.count <= 4096,
              let decoded = Data(base64Encoded: String(parts[1]).trimmingWhitespace()),
              let text = String(data: decoded, encoding: .utf8),
              let colon = text.firstIndex(of: ":")
        else { return nil }
        let user = String(text[..<colon])
        return user.isEmpty ? nil : (user, String(text[text.index(after: colon)...]))
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
    static let basicWithoutTLS = AdminRefusal(
        status: 401, code: "unauthenticated",
        message: "HTTP Basic is accepted only on an admin API with TLS (--admin-tls), where the password is not "
            + "sent in the clear; use a bearer token",
        headers: Self.challenge("invalid_request")
    )
    static let invalidPassword = AdminRefusal(
        status: 401, code: "invalid_credentials", message: "unknown user or wrong password",
        headers: ["WWW-Authenticate": "Basic realm=\"sluice-admin\", charset=\"UTF-8\""]
    )

    static func noRole(user: String) -> AdminRefusal {
        AdminRefusal(
            status: 403, code: "forbidden",
            message: "user '\(user)' has no admin API role: make it a super user (admin), or with --authorization on "
                + "grant it ALTER (operator) or DESCRIBE (viewer) on the CLUSTER resource"
        )
    }

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
            message: "'\(token)' has role \(role.rawValue); \(head.method) \(Self.path(head.uri)) needs \(required.rawValue)",
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
