import NIOCore

/// The bytes consumers put in a group's member assignment (the "consumer" protocol type): which
/// partitions of which topics a member owns. The coordinator only relays these bytes; tools such as
/// `sluice group describe` read them to show who owns what. Byte format (classic, non-flexible):
///
/// ```
/// version           int16   0–3
/// assigned topics   array of { topic string, partitions array of int32 }
/// user data         nullable bytes
/// (v1+ of the subscription adds fields the assignment does not have)
/// ```
public struct ConsumerProtocolAssignment: Equatable, Sendable {
    public var version: Int16
    public var partitionsByTopic: [(topic: String, partitions: [Int32])]
    public var userData: ByteBuffer?

    public init(version: Int16 = 0, partitionsByTopic: [(topic: String, partitions: [Int32])], userData: ByteBuffer? = nil) {
        self.version = version
        self.partitionsByTopic = partitionsByTopic
        self.userData = userData
    }

    /// Decodes an assignment; an empty buffer (a member with nothing assigned yet) is an empty assignment.
    public init(from buffer: ByteBuffer) throws {
        var buffer = buffer
        guard buffer.readableBytes > 0 else {
            self.init(partitionsByTopic: [])
            return
        }
        let version = try buffer.readWireInt16("ConsumerProtocolAssignment.version")
        let topics = try buffer.readWireArray("ConsumerProtocolAssignment.topics", compact: false) { element in
            (
                topic: try element.readWireString("ConsumerProtocolAssignment.topic", compact: false),
                partitions: try element.readWireArray("ConsumerProtocolAssignment.partitions", compact: false) {
                    try $0.readWireInt32("ConsumerProtocolAssignment.partition")
                }
            )
        }
        // The user data is optional in practice: some clients end the assignment after the topics.
        let userData = buffer.readableBytes >= 4
            ? try buffer.readWireNullableBytes("ConsumerProtocolAssignment.userData", compact: false) : nil
        self.init(version: version, partitionsByTopic: topics, userData: userData)
    }

    public func encode(into buffer: inout ByteBuffer) {
        buffer.writeInteger(self.version)
        buffer.writeWireArray(self.partitionsByTopic, compact: false) { buffer, entry in
            buffer.writeWireString(entry.topic, compact: false)
            buffer.writeWireArray(entry.partitions, compact: false) { $0.writeInteger($1) }
        }
        buffer.writeWireNullableBytes(self.userData, compact: false)
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.version == rhs.version && lhs.userData == rhs.userData
            && lhs.partitionsByTopic.map(\.topic) == rhs.partitionsByTopic.map(\.topic)
            && lhs.partitionsByTopic.map(\.partitions) == rhs.partitionsByTopic.map(\.partitions)
    }
}
