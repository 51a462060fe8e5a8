import Foundation
import RecordFormat

/// How `tail` and `compare` show a record's bytes, times and headers on one line. Text is quoted so a
/// value that happens to look like hex, `null` or contains spaces cannot be mistaken for anything else.
enum RecordText {
    /// Bytes shown before a text is cut short; a few screen lines, so one large value does not flood a tail.
    static let textBytesShownMax = 1_000
    /// Bytes shown in hex before a binary value is cut short (two characters each).
    static let hexBytesShownMax = 48

    /// How much of a value to show: `shortened` keeps lines readable, `full` shows every byte.
    enum Length {
        case shortened
        case full
    }

    /// `"text"` when `bytes` is UTF-8 without control characters other than tab and line breaks
    /// (escaped as `\t`, `\n`, `\r`), else `0x…` hex; past the bound, `…` and a `(N bytes)` note.
    /// A null is `null`.
    static func bytes(_ bytes: some Collection<UInt8>, length: Length = .shortened) -> String {
        if let text = self.printableText(bytes) {
            return self.quoted(text, totalBytes: bytes.count, length: length)
        }
        return self.hex(bytes, length: length)
    }

    static func optionalBytes(_ bytes: (some Collection<UInt8>)?, length: Length = .shortened) -> String {
        guard let bytes else { return "null" }
        return self.bytes(bytes, length: length)
    }

    /// A header key is a string on the wire; it is shown bare when that is unambiguous (no spaces,
    /// quotes, `=` or control characters), else quoted like a value.
    static func headerKey(_ key: some Collection<UInt8>) -> String {
        let isBare = !key.isEmpty && key.allSatisfy { byte in
            byte > 0x20 && byte != 0x7F && byte != UInt8(ascii: "=") && byte != UInt8(ascii: "\"")
        }
        if isBare, let text = String(validating: Array(key), as: UTF8.self) { return text }
        return self.bytes(key, length: .full)
    }

    /// ISO-8601 in UTC with milliseconds (`2026-11-25T10:00:00.123Z`); `-` for Kafka's "no timestamp" (-1).
    static func time(millisecondsSinceEpoch: Int64) -> String {
        guard millisecondsSinceEpoch >= 0 else { return "-" }
        let date = Date(timeIntervalSince1970: Double(millisecondsSinceEpoch) / 1000)
        return self.timeFormatter.string(from: date)
    }

    /// One `tail` line: `PARTITION:OFFSET TIME key=K value=V`, then `headers: k=v …` when there are any.
    static func line(partition: Int32, record: Record, length: Length) -> String {
        var line = "\(partition):\(record.offset) \(self.time(millisecondsSinceEpoch: record.timestampMs))"
        line += " key=\(self.optionalBytes(record.key, length: length))"
        line += " value=\(self.optionalBytes(record.value, length: length))"
        if !record.headers.isEmpty {
            let headers = record.headers.map { header in
                "\(self.headerKey(Array(header.key.utf8)))=\(self.optionalBytes(header.value, length: length))"
            }
            line += " headers: " + headers.joined(separator: " ")
        }
        return line
    }

    // MARK: Pieces

    // ISO8601DateFormatter is thread-safe; one instance avoids building a formatter per record.
    nonisolated(unsafe) private static let timeFormatter: ISO8601DateFormatter = {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter
    }()

    private static func printableText(_ bytes: some Collection<UInt8>) -> String? {
        guard let text = String(validating: Array(bytes), as: UTF8.self) else { return nil }
        let isPrintable = text.unicodeScalars.allSatisfy { scalar in
            switch scalar.value {
            case 0x09, 0x0A, 0x0D: return true
            case 0x00...0x1F, 0x7F...0x9F: return false
            default: return true
            }
        }
        return isPrintable ? text : nil
    }

    private static func quoted(_ text: String, totalBytes: Int, length: Length) -> String {
        var shown = Substring(text)
        var isCut = false
        if length == .shortened && totalBytes > self.textBytesShownMax {
            // Cut on a character boundary at or below the byte bound.
            var byteCount = 0
            let end = text.firstIndex { character in
                byteCount += character.utf8.count
                return byteCount > self.textBytesShownMax
            } ?? text.endIndex
            shown = text[..<end]
            isCut = true
        }
        var result = "\""
        for character in shown.unicodeScalars {
            switch character {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            default: result.unicodeScalars.append(character)
            }
        }
        result += isCut ? "…\" (\(totalBytes) bytes)" : "\""
        return result
    }

    private static func hex(_ bytes: some Collection<UInt8>, length: Length) -> String {
        let isCut = length == .shortened && bytes.count > self.hexBytesShownMax
        let hexText = "0x" + self.hexDigits(isCut ? bytes.prefix(self.hexBytesShownMax) : bytes[...])
        return isCut ? "\(hexText)… (\(bytes.count) bytes)" : hexText
    }

    /// Two lowercase hex digits per byte, nothing else.
    static func hexDigits(_ bytes: some Collection<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
