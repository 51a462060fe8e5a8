import RecordFormat

/// The envelope every small state file is written in (the recovery checkpoint, `topic.conf`, `producer-id-block`,
/// the operator runtime's `operator.json` and `timers*.json`): one header line carrying a CRC-32C of the rest,
/// then the file's own format, unchanged. A file that fails its checksum is never trusted; each reader decides
/// what "absent" means for it and reports the damage as an error.
///
/// ```
/// offset size field
///      0    8 magic      "#sluice:" (ASCII)
///      8    1 version    "1" (ASCII digit): the envelope's format version
///      9    1 separator  " "
///     10    8 crc        CRC-32C of the payload (every byte from offset 19), 8 lowercase hex digits
///     18    1 newline    "\n"
///     19    n payload    the file's own format (text or JSON)
/// ```
///
/// A text header keeps the files readable with `cat`; `#` makes it a comment line for `topic.conf`. Files written
/// before the envelope existed (version 0) do not start with the magic: they are read as bare payloads, without
/// a checksum, and rewritten in the envelope the next time they change. A file that starts with the magic but has
/// another version, a malformed header or a wrong checksum is damaged.
public enum ChecksummedFile {
    public static let magic: [UInt8] = Array("#sluice:".utf8)
    public static let magicOffset = 0
    public static let versionOffset = 8
    public static let separatorOffset = 9
    public static let checksumOffset = 10
    public static let checksumDigitCount = 8
    public static let newlineOffset = 18
    public static let headerSizeBytes = 19
    public static let currentVersion = UInt8(ascii: "1")

    /// What a file held.
    public struct Contents: Equatable, Sendable {
        /// The bytes after the header (or the whole file, for a file without one).
        public var payload: [UInt8]
        /// True for a file written before the envelope existed: nothing vouches for its bytes.
        public var isLegacy: Bool
    }

    /// `payload` inside the envelope, ready to be written atomically.
    public static func wrap(_ payload: [UInt8]) -> [UInt8] {
        var bytes = Self.magic
        bytes.append(Self.currentVersion)
        bytes.append(UInt8(ascii: " "))
        bytes += Self.hexDigits(CRC32C.checksum(payload))
        bytes.append(UInt8(ascii: "\n"))
        precondition(bytes.count == Self.headerSizeBytes, "header layout matches the constants")
        return bytes + payload
    }

    /// The payload of `bytes`, read from `path` (for the error). Throws `corruptFile` when the header is
    /// malformed, of an unknown version, or its checksum does not match the payload.
    public static func unwrap(_ bytes: [UInt8], path: String) throws(StorageError) -> Contents {
        guard bytes.starts(with: Self.magic) else { return Contents(payload: bytes, isLegacy: true) }
        func damaged(_ why: String) -> StorageError {
            StorageError(code: .corruptFile, message: "state file is damaged: \(why)", path: path)
        }
        guard bytes.count >= Self.headerSizeBytes else { throw damaged("header cut short") }
        guard bytes[Self.versionOffset] == Self.currentVersion else {
            throw damaged("unknown envelope version \(Character(UnicodeScalar(bytes[Self.versionOffset])))")
        }
        guard bytes[Self.separatorOffset] == UInt8(ascii: " "), bytes[Self.newlineOffset] == UInt8(ascii: "\n"),
              let stored = Self.parseHex(bytes[Self.checksumOffset..<(Self.checksumOffset + Self.checksumDigitCount)])
        else { throw damaged("malformed header") }
        let payload = Array(bytes[Self.headerSizeBytes...])
        let computed = CRC32C.checksum(payload)
        guard computed == stored else {
            throw damaged("CRC-32C \(String(computed, radix: 16)) where the header says \(String(stored, radix: 16))")
        }
        return Contents(payload: payload, isLegacy: false)
    }

    private static func hexDigits(_ value: UInt32) -> [UInt8] {
        let digits = Array(String(value, radix: 16).utf8)
        return [UInt8](repeating: UInt8(ascii: "0"), count: Self.checksumDigitCount - digits.count) + digits
    }

    private static func parseHex(_ digits: ArraySlice<UInt8>) -> UInt32? {
        // UInt32(_:radix:) would also take a sign or uppercase digits; the writer only ever emits lowercase.
        guard digits.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else { return nil }
        return UInt32(String(decoding: digits, as: UTF8.self), radix: 16)
    }
}
