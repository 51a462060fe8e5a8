import Foundation

/// The server side of one SCRAM authentication (RFC 5802 section 5), as a state machine: each client message
/// goes in, an action comes out. Two rounds:
///
/// 1. client-first `n,,n=<user>,r=<client nonce>` → server-first `r=<client nonce><server nonce>,s=<salt>,i=<n>`
/// 2. client-final `c=biws,r=<nonce>,p=<proof>` → server-final `v=<server signature>`, or a failure
///
/// Channel binding is not offered (the GS2 header must be `n` or `y`, as Kafka's clients send), an
/// authorization identity other than the user itself is refused, and an unknown user fails like a wrong
/// password: one message for both, so that users cannot be enumerated.
public struct ScramServerExchange: Sendable {
    public enum Action: Equatable, Sendable {
        case challenge([UInt8])
        case succeeded(user: String, finalMessage: [UInt8])
        case failed(reason: String)
    }

    /// The failure every wrong credential gets, whatever was wrong.
    public static let invalidCredentials = "Authentication failed during authentication due to invalid credentials with SASL mechanism"

    private enum State: Sendable {
        case awaitingClientFirst
        case awaitingClientFinal(user: String, credential: ScramCredential, clientNonce: String, nonce: String, authMessagePrefix: String, gs2Header: String)
        case done
    }

    public let mechanism: ScramMechanism
    private var state = State.awaitingClientFirst
    private let serverNonce: String

    /// `serverNonce` is for tests; by default 24 random bytes as letters and digits (base64 without '+', '/'
    /// and '=': librdkafka 2.0 mishandles a nonce holding '=').
    public init(mechanism: ScramMechanism, serverNonce: String? = nil) {
        self.mechanism = mechanism
        self.serverNonce = serverNonce ?? SecurityBytes.base64(SecurityBytes.random(count: 24))
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Takes the next client message; `credential` looks a user's credential up for this mechanism.
    public mutating func receive(_ message: [UInt8], credential: (String) -> ScramCredential?) -> Action {
        guard message.count <= 4096, let text = String(bytes: message, encoding: .utf8) else {
            self.state = .done
            return .failed(reason: "a SCRAM message must be UTF-8 text of at most 4096 bytes")
        }
        switch self.state {
        case .awaitingClientFirst:
            return self.receiveClientFirst(text, credential: credential)
        case .awaitingClientFinal(let user, let stored, let clientNonce, let nonce, let prefix, let gs2Header):
            self.state = .done
            return self.receiveClientFinal(
                text, user: user, credential: stored, clientNonce: clientNonce, nonce: nonce, authMessagePrefix: prefix,
                gs2Header: gs2Header
            )
        case .done:
            return .failed(reason: "the SCRAM exchange is already over")
        }
    }

    private mutating func receiveClientFirst(_ text: String, credential: (String) -> ScramCredential?) -> Action {
        self.state = .done
        // gs2-header = gs2-cbind-flag "," [ authzid ] ","
        let parts = text.split(separator: ",", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "n" || parts[0] == "y" else {
            return .failed(reason: "SCRAM client-first message: channel binding is not supported")
        }
        let bare = String(parts[2])
        let attributes = Self.attributes(bare)
        guard let encodedUser = attributes["n"], let user = Self.decodeName(encodedUser), !user.isEmpty,
              let clientNonce = attributes["r"], !clientNonce.isEmpty, !clientNonce.contains(",") else {
            return .failed(reason: "SCRAM client-first message without a user name or nonce")
        }
        if !parts[1].isEmpty {
            guard parts[1].hasPrefix("a="), Self.decodeName(String(parts[1].dropFirst(2))) == user else {
                return .failed(reason: "the authorization identity must be the user itself")
            }
        }
        guard let stored = credential(user), stored.mechanism == self.mechanism else {
            return .failed(reason: Self.invalidCredentials + " " + self.mechanism.name)
        }
        let nonce = clientNonce + self.serverNonce
        let serverFirst = "r=\(nonce),s=\(SecurityBytes.base64(stored.salt)),i=\(stored.iterations)"
        self.state = .awaitingClientFinal(
            user: user, credential: stored, clientNonce: clientNonce, nonce: nonce, authMessagePrefix: bare + "," + serverFirst,
            gs2Header: String(parts[0]) + "," + String(parts[1]) + ","
        )
        return .challenge(Array(serverFirst.utf8))
    }

    private func receiveClientFinal(
        _ text: String, user: String, credential: ScramCredential, clientNonce: String, nonce: String, authMessagePrefix: String,
        gs2Header: String
    ) -> Action {
        guard let proofRange = text.range(of: ",p=") else { return .failed(reason: "SCRAM client-final message without a proof") }
        let withoutProof = String(text[..<proofRange.lowerBound])
        let attributes = Self.attributes(withoutProof)
        guard attributes["c"] == SecurityBytes.base64(Array(gs2Header.utf8)) else {
            return .failed(reason: "SCRAM client-final message: channel binding does not match the first message")
        }
        // librdkafka 2.0 (Debian's kcat) sends its client nonce once more in front of the combined nonce; that
        // exact form is accepted too: the server nonce is still in it and the proof covers the message as sent.
        guard attributes["r"] == nonce || attributes["r"] == clientNonce + nonce else {
            return .failed(reason: "SCRAM client-final message: wrong nonce")
        }
        guard let proof = SecurityBytes.fromBase64(text[proofRange.upperBound...]), proof.count == self.mechanism.keySizeBytes else {
            return .failed(reason: Self.invalidCredentials + " " + self.mechanism.name)
        }
        let authMessage = Array((authMessagePrefix + "," + withoutProof).utf8)
        let clientSignature = self.mechanism.hmac(key: credential.storedKey, authMessage)
        let clientKey = SecurityBytes.xor(proof, clientSignature)
        guard SecurityBytes.constantTimeEquals(self.mechanism.hash(clientKey), credential.storedKey) else {
            return .failed(reason: Self.invalidCredentials + " " + self.mechanism.name)
        }
        let serverSignature = self.mechanism.hmac(key: credential.serverKey, authMessage)
        return .succeeded(user: user, finalMessage: Array("v=\(SecurityBytes.base64(serverSignature))".utf8))
    }

    /// `k=v,k=v` pairs; a key repeated keeps its first value.
    static func attributes(_ text: String) -> [String: String] {
        var attributes: [String: String] = [:]
        for item in text.split(separator: ",") {
            guard let equals = item.firstIndex(of: "="), item.distance(from: item.startIndex, to: equals) == 1 else { continue }
            let key = String(item[..<equals])
            if attributes[key] == nil { attributes[key] = String(item[item.index(after: equals)...]) }
        }
        return attributes
    }

    /// A saslname: `=2C` is a comma and `=3D` an equals sign; any other `=` is malformed.
    static func decodeName(_ text: String) -> String? {
        var result = ""
        var index = text.startIndex
        while index < text.endIndex {
            if text[index] == "=" {
                let end = text.index(index, offsetBy: 3, limitedBy: text.endIndex) ?? text.endIndex
                switch text[index..<end] {
                case "=2C": result.append(",")
                case "=3D": result.append("=")
                default: return nil
                }
                index = end
            } else {
                result.append(text[index])
                index = text.index(after: index)
            }
        }
        return result
    }
}
