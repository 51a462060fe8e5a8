/// A reader for the small subset of TOML that `Config/sluice.toml` uses: `[section]` headers and
/// `key = value` lines whose value is a double-quoted string, an integer, or `true`/`false`, with `#`
/// comments. Keys are returned as `section.key`. Anything else is a clear error naming the line,
/// so a typo in a config file stops the broker instead of being silently ignored.
public struct ConfigFile: Equatable, Sendable {
    public enum Value: Equatable, Sendable, CustomStringConvertible {
        case string(String)
        case integer(Int64)
        case boolean(Bool)

        public var description: String {
            switch self {
            case .string(let text): return "\"\(text)\""
            case .integer(let number): return String(number)
            case .boolean(let flag): return String(flag)
            }
        }
    }

    public struct ParseError: Error, Equatable, CustomStringConvertible {
        public var lineNumber: Int
        public var message: String

        public var description: String { "config line \(self.lineNumber): \(self.message)" }
    }

    /// Values by `section.key`.
    public private(set) var values: [String: Value] = [:]

    public init(values: [String: Value] = [:]) {
        self.values = values
    }

    public init(parsing text: String) throws {
        var section = ""
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let lineNumber = index + 1
            let line = Self.strippingComment(String(rawLine)).trimmingWhitespace()
            if line.isEmpty { continue }
            if line.hasPrefix("[") {
                guard line.hasSuffix("]"), line.count > 2 else {
                    throw ParseError(lineNumber: lineNumber, message: "malformed section header '\(line)'")
                }
                section = String(line.dropFirst().dropLast()).trimmingWhitespace()
                continue
            }
            guard let equals = line.firstIndex(of: "=") else {
                throw ParseError(lineNumber: lineNumber, message: "expected 'key = value', found '\(line)'")
            }
            let key = String(line[..<equals]).trimmingWhitespace()
            let rawValue = String(line[line.index(after: equals)...]).trimmingWhitespace()
            guard !key.isEmpty, key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) else {
                throw ParseError(lineNumber: lineNumber, message: "invalid key '\(key)'")
            }
            let fullKey = section.isEmpty ? key : "\(section).\(key)"
            guard self.values[fullKey] == nil else {
                throw ParseError(lineNumber: lineNumber, message: "'\(fullKey)' is set twice")
            }
            self.values[fullKey] = try Self.parseValue(rawValue, lineNumber: lineNumber)
        }
    }

    private static func parseValue(_ text: String, lineNumber: Int) throws -> Value {
        if text.hasPrefix("\"") {
            guard text.count >= 2, text.hasSuffix("\"") else {
                throw ParseError(lineNumber: lineNumber, message: "unterminated string \(text)")
            }
            let inner = String(text.dropFirst().dropLast())
            guard !inner.contains("\"") else {
                throw ParseError(lineNumber: lineNumber, message: "quotes inside strings are not supported")
            }
            return .string(inner)
        }
        if text == "true" { return .boolean(true) }
        if text == "false" { return .boolean(false) }
        if let number = Int64(text.filter { $0 != "_" }) { return .integer(number) }
        throw ParseError(lineNumber: lineNumber, message: "value '\(text)' is not a string, integer or boolean")
    }

    /// Drops a `#` comment that is not inside a string.
    private static func strippingComment(_ line: String) -> String {
        var insideString = false
        for (offset, character) in line.enumerated() {
            if character == "\"" { insideString.toggle() }
            if character == "#" && !insideString { return String(line.prefix(offset)) }
        }
        return line
    }
}

extension String {
    func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
        guard let first = self.firstIndex(where: { !isSpace($0) }) else { return "" }
        let last = self.lastIndex(where: { !isSpace($0) })!
        return String(self[first...last])
    }

}
