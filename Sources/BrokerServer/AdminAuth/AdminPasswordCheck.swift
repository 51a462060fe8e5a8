import Crypto
import Foundation
import SluiceSecurity
import Synchronization

/// Checks HTTP Basic credentials of the admin API against the SCRAM users (`sluice user`), and gives the user a
/// role from the Kafka-side authorization, so that one set of users and one set of rules govern both ports:
///
/// - a super user (`--super-users`) is `admin`;
/// - with `--authorization on`, ALTER on the CLUSTER resource makes a user `operator` and DESCRIBE `viewer`;
///   a user with neither has no admin role (403);
/// - with authorization off, every user who knows their password is `viewer`: deploying code takes a token
///   with the operator role or a super user.
///
/// The password is checked by recomputing the salted password (PBKDF2, thousands of iterations), which costs
/// milliseconds; a check that succeeded is remembered for `rememberedForMs`, keyed by a hash of the name and
/// password (never the password itself), so a dashboard polling every second does not pay it each time.
/// Failures are never remembered. A changed password or a deleted user therefore applies within that time;
/// roles are worked out at every request, so ACL changes apply at once.
final class AdminPasswordCheck: Sendable {
    static let rememberedForMs: Int64 = 60_000
    static let rememberedCountMax = 256

    private let credentials: ScramCredentialStore
    private let acls: AclStore
    private let nowMs: @Sendable () -> Int64
    /// Hash of user and password → when the check succeeded.
    private let remembered = Mutex<[SHA256Digest: Int64]>([:])

    init(credentials: ScramCredentialStore, acls: AclStore, nowMs: @escaping @Sendable () -> Int64) {
        self.credentials = credentials
        self.acls = acls
        self.nowMs = nowMs
    }

    func check(user: String, password: String, host: String) -> AdminCredentialCheck {
        let principal = KafkaPrincipal(name: user)
        let key = SHA256.hash(data: Array("\(user)\u{0}\(password)".utf8))
        let now = self.nowMs()
        let isRemembered = self.remembered.withLock { entries in
            guard let checkedMs = entries[key] else { return false }
            guard now - checkedMs < Self.rememberedForMs else {
                entries[key] = nil
                return false
            }
            return true
        }
        if !isRemembered {
            guard self.credentials.credentials(user: user).contains(where: { $0.matches(password: password) }) else {
                return .invalid
            }
            self.remember(key, atMs: now)
        }
        guard let role = self.role(of: principal, host: host) else { return .noRole(name: principal.description) }
        return .valid(name: principal.description, role: role)
    }

    private func role(of principal: KafkaPrincipal, host: String) -> AdminRole? {
        if self.acls.isSuperUser(principal) { return .admin }
        guard self.acls.isEnabled else { return .viewer }
        if self.acls.isAllowed(principal, host: host, .alter, .cluster, AclBinding.clusterName) { return .operator }
        if self.acls.isAllowed(principal, host: host, .describe, .cluster, AclBinding.clusterName) { return .viewer }
        return nil
    }

    private func remember(_ key: SHA256Digest, atMs now: Int64) {
        self.remembered.withLock { entries in
            if entries.count >= Self.rememberedCountMax {
                entries = entries.filter { now - $0.value < Self.rememberedForMs }
                if entries.count >= Self.rememberedCountMax { entries.removeAll() }
            }
            entries[key] = now
        }
    }
}
