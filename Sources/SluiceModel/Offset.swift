/// A position in one partition's log: the offset of a record. Distinct from sizes and counts so the
/// compiler catches an offset passed where a byte position was meant.
public struct Offset: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: Int64

    public init(rawValue: Int64) {
        self.rawValue = rawValue
    }

    public init(_ value: Int64) {
        self.rawValue = value
    }

    public static let zero = Offset(0)

    public static func < (lhs: Offset, rhs: Offset) -> Bool {
        lhs.rawValue < rhs.rawValue
    }

    public static func + (lhs: Offset, count: Int64) -> Offset {
        Offset(lhs.rawValue + count)
    }

    public static func - (lhs: Offset, rhs: Offset) -> Int64 {
        lhs.rawValue - rhs.rawValue
    }

    public var description: String { String(self.rawValue) }
}

/// The number of a partition within its topic.
public struct PartitionID: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: Int32

    public init(rawValue: Int32) {
        self.rawValue = rawValue
    }

    public init(_ value: Int32) {
        self.rawValue = value
    }

    public static func < (lhs: PartitionID, rhs: PartitionID) -> Bool {
        lhs.rawValue < rhs.rawValue
    }

    public var description: String { String(self.rawValue) }
}

/// One partition of one topic; the unit of ordering and of storage.
public struct TopicPartition: Hashable, Sendable, CustomStringConvertible {
    public var topic: String
    public var partition: PartitionID

    public init(topic: String, partition: PartitionID) {
        self.topic = topic
        self.partition = partition
    }

    public var description: String { "\(self.topic)-\(self.partition)" }
}

/// Milliseconds since the Unix epoch, as Kafka record timestamps are.
public struct Timestamp: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: Int64

    public init(rawValue: Int64) {
        self.rawValue = rawValue
    }

    public init(millisecondsSinceEpoch: Int64) {
        self.rawValue = millisecondsSinceEpoch
    }

    public var millisecondsSinceEpoch: Int64 { self.rawValue }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        lhs.rawValue < rhs.rawValue
    }

    public var description: String { String(self.rawValue) }
}
