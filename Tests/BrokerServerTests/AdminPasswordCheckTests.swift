import Foundation
import SluiceSecurity
import Synchronization
import XCTest

@testable import BrokerServer

/// HTTP Basic users of the admin API: the password checked against the stored SCRAM credential, the role taken
/// from super users and CLUSTER ACLs, a success remembered for a while (by the injected clock) and a failure never.
final class AdminPasswordCheckTests: XCTestCase {
    private var directory = ""

    override func setUpWithError() throws {
        self.directory = FileManager.default.temporaryDirectory.appendingPathComponent("admin-password-\(UUID())").path
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: self.directory)
    }

    private func makeCheck(authorization: Bool, nowMs: ManualMillis) throws -> (AdminPasswordCheck, ScramCredentialStore) {
        let credentials = try ScramCredentialStore(dataDirectory: self.directory, onError: { XCTFail($0) })
        try credentials.update { users in
            for user in ["root", "deployer", "watcher", "nobody"] {
                users[user] = [.sha512: ScramCredential.make(password: "\(user)-pw", mechanism: .sha512)]
            }
        }
        let acls = try AclStore(
            dataDirectory: self.directory, isEnabled: authorization, superUsers: ["User:root"], onError: { XCTFail($0) }
        )
        try acls.add([
            AclBinding(resourceType: .cluster, resourceName: AclBinding.clusterName, principal: "User:deployer", operation: .alter),
            AclBinding(resourceType: .cluster, resourceName: AclBinding.clusterName, principal: "User:watcher", operation: .describe),
            AclBinding(
                resourceType: .cluster, resourceName: AclBinding.clusterName, principal: "User:watcher", host: "10.9.9.9",
                operation: .all, permission: .deny
            ),
        ])
        let clock = { @Sendable in nowMs.value.withLock { $0 } }
        return (AdminPasswordCheck(credentials: credentials, acls: acls, nowMs: clock), credentials)
    }

    func testRolesComeFromSuperUsersAndClusterAcls() throws {
        let (check, _) = try self.makeCheck(authorization: true, nowMs: ManualMillis(0))
        XCTAssertEqual(check.check(user: "root", password: "root-pw", host: "10.0.0.1"), .valid(name: "User:root", role: .admin))
        XCTAssertEqual(check.check(user: "deployer", password: "deployer-pw", host: "10.0.0.1"), .valid(name: "User:deployer", role: .operator))
        XCTAssertEqual(check.check(user: "watcher", password: "watcher-pw", host: "10.0.0.1"), .valid(name: "User:watcher", role: .viewer))
        XCTAssertEqual(check.check(user: "watcher", password: "watcher-pw", host: "10.9.9.9"), .noRole(name: "User:watcher"), "a host deny")
        XCTAssertEqual(check.check(user: "nobody", password: "nobody-pw", host: "10.0.0.1"), .noRole(name: "User:nobody"))
        XCTAssertEqual(check.check(user: "root", password: "deployer-pw", host: "10.0.0.1"), .invalid)
        XCTAssertEqual(check.check(user: "stranger", password: "x", host: "10.0.0.1"), .invalid)
    }

    func testWithoutAuthorizationAUserIsAViewerAndASuperUserAdmin() throws {
        let (check, _) = try self.makeCheck(authorization: false, nowMs: ManualMillis(0))
        XCTAssertEqual(check.check(user: "deployer", password: "deployer-pw", host: "*"), .valid(name: "User:deployer", role: .viewer))
        XCTAssertEqual(check.check(user: "root", password: "root-pw", host: "*"), .valid(name: "User:root", role: .admin))
    }

    func testASuccessIsRememberedForAMinuteAndAFailureNever() throws {
        let now = ManualMillis(1_000)
        let (check, credentials) = try self.makeCheck(authorization: true, nowMs: now)
        XCTAssertEqual(check.check(user: "deployer", password: "deployer-pw", host: "*"), .valid(name: "User:deployer", role: .operator))
        // The password changes: the old one is still taken while remembered, then refused.
        try credentials.update { $0["deployer"] = [.sha512: ScramCredential.make(password: "new-pw", mechanism: .sha512)] }
        now.value.withLock { $0 += AdminPasswordCheck.rememberedForMs - 1 }
        XCTAssertEqual(check.check(user: "deployer", password: "deployer-pw", host: "*"), .valid(name: "User:deployer", role: .operator))
        now.value.withLock { $0 += 1 }
        XCTAssertEqual(check.check(user: "deployer", password: "deployer-pw", host: "*"), .invalid)
        XCTAssertEqual(check.check(user: "deployer", password: "new-pw", host: "*"), .valid(name: "User:deployer", role: .operator))
    }
}

/// A time in milliseconds that the test moves by hand.
final class ManualMillis: Sendable {
    let value: Mutex<Int64>
    init(_ start: Int64) { self.value = Mutex(start) }
}
