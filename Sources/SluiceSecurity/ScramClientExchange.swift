import Foundation

/// The client side of one SCRAM authentication (RFC 5802 section 3), the mirror of `ScramServerExchange`:
///
/// 1. `clientFirst` → `n,,n=<user>,r=<client nonce>`
/// 2. server-first `r=<nonce>,s=<salt>,i=<n>` → `respond(toServerFirst:)` → client-final `c=biws,r=<nonce>,p=<proof>`
/// 3. server-final `v=<server signature>` → `verify(serverFinal:)`: the server proved it knows the credential too
///
/// What comes from the server is bounded before it costs anything: the nonce must extend the client's, the
/// iteration count must lie in Kafka's range (a server cannot make the client spin), the salt must be base64.
public struct ScramClientExchange: Sendable {
    public enum Failure: Error, Equatable, CustomStringConvertible {
        case malformedServerMessage(String)
        case serverRefused(String)
        case serverNotVerified

        public var description: String {
            switch self {
            case .malformedServerMessage(let why): return "malformed SCRAM server message: \(why)"
            case .serverRefused(let why): return "the server refused the SCRAM login: \(why)"
            case .serverNotVerified: return "the server's SCRAM signature is wrong: it does not know this user's credential"
            }
        }
    }

    public let mechanism: ScramMechanism
    private let user: String
    private let password: String
    private let clientNonce: String
    /// Set by `respond(toServerFirst:)`: what the server's final signature is checked against.
    private var expectedServerSignature: [UInt8]?

    /// `clientNonce` is for tests; by default 24 random bytes in base64 without '=' or ','.
    public init(mechanism: ScramMechanism, user: String, password: String, clientNonce: String? = nil) {
        self.mechanism = mechanism
        self.user = user
        self.password = password
        self.clientNonce = clientNonce ?? SecurityBytes.base64(SecurityBytes.random(count: 24))
            .replacingOccurrences(of: "=", with: "")
    }

    private var clientFirstBare: String { "n=\(Self.encodeName(self.user)),r=\(self.clientNonce)" }

    /// The first message: no channel binding, no authorization identity.
    public var clientFirst: [UInt8] { Array(("n,," + self.clientFirstBare).utf8) }

    /// The client-final message answering the server-first message.
    public mutating func respond(toServerFirst message: [UInt8]) throws(Failure) -> [UInt8] {
        guard message.count <= 4096, let text = String(bytes: message, encoding: .utf8) else {
            throw .malformedServerMessage("not UTF-8 text of at most 4096 bytes")
        }
        let attributes = ScramServerExchange.attributes(text)
        if let error = attributes["e"] { throw .serverRefused(error) }
        guard let nonce = attributes["r"], nonce.hasPrefix(self.clientNonce), nonce.count > self.clientNonce.count else {
            throw .malformedServerMessage("the nonce does not extend the client's")
        }
        guard let saltText = attributes["s"], let salt = SecurityBytes.fromBase64(Substring(saltText)), !salt.isEmpty else {
            throw .malformedServerMessage("no salt")
        }
        guard let iterations = attributes["i"].flatMap({ Int($0) }),
              (ScramMechanism.iterationsMin...ScramMechanism.iterationsMax).contains(iterations) else {
            throw .malformedServerMessage(
                "iterations must be between \(ScramMechanism.iterationsMin) and \(ScramMechanism.iterationsMax)")
        }
        let salted = self.mechanism.saltedPassword(Array(self.password.utf8), salt: salt, iterations: iterations)
        let clientKey = self.mechanism.hmac(key: salted, Array("Client Key".utf8))
        let storedKey = self.mechanism.hash(clientKey)
        let withoutProof = "c=\(SecurityBytes.base64(Array("n,,".utf8))),r=\(nonce)"
        let authMessage = Array((self.clientFirstBare + "," + text + "," + withoutProof).utf8)
        let proof = SecurityBytes.xor(clientKey, self.mechanism.hmac(key: storedKey, authMessage))
        let serverKey = self.mechanism.hmac(key: salted, Array("Server Key".utf8))
        self.expectedServerSignature = self.mechanism.hmac(key: serverKey, authMessage)
        return Array((withoutProof + ",p=" + SecurityBytes.base64(proof)).utf8)
    }

    /// Checks the server-final message: the server's signature proves it holds this user's credential.
    public func verify(serverFinal message: [UInt8]) throws(Failure) {
        guard message.count <= 4096, let text = String(bytes: message, encoding: .utf8) else {
            throw .malformedServerMessage("not UTF-8 text of at most 4096 bytes")
        }
        let attributes = ScramServerExchange.attributes(text)
        if let error = attributes["e"] { throw .serverRefused(error) }
        guard let expected = self.expectedServerSignature, let signatureText = attributes["v"],
              let signature = SecurityBytes.fromBase64(Substring(signatureText)),
              SecurityBytes.constantTimeEquals(signature, expected)
        else { throw .serverNotVerified }
    }

    /// A saslname: `,` and `=` escaped as `=2C` and `=3D`.
    static func encodeName(_ name: String) -> String {
        name.replacingOccurrences(of: "=", with: "=3D").replacingOccurrences(of: ",", with: "=2C")
    }
}
