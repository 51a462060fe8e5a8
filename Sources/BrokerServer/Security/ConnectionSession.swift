import Synchronization
import SluiceSecurity

/// What the broker knows of one client connection beyond its bytes: the listener it came in on and who it
/// is. Shared by the connection handler (which sets the TLS principal when the handshake completes) and the
/// request path (SASL), hence the lock; requests of one connection rarely contend for it.
final class ConnectionSession: Sendable {
    let listener: BoundListener
    private let state: Mutex<State>

    private struct State {
        var sasl: SaslSession
        var principal: KafkaPrincipal
    }

    init(listener: BoundListener) {
        self.listener = listener
        self.state = Mutex(State(
            sasl: SaslSession(requiresAuthentication: listener.securityProtocol.requiresSASL), principal: .anonymous
        ))
    }

    var principal: KafkaPrincipal { self.state.withLock { $0.principal } }
    var isAuthenticated: Bool { self.state.withLock { $0.sasl.isAuthenticated } }
    var expectsRawSaslToken: Bool { self.state.withLock { $0.sasl.expectsRawToken } }

    func mayServe(_ api: SaslGatedApi) -> Bool {
        self.state.withLock { $0.sasl.mayServe(apiKey: api) }
    }

    /// The subject of a verified client certificate: the principal on an SSL listener. On SASL_SSL the SASL
    /// user wins, as in Kafka.
    func setCertificatePrincipal(_ principal: KafkaPrincipal) {
        self.state.withLock { state in
            if !state.sasl.requiresAuthentication { state.principal = principal }
        }
    }

    func handshake(mechanism: String, version: Int16, enabledMechanisms: [String]) -> SaslSession.HandshakeOutcome {
        self.state.withLock { $0.sasl.handshake(mechanism: mechanism, version: version, enabledMechanisms: enabledMechanisms) }
    }

    func receiveSaslToken(_ token: [UInt8], credentials: ScramCredentialStore) -> SaslSession.TokenOutcome {
        self.state.withLock { state in
            let outcome = state.sasl.receive(token, credentials: credentials)
            if case .succeeded(let principal, _) = outcome { state.principal = principal }
            return outcome
        }
    }
}
