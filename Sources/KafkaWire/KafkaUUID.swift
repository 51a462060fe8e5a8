/// Kafka's 128-bit `uuid` wire type (topic ids), kept as two big-endian halves. Kafka uses the all-zero
/// value to mean "no id", so that is the default rather than an optional.
public struct KafkaUUID: Hashable, Sendable, CustomStringConvertible {
    public var mostSignificantBits: UInt64
    public var leastSignificantBits: UInt64

    public static let zero = KafkaUUID(mostSignificantBits: 0, leastSignificantBits: 0)

    public init(mostSignificantBits: UInt64, leastSignificantBits: UInt64) {
        self.mostSignificantBits = mostSignificantBits
        self.leastSignificantBits = leastSignificantBits
    }

    public var description: String {
        let high = String(self.mostSignificantBits, radix: 16)
        let low = String(self.leastSignificantBits, radix: 16)
        return String(repeating: "0", count: 16 - high.count) + high + String(repeating: "0", count: 16 - low.count) + low
    }
}
