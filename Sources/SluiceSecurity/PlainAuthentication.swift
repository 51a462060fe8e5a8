/// SASL/PLAIN (RFC 4616): one message `[authzid] NUL user NUL password`, checked against the user's SCRAM
/// credential (the password is salted and iterated with the stored salt, so no plaintext password is kept).
/// PLAIN sends the password itself: it belongs on TLS listeners only, which the broker's docs say.
public enum PlainAuthentication {
    public enum Outcome: Equatable, Sendable {
        case succeeded(user: String)
        case failed(reason: String)
    }

    public static func verify(_ message: [UInt8], credentials: (String) -> [ScramCredential]) -> Outcome {
        guard message.count <= 1024 else { return .failed(reason: "a PLAIN message has at most 1024 bytes") }
        let fields = message.split(separator: 0, maxSplits: 2, omittingEmptySubsequences: false)
        guard fields.count == 3, let authorizationId = String(bytes: fields[0], encoding: .utf8),
              let user = String(bytes: fields[1], encoding: .utf8), let password = String(bytes: fields[2], encoding: .utf8),
              !user.isEmpty else {
            return .failed(reason: "a PLAIN message is [authzid] NUL user NUL password")
        }
        guard authorizationId.isEmpty || authorizationId == user else {
            return .failed(reason: "the authorization identity must be the user itself")
        }
        // Every credential of the user is tried, so the time spent does not tell which mechanisms it has.
        let matches = credentials(user).map { $0.matches(password: password) }
        guard matches.contains(true) else { return .failed(reason: "Authentication failed: Invalid username or password") }
        return .succeeded(user: user)
    }
}
