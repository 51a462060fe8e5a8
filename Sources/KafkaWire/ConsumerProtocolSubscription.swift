import NIOCore

/// The topics a consumer subscribes to, from the metadata it joins a "consumer" group with (OffsetDelete needs
/// them). Byte format (classic, non-flexible, versions 0–3):
///
/// ```
/// version            int16
/// topics             array of string
/// user data          nullable bytes
/// (v1+: owned partitions, v2+: generation id, v3+: rack id; not read here)
/// ```
public enum ConsumerProtocolSubscription {
    /// The subscribed topics; throws `KafkaWireError` for bytes that are not a subscription.
    public static func topics(from bytes: [UInt8]) throws -> Set<String> {
        var buffer = ByteBuffer(bytes: bytes)
        _ = try buffer.readWireInt16("ConsumerProtocolSubscription.version")
        let topics = try buffer.readWireArray("ConsumerProtocolSubscription.topics", compact: false) {
            try $0.readWireString("ConsumerProtocolSubscription.topics", compact: false)
        }
        return Set(topics)
    }
}
