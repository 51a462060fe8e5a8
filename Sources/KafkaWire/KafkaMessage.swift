import NIOCore

/// A Kafka request or response body. Both directions are implemented for every message because the
/// broker decodes requests and encodes responses while Sluice's client does the opposite.
/// `encode` assumes a version in the supported range (a caller bug otherwise); `init(from:version:)`
/// treats its input as hostile and throws `KafkaWireError`.
public protocol KafkaMessage: Equatable, Sendable {
    static var apiKey: ApiKey { get }
    init(from buffer: inout ByteBuffer, version: Int16) throws
    func encode(into buffer: inout ByteBuffer, version: Int16)
}

public protocol KafkaRequestMessage: KafkaMessage {
    associatedtype Response: KafkaResponseMessage
}

public protocol KafkaResponseMessage: KafkaMessage {}

extension KafkaMessage {
    /// Decodes a whole body and refuses bytes left over, which would mean a version mismatch.
    public static func decodeWhole(from buffer: inout ByteBuffer, version: Int16) throws -> Self {
        let message = try Self(from: &buffer, version: version)
        guard buffer.readableBytes == 0 else {
            throw KafkaWireError(
                code: .trailingBytes,
                message: "\(Self.self) v\(version): \(buffer.readableBytes) bytes left after the body"
            )
        }
        return message
    }
}
