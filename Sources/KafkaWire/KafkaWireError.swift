/// Why bytes could not be read as (or written to) the Kafka protocol. A struct with an opaque `Code`,
/// so adding a code later does not break callers that switch over the ones they know.
public struct KafkaWireError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { self.name }

        /// Fewer readable bytes than a field needs.
        public static let truncated = Code("truncated")
        /// A string or byte length that is negative (and not the null marker) or above its limit.
        public static let lengthOutOfRange = Code("lengthOutOfRange")
        /// An array count that is negative (and not the null marker) or above its limit.
        public static let countOutOfRange = Code("countOutOfRange")
        /// A frame size prefix that is negative or above the configured maximum.
        public static let frameTooLarge = Code("frameTooLarge")
        /// An unsigned varint longer than 5 bytes.
        public static let invalidVarint = Code("invalidVarint")
        /// Tagged fields out of order, too many, or a known tag with a malformed value.
        public static let invalidTaggedFields = Code("invalidTaggedFields")
        /// A null where the protocol does not allow one.
        public static let unexpectedNull = Code("unexpectedNull")
        /// An API version outside the range Sluice implements.
        public static let unsupportedVersion = Code("unsupportedVersion")
        /// Bytes left over after a message body was fully read.
        public static let trailingBytes = Code("trailingBytes")
    }

    public let code: Code
    /// What was wrong, naming the field and the offending value.
    public let message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "KafkaWireError.\(self.code): \(self.message)" }

    static func truncated(_ field: String, neededBytes: Int, readableBytes: Int) -> KafkaWireError {
        KafkaWireError(
            code: .truncated,
            message: "\(field): needs \(neededBytes) bytes, only \(readableBytes) readable"
        )
    }

    static func lengthOutOfRange(_ field: String, length: Int, maximum: Int) -> KafkaWireError {
        KafkaWireError(code: .lengthOutOfRange, message: "\(field): length \(length) outside 0...\(maximum)")
    }

    static func countOutOfRange(_ field: String, count: Int, maximum: Int) -> KafkaWireError {
        KafkaWireError(code: .countOutOfRange, message: "\(field): count \(count) outside 0...\(maximum)")
    }

    static func unexpectedNull(_ field: String) -> KafkaWireError {
        KafkaWireError(code: .unexpectedNull, message: "\(field): null is not allowed here")
    }

    public static func frameTooLarge(sizeBytes: Int, maximumBytes: Int) -> KafkaWireError {
        KafkaWireError(code: .frameTooLarge, message: "frame size \(sizeBytes) outside 0...\(maximumBytes) bytes")
    }

    public static func unsupportedVersion(apiKey: Int16, apiVersion: Int16) -> KafkaWireError {
        KafkaWireError(
            code: .unsupportedVersion,
            message: "api key \(apiKey) version \(apiVersion) is not supported"
        )
    }
}
