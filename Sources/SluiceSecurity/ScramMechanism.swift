import Crypto
import Foundation

/// The two SCRAM mechanisms Kafka defines (RFC 5802 with the hashes of RFC 7677 and SHA-512), with the
/// primitives of the exchange: H, HMAC and Hi (PBKDF2 with HMAC as the pseudo-random function).
///
/// Kafka numbers them in DescribeUserScramCredentials and AlterUserScramCredentials: 1 is SCRAM-SHA-256,
/// 2 is SCRAM-SHA-512 (0 is UNKNOWN). Iterations are bounded as Kafka bounds them: at least 4096 (RFC 7677's
/// minimum), at most 16384, so a credential can neither be cheap to attack nor make each login a DoS.
public enum ScramMechanism: Int8, CaseIterable, Sendable, Codable {
    case sha256 = 1
    case sha512 = 2

    public static let iterationsMin = 4096
    public static let iterationsMax = 16384

    /// The SASL mechanism name: "SCRAM-SHA-256" or "SCRAM-SHA-512".
    public var name: String {
        switch self {
        case .sha256: return "SCRAM-SHA-256"
        case .sha512: return "SCRAM-SHA-512"
        }
    }

    public init?(name: String) {
        guard let mechanism = Self.allCases.first(where: { $0.name == name.uppercased() }) else { return nil }
        self = mechanism
    }

    /// The digest size, which is also the size of every key of the exchange.
    public var keySizeBytes: Int {
        switch self {
        case .sha256: return SHA256.byteCount
        case .sha512: return SHA512.byteCount
        }
    }

    public func hash(_ data: [UInt8]) -> [UInt8] {
        switch self {
        case .sha256: return Array(SHA256.hash(data: data))
        case .sha512: return Array(SHA512.hash(data: data))
        }
    }

    public func hmac(key: [UInt8], _ data: [UInt8]) -> [UInt8] {
        let symmetricKey = SymmetricKey(data: key)
        switch self {
        case .sha256: return Array(HMAC<SHA256>.authenticationCode(for: data, using: symmetricKey))
        case .sha512: return Array(HMAC<SHA512>.authenticationCode(for: data, using: symmetricKey))
        }
    }

    /// Hi(password, salt, i) of RFC 5802: PBKDF2 with one block of output.
    public func saltedPassword(_ password: [UInt8], salt: [UInt8], iterations: Int) -> [UInt8] {
        precondition(iterations >= 1, "at least one iteration")
        var previous = self.hmac(key: password, salt + [0, 0, 0, 1])
        var result = previous
        for _ in 1..<iterations {
            previous = self.hmac(key: password, previous)
            for index in result.indices { result[index] ^= previous[index] }
        }
        return result
    }
}

/// Byte helpers shared by the exchanges.
enum SecurityBytes {
    /// Compares in time that depends on the lengths only, so a mismatch position leaks nothing.
    static func constantTimeEquals(_ left: [UInt8], _ right: [UInt8]) -> Bool {
        guard left.count == right.count else { return false }
        var difference: UInt8 = 0
        for index in left.indices { difference |= left[index] ^ right[index] }
        return difference == 0
    }

    static func xor(_ left: [UInt8], _ right: [UInt8]) -> [UInt8] {
        zip(left, right).map { $0 ^ $1 }
    }

    static func random(count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    static func base64(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
    }

    static func fromBase64(_ text: Substring) -> [UInt8]? {
        Data(base64Encoded: String(text)).map { Array($0) }
    }
}
