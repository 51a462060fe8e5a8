/// Makes member ids as Kafka does: the client id, a dash, and a random UUID. Tests inject a counter so the
/// ids they expect are known in advance.
public struct MemberIdGenerator: Sendable {
    private let makeSuffix: @Sendable () -> String
    /// Keeps a member id bounded whatever client id a client sends.
    private let clientIdPrefixLengthMax: Int

    public init(clientIdPrefixLengthMax: Int = 255, makeSuffix: @escaping @Sendable () -> String) {
        precondition(clientIdPrefixLengthMax >= 0, "a prefix length cannot be negative")
        self.clientIdPrefixLengthMax = clientIdPrefixLengthMax
        self.makeSuffix = makeSuffix
    }

    /// Random version-4 UUIDs.
    public static let random = MemberIdGenerator(makeSuffix: MemberIdGenerator.randomUUIDString)

    public func memberId(clientId: String) -> String {
        let prefix = String(decoding: clientId.utf8.prefix(self.clientIdPrefixLengthMax), as: UTF8.self)
        return prefix + "-" + self.makeSuffix()
    }

    /// A version-4 UUID in its usual 8-4-4-4-12 hexadecimal form.
    @Sendable public static func randomUUIDString() -> String {
        var generator = SystemRandomNumberGenerator()
        var bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
        bytes[6] = (bytes[6] & 0x0f) | 0x40
        bytes[8] = (bytes[8] & 0x3f) | 0x80
        let hex = bytes.map { byte in
            let digits = String(byte, radix: 16)
            return digits.count == 1 ? "0" + digits : digits
        }
        let groups = [hex[0..<4], hex[4..<6], hex[6..<8], hex[8..<10], hex[10..<16]]
        return groups.map { $0.joined() }.joined(separator: "-")
    }
}
