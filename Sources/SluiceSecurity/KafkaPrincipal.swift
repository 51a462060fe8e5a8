/// Who a connection is, as Kafka names it: `User:alice` after SASL, `User:CN=client,O=Example` after TLS
/// with a client certificate (the subject's distinguished name), `User:ANONYMOUS` otherwise. ACLs and super
/// users are written with these names.
public struct KafkaPrincipal: Hashable, Sendable, CustomStringConvertible {
    public var type: String
    public var name: String

    public static let anonymous = KafkaPrincipal(type: "User", name: "ANONYMOUS")

    public init(type: String = "User", name: String) {
        self.type = type
        self.name = name
    }

    /// Parses `Type:name` (the name may contain colons, as distinguished names do not but user names may).
    public init?(parsing text: String) {
        guard let colon = text.firstIndex(of: ":"), colon != text.startIndex, text.index(after: colon) != text.endIndex else {
            return nil
        }
        self.init(type: String(text[..<colon]), name: String(text[text.index(after: colon)...]))
    }

    public var description: String { "\(self.type):\(self.name)" }
}
