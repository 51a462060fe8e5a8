/// Every bound Sluice puts on what it reads from the network or from disk, in one place, with the
/// relations between them checked once at start-up (`Limits.assertRelations()`), as TigerBeetle does.
/// A size read from outside is compared with one of these before anything is allocated for it.
public enum Limits {
    /// The largest Kafka request frame accepted (Kafka's `socket.request.max.bytes` default).
    public static let requestFrameSizeBytesMax = 100 * 1024 * 1024
    /// The largest response frame the client accepts.
    public static let responseFrameSizeBytesMax = 256 * 1024 * 1024
    /// The largest record batch accepted in a produce request (Kafka's `message.max.bytes` is 1 MiB
    /// by default; Sluice accepts up to this, configurable lower per broker).
    public static let batchSizeBytesMax = 16 * 1024 * 1024
    /// The most records one batch may claim.
    public static let batchRecordCountMax = 1_000_000
    /// A topic name's longest length (Kafka's own limit).
    public static let topicNameLengthMax = 249
    /// The most partitions a topic may have.
    public static let partitionsPerTopicMax = 10_000
    /// The most elements any array in a request may claim.
    public static let wireArrayCountMax = 100_000
    /// The longest string (in bytes) in a request.
    public static let wireStringLengthMax = 32_767
    /// The most tagged fields one structure may claim.
    public static let taggedFieldCountMax = 1_000
    /// The largest segment file.
    public static let segmentSizeBytesMax: Int64 = 2 * 1024 * 1024 * 1024 - 1
    /// The most index entries one segment may hold (one per ~4 KiB of a segment of at most 2 GiB).
    public static let indexEntriesPerSegmentMax = 1 << 20

    /// Checks that the limits agree with one another; called once when the broker starts.
    public static func assertRelations() {
        precondition(batchSizeBytesMax < requestFrameSizeBytesMax, "a batch must fit in a request")
        precondition(Int64(batchSizeBytesMax) < segmentSizeBytesMax, "a batch must fit in a segment")
        precondition(requestFrameSizeBytesMax <= Int(Int32.max), "frames are sized by an int32")
        precondition(responseFrameSizeBytesMax <= Int(Int32.max), "frames are sized by an int32")
        precondition(topicNameLengthMax <= wireStringLengthMax, "a topic name is a wire string")
    }
}
