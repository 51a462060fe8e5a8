@testable import BrokerServer
import Foundation
import Synchronization
import XCTest

final class AdminGateTests: XCTestCase {
    private static let tokens: [String: (String, AdminRole)] = [
        "sluice_viewer": ("watcher", .viewer), "sluice_operator": ("deployer", .operator), "sluice_admin": ("root", .admin),
    ]

    private func gate(authenticationRequired: Bool = true, bodyBytesMax: Int = 1 << 20) -> AdminGate {
        AdminGate(authenticationRequired: authenticationRequired, bodyBytesMax: bodyBytesMax) { token in
            guard let (name, role) = Self.tokens[token] else { return .invalid }
            return .valid(name: name, role: role)
        }
    }

    private func head(_ method: String, _ uri: String, token: String? = nil, contentLength: Int? = nil) -> AdminGate.RequestHead {
        AdminGate.RequestHead(
            method: method, uri: uri, authorization: token.map { "Bearer \($0)" }, contentLength: contentLength.map(String.init)
        )
    }

    private func status(_ decision: AdminGate.Decision) -> Int {
        if case .refuse(let refusal) = decision { return refusal.status }
        return 200
    }

    /// The role table of Docs/security.md, route by route.
    func testEveryRouteNeedsTheDocumentedRole() {
        let expected: [(String, String, AdminRole?)] = [
            ("GET", "/v1/health", nil), ("GET", "/", nil), ("GET", "/dashboard", nil),
            ("GET", "/v1/operators", .viewer), ("GET", "/v1/operators/up", .viewer),
            ("GET", "/v1/operators/up/logs?tail=5", .viewer), ("GET", "/metrics", .viewer),
            ("GET", "/v1/topology", .viewer), ("GET", "/v1/traces", .viewer),
            ("POST", "/v1/operators", .operator), ("POST", "/v1/operators/up/swap", .operator),
            ("POST", "/v1/operators/up/rollback", .operator), ("POST", "/v1/operators/up/pause", .operator),
            ("POST", "/v1/operators/up/resume", .operator), ("POST", "/v1/operators/up/scale", .operator),
            ("POST", "/v1/operators/up/canary", .operator), ("POST", "/v1/operators/up/promote", .operator),
            ("POST", "/v1/operators/up/abort", .operator), ("DELETE", "/v1/operators/up", .operator),
            ("DELETE", "/v1/streams/words?force=true", .admin),
        ]
        for (method, uri, role) in expected {
            let route = AdminRoute(method: method, uri: uri)
            XCTAssertNotNil(route, "\(method) \(uri)")
            XCTAssertEqual(route?.requiredRole, role, "\(method) \(uri)")
        }
    }

    func testRolesAreOrdered() {
        XCTAssertTrue(AdminRole.admin.allows(.operator))
        XCTAssertTrue(AdminRole.operator.allows(.viewer))
        XCTAssertTrue(AdminRole.viewer.allows(.viewer))
        XCTAssertFalse(AdminRole.viewer.allows(.operator))
        XCTAssertFalse(AdminRole.operator.allows(.admin))
    }

    func testWithoutAValidTokenEveryGuardedRouteIs401WithAChallenge() {
        let gate = self.gate()
        for token in [nil, "sluice_wrong", ""] as [String?] {
            for (method, uri) in [("POST", "/v1/operators"), ("GET", "/v1/operators"), ("DELETE", "/v1/streams/x"),
                                  ("GET", "/no/such/route")] {
                guard case .refuse(let refusal) = gate.decide(self.head(method, uri, token: token)) else {
                    return XCTFail("\(method) \(uri) with \(token ?? "no token") was admitted")
                }
                XCTAssertEqual(refusal.status, 401, "\(method) \(uri)")
                XCTAssertTrue(refusal.headers["WWW-Authenticate"]?.hasPrefix("Bearer") == true)
            }
        }
        let basic = AdminGate.RequestHead(method: "GET", uri: "/v1/operators", authorization: "Basic dTpw", contentLength: nil)
        XCTAssertEqual(self.status(gate.decide(basic)), 401)
    }

    func testAWeakRoleIs403AndAStrongOneIsAdmitted() {
        let gate = self.gate()
        XCTAssertEqual(self.status(gate.decide(self.head("POST", "/v1/operators", token: "sluice_viewer"))), 403)
        XCTAssertEqual(self.status(gate.decide(self.head("DELETE", "/v1/operators/up", token: "sluice_viewer"))), 403)
        XCTAssertEqual(self.status(gate.decide(self.head("DELETE", "/v1/streams/x", token: "sluice_operator"))), 403)
        XCTAssertEqual(
            gate.decide(self.head("POST", "/v1/operators/up/swap", token: "sluice_operator")),
            .admit(route: .swap(name: "up"), bodyBytesMax: 1 << 20, principal: "deployer")
        )
        XCTAssertEqual(self.status(gate.decide(self.head("DELETE", "/v1/streams/x", token: "sluice_admin"))), 200)
        XCTAssertEqual(self.status(gate.decide(self.head("GET", "/v1/operators", token: "sluice_viewer"))), 200)
        // A known token on an unknown route learns it is unknown.
        XCTAssertEqual(self.status(gate.decide(self.head("GET", "/v1/nothing", token: "sluice_viewer"))), 404)
    }

    func testOpenRoutesNeedNoToken() {
        let gate = self.gate()
        XCTAssertEqual(gate.decide(self.head("GET", "/v1/health")), .admit(route: .health, bodyBytesMax: 64 * 1024, principal: nil))
        XCTAssertEqual(self.status(gate.decide(self.head("GET", "/dashboard"))), 200)
    }

    func testWithoutAuthenticationEverythingIsAdmittedAsBefore() {
        let gate = self.gate(authenticationRequired: false)
        XCTAssertEqual(self.status(gate.decide(self.head("POST", "/v1/operators"))), 200)
        XCTAssertEqual(self.status(gate.decide(self.head("DELETE", "/v1/streams/x", token: "sluice_wrong"))), 200)
        XCTAssertEqual(self.status(gate.decide(self.head("GET", "/v1/nothing"))), 404)
    }

    func testADeclaredBodyOverTheCapIs413AfterAuthentication() {
        let gate = self.gate(bodyBytesMax: 1000)
        XCTAssertEqual(self.status(gate.decide(self.head("POST", "/v1/operators", token: "sluice_operator", contentLength: 1000))), 200)
        XCTAssertEqual(self.status(gate.decide(self.head("POST", "/v1/operators", token: "sluice_operator", contentLength: 1001))), 413)
        XCTAssertEqual(self.status(gate.decide(self.head("POST", "/v1/operators", token: "sluice_operator", contentLength: 1 << 30))), 413)
        // A stranger's huge upload is refused for who it is, not for its size.
        XCTAssertEqual(self.status(gate.decide(self.head("POST", "/v1/operators", contentLength: 1 << 30))), 401)
        let negative = AdminGate.RequestHead(
            method: "POST", uri: "/v1/operators", authorization: "Bearer sluice_operator", contentLength: "-5"
        )
        XCTAssertEqual(self.status(gate.decide(negative)), 400)
        // Routes without a document get a small allowance only.
        let large = self.gate(bodyBytesMax: 1 << 28)
        XCTAssertEqual(
            self.status(large.decide(self.head("POST", "/v1/operators/up/pause", token: "sluice_operator", contentLength: 1 << 20))), 413
        )
    }

    func testABadTokenFileRefusesEveryCredential() {
        let gate = AdminGate(authenticationRequired: true, bodyBytesMax: 1000) { _ in .storeUnusable("damaged") }
        XCTAssertEqual(self.status(gate.decide(self.head("GET", "/v1/operators", token: "sluice_admin"))), 503)
        XCTAssertEqual(self.status(gate.decide(self.head("GET", "/v1/health"))), 200)
    }

    func testBearerParsing() {
        XCTAssertEqual(AdminGate.bearerToken(in: "Bearer abc"), "abc")
        XCTAssertEqual(AdminGate.bearerToken(in: "bearer  abc "), "abc")
        XCTAssertNil(AdminGate.bearerToken(in: "Bearer"))
        XCTAssertNil(AdminGate.bearerToken(in: "Token abc"))
    }

    func testHttpBasicNeedsTLSAndGetsTheRoleThePasswordCheckGives() {
        let basic = { (user: String, password: String) in "Basic " + Data("\(user):\(password)".utf8).base64EncodedString() }
        let head = { (method: String, uri: String, authorization: String) in
            AdminGate.RequestHead(method: method, uri: uri, authorization: authorization, contentLength: nil, remoteHost: "10.0.0.7")
        }
        // Without TLS (no password check) a password is refused, right or not.
        guard case .refuse(let refusal) = self.gate().decide(head("GET", "/v1/operators", basic("root", "pw"))) else {
            return XCTFail("Basic admitted without TLS")
        }
        XCTAssertEqual(refusal.status, 401)
        XCTAssertTrue(refusal.message.contains("TLS"), refusal.message)

        var gate = self.gate()
        let hosts = Mutex<[String]>([])
        gate.checkPassword = { user, password, host in
            hosts.withLock { $0.append(host) }
            switch (user, password) {
            case ("root", "pw"): return .valid(name: "User:root", role: .admin)
            case ("watcher", "pw"): return .valid(name: "User:watcher", role: .viewer)
            case ("nobody", "pw"): return .noRole(name: "User:nobody")
            default: return .invalid
            }
        }
        XCTAssertEqual(
            gate.decide(head("DELETE", "/v1/streams/x", basic("root", "pw"))),
            .admit(route: .deleteStream(name: "x", force: false), bodyBytesMax: 64 * 1024, principal: "User:root")
        )
        XCTAssertEqual(self.status(gate.decide(head("GET", "/v1/operators", basic("watcher", "pw")))), 200)
        XCTAssertEqual(self.status(gate.decide(head("POST", "/v1/operators", basic("watcher", "pw")))), 403)
        XCTAssertEqual(self.status(gate.decide(head("GET", "/v1/operators", basic("nobody", "pw")))), 403)
        XCTAssertEqual(self.status(gate.decide(head("GET", "/v1/operators", basic("root", "wrong")))), 401)
        XCTAssertEqual(self.status(gate.decide(head("GET", "/v1/operators", "Basic !!notbase64"))), 401)
        XCTAssertEqual(self.status(gate.decide(head("GET", "/v1/operators", "Basic " + Data("nocolon".utf8).base64EncodedString()))), 401)
        XCTAssertEqual(hosts.withLock { Set($0) }, ["10.0.0.7"], "the check sees the client's address, for host ACLs")
        // Tokens still work beside passwords.
        XCTAssertEqual(self.status(gate.decide(self.head("GET", "/v1/operators", token: "sluice_viewer"))), 200)
    }

    func testBasicParsing() {
        XCTAssertEqual(AdminGate.basicCredentials(in: "Basic " + Data("alice:p:w".utf8).base64EncodedString())?.password, "p:w")
        XCTAssertEqual(AdminGate.basicCredentials(in: "basic " + Data("alice:".utf8).base64EncodedString())?.user, "alice")
        XCTAssertNil(AdminGate.basicCredentials(in: "Basic " + Data(":pw".utf8).base64EncodedString()), "a user is required")
        XCTAssertNil(AdminGate.basicCredentials(in: "Basic " + String(repeating: "A", count: 8192)), "bounded")
        XCTAssertNil(AdminGate.basicCredentials(in: "Bearer abc"))
    }
}
