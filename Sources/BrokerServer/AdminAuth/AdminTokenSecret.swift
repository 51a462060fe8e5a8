import Crypto

/// The secret half of an admin token: how one is made, hashed and compared.
///
/// A token is `sluice_` followed by 32 random bytes in base64url without padding (43 characters, 256 bits from
/// the system's cryptographic generator, `getrandom` on Linux). Only `SHA-256(salt ‖ token)` is kept, with a
/// random 16-byte salt per token, so the token file tells a reader nothing it could present. A plain hash would
/// do for 256-bit random secrets (there is nothing to guess); the salt keeps two files from sharing hashes.
public enum AdminTokenSecret {
    public static let prefix = "sluice_"
    static let randomBytesCount = 32
    static let saltBytesCount = 16
    /// Longer presented tokens are refused without hashing them.
    static let presentedBytesMax = 256

    /// A new token; shown once by `sluice token create` and never stored.
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        return Self.prefix + Base64URL.encode(Self.randomBytes(Self.randomBytesCount, using: &generator))
    }

    static func makeSalt() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return Self.randomBytes(Self.saltBytesCount, using: &generator)
    }

    /// SHA-256 of the salt followed by the token's UTF-8 bytes.
    static func digest(of token: String, salt: [UInt8]) -> [UInt8] {
        var hash = SHA256()
        hash.update(data: salt)
        hash.update(data: Array(token.utf8))
        return Array(hash.finalize())
    }

    /// Compares two digests in time that depends on their length only, never on where they first differ, so
    /// timing a refused request tells nothing about how close a guess was.
    static func constantTimeEquals(_ left: [UInt8], _ right: [UInt8]) -> Bool {
        guard left.count == right.count else { return false }
        var difference: UInt8 = 0
        for index in left.indices { difference |= left[index] ^ right[index] }
        return difference == 0
    }

    private static func randomBytes(_ count: Int, using generator: inout SystemRandomNumberGenerator) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }
}

/// Base64 with the URL-safe alphabet and no padding (RFC 4648 §5): a token survives shells, URLs and headers.
enum Base64URL {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count * 4 + 2) / 3)
        var index = 0
        while index < bytes.count {
            let chunk = bytes[index..<min(index + 3, bytes.count)]
            var bits = UInt32(0)
            for (offset, byte) in chunk.enumerated() { bits |= UInt32(byte) << (16 - 8 * offset) }
            for position in 0...chunk.count { output.append(Self.alphabet[Int((bits >> (18 - 6 * position)) & 0x3f)]) }
            index += 3
        }
        return String(decoding: output, as: UTF8.self)
    }
}

/// Lowercase hexadecimal, for the digests and salts in the token file.
enum Hex {
    static func encode(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            output.append(digits[Int(byte >> 4)])
            output.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: output, as: UTF8.self)
    }

    static func decode(_ text: String) -> [UInt8]? {
        let characters = Array(text.utf8)
        guard characters.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(characters.count / 2)
        for index in stride(from: 0, to: characters.count, by: 2) {
            guard let high = Self.value(characters[index]), let low = Self.value(characters[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        return bytes
    }

    private static func value(_ character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return character - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return character - UInt8(ascii: "a") + 10
        default: return nil
        }
    }
}
