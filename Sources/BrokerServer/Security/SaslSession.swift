import SluiceSecurity

/// The SASL state of one connection, as a state machine (Kafka's `SaslServerAuthenticator`): a handshake
/// names a mechanism, then tokens go back and forth until the client is authenticated or refused.
///
/// - Before authentication a SASL listener serves ApiVersions, SaslHandshake and SaslAuthenticate only;
///   anything else closes the connection (`mayServe`).
/// - After a v0 handshake the tokens arrive as raw size-prefixed frames (`expectsRawToken`), after a v1
///   handshake inside SaslAuthenticate requests.
/// - A failed authentication ends the session: the answer says why, then the connection is closed.
struct SaslSession: Sendable {
    enum Stage: Sendable {
        case awaitingHandshake
        case awaitingToken(mechanism: String, rawFraming: Bool)
        case scram(ScramServerExchange, rawFraming: Bool)
        case authenticated
        case failed
    }

    enum HandshakeOutcome: Equatable, Sendable {
        case accepted
        case unsupportedMechanism
        case illegalState
    }

    enum TokenOutcome: Equatable, Sendable {
        /// Send this token; more are expected.
        case challenge([UInt8])
        /// Authenticated as `principal`; send the final token (possibly empty).
        case succeeded(principal: KafkaPrincipal, finalToken: [UInt8])
        case failed(reason: String)
    }

    private(set) var stage = Stage.awaitingHandshake
    let requiresAuthentication: Bool

    init(requiresAuthentication: Bool) {
        self.requiresAuthentication = requiresAuthentication
    }

    var isAuthenticated: Bool {
        if case .authenticated = self.stage { return true }
        return !self.requiresAuthentication
    }

    var expectsRawToken: Bool {
        switch self.stage {
        case .awaitingToken(_, let rawFraming), .scram(_, let rawFraming): return rawFraming
        default: return false
        }
    }

    /// Whether a request of `apiKeyValue` may be served now.
    func mayServe(apiKey: SaslGatedApi) -> Bool {
        self.isAuthenticated || apiKey == .authentication
    }

    mutating func handshake(mechanism: String, version: Int16, enabledMechanisms: [String]) -> HandshakeOutcome {
        guard self.requiresAuthentication, case .awaitingHandshake = self.stage else { return .illegalState }
        guard let enabled = enabledMechanisms.first(where: { $0 == mechanism.uppercased() }) else { return .unsupportedMechanism }
        self.stage = .awaitingToken(mechanism: enabled, rawFraming: version == 0)
        return .accepted
    }

    mutating func receive(_ token: [UInt8], credentials: ScramCredentialStore) -> TokenOutcome {
        let outcome: TokenOutcome
        switch self.stage {
        case .awaitingToken(let mechanism, let rawFraming):
            if mechanism == "PLAIN" {
                switch PlainAuthentication.verify(token, credentials: { credentials.credentials(user: $0) }) {
                case .succeeded(let user): outcome = .succeeded(principal: KafkaPrincipal(name: user), finalToken: [])
                case .failed(let reason): outcome = .failed(reason: reason)
                }
            } else if let scramMechanism = ScramMechanism(name: mechanism) {
                var exchange = ScramServerExchange(mechanism: scramMechanism)
                outcome = Self.outcome(of: exchange.receive(token) { credentials.credential(user: $0, mechanism: scramMechanism) })
                if case .challenge = outcome { self.stage = .scram(exchange, rawFraming: rawFraming) }
            } else {
                outcome = .failed(reason: "mechanism \(mechanism) is not implemented")
            }
        case .scram(var exchange, _):
            // SCRAM's second client message is its last: the stage becomes authenticated or failed below.
            let mechanism = exchange.mechanism
            outcome = Self.outcome(of: exchange.receive(token) { credentials.credential(user: $0, mechanism: mechanism) })
        case .awaitingHandshake, .authenticated, .failed:
            self.stage = .failed
            return .failed(reason: "a SASL token without a handshake naming its mechanism")
        }
        switch outcome {
        case .challenge: break
        case .succeeded: self.stage = .authenticated
        case .failed: self.stage = .failed
        }
        return outcome
    }

    private static func outcome(of action: ScramServerExchange.Action) -> TokenOutcome {
        switch action {
        case .challenge(let bytes): return .challenge(bytes)
        case .succeeded(let user, let finalMessage): return .succeeded(principal: KafkaPrincipal(name: user), finalToken: finalMessage)
        case .failed(let reason): return .failed(reason: reason)
        }
    }
}

/// How the SASL gate sees a request: part of authenticating, or anything else.
enum SaslGatedApi: Equatable {
    case authentication
    case other
}
