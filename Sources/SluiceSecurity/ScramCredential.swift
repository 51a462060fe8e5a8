/// What the broker keeps of a SCRAM password (RFC 5802 section 3): never the password, only the salt, the
/// iteration count and the two keys derived from the salted password. StoredKey verifies a client's proof;
/// ServerKey signs the server's final message, so the client knows the server held the credential too.
public struct ScramCredential: Equatable, Sendable, Codable {
    public var mechanism: ScramMechanism
    public var salt: [UInt8]
    public var iterations: Int
    public var storedKey: [UInt8]
    public var serverKey: [UInt8]

    public init(mechanism: ScramMechanism, salt: [UInt8], iterations: Int, storedKey: [UInt8], serverKey: [UInt8]) {
        self.mechanism = mechanism
        self.salt = salt
        self.iterations = iterations
        self.storedKey = storedKey
        self.serverKey = serverKey
    }

    /// Derives the keys from a salted password (what AlterUserScramCredentials carries: clients salt and
    /// iterate the password themselves, so it never crosses the wire).
    public init(mechanism: ScramMechanism, salt: [UInt8], iterations: Int, saltedPassword: [UInt8]) {
        let clientKey = mechanism.hmac(key: saltedPassword, Array("Client Key".utf8))
        self.init(
            mechanism: mechanism, salt: salt, iterations: iterations, storedKey: mechanism.hash(clientKey),
            serverKey: mechanism.hmac(key: saltedPassword, Array("Server Key".utf8))
        )
    }

    /// A credential for `password` with a fresh random salt.
    public static func make(password: String, mechanism: ScramMechanism, iterations: Int = ScramMechanism.iterationsMin) -> ScramCredential {
        let salt = SecurityBytes.random(count: 32)
        let salted = mechanism.saltedPassword(Array(password.utf8), salt: salt, iterations: iterations)
        return ScramCredential(mechanism: mechanism, salt: salt, iterations: iterations, saltedPassword: salted)
    }

    /// Whether `password` is the one this credential was made from (SASL/PLAIN logins are checked this way).
    public func matches(password: String) -> Bool {
        let salted = self.mechanism.saltedPassword(Array(password.utf8), salt: self.salt, iterations: self.iterations)
        let candidate = ScramCredential(mechanism: self.mechanism, salt: self.salt, iterations: self.iterations, saltedPassword: salted)
        return SecurityBytes.constantTimeEquals(candidate.storedKey, self.storedKey)
    }

    /// Why a credential from outside cannot be stored, or nil.
    public static func problem(iterations: Int, salt: [UInt8], saltedPassword: [UInt8], mechanism: ScramMechanism) -> String? {
        if iterations < ScramMechanism.iterationsMin || iterations > ScramMechanism.iterationsMax {
            return "iterations must be between \(ScramMechanism.iterationsMin) and \(ScramMechanism.iterationsMax)"
        }
        if salt.isEmpty || salt.count > 1024 { return "the salt must have 1 to 1024 bytes" }
        if saltedPassword.count != mechanism.keySizeBytes {
            return "a \(mechanism.name) salted password has \(mechanism.keySizeBytes) bytes"
        }
        return nil
    }
}
