import SluiceModel

/// Where a transactional id's current transaction stands (Kafka's `TransactionState`, without `Dead`: ids are
/// kept until the broker's state log is compacted, which does not exist yet).
public enum TransactionState: UInt8, Sendable, CustomStringConvertible {
    /// An id with a producer and no open transaction.
    case empty = 0
    /// Partitions or groups have been added; no decision yet.
    case ongoing = 1
    /// The decision is durable: every partition gets a commit marker, even across a crash.
    case prepareCommit = 2
    case prepareAbort = 3
    case completeCommit = 4
    case completeAbort = 5

    public var description: String {
        switch self {
        case .empty: return "Empty"
        case .ongoing: return "Ongoing"
        case .prepareCommit: return "PrepareCommit"
        case .prepareAbort: return "PrepareAbort"
        case .completeCommit: return "CompleteCommit"
        case .completeAbort: return "CompleteAbort"
        }
    }

    var isPreparing: Bool { self == .prepareCommit || self == .prepareAbort }
}

/// One transactional id's producer and current transaction, as the coordinator keeps it and as each record of
/// the state log holds it whole (`TransactionRecordCodec`).
public struct TransactionMetadata: Equatable, Sendable {
    public var transactionalId: String
    public var producerId: Int64
    public var producerEpoch: Int16
    public var timeoutMs: Int32
    public var state: TransactionState
    /// The partitions of the open (or preparing) transaction.
    public var partitions: Set<TopicPartition>
    /// The groups whose offsets it commits (AddOffsetsToTxn).
    public var groups: Set<String>
    /// TxnOffsetCommit's offsets, by group; applied to the offset store when the transaction commits. Written to
    /// the state log with the Prepare* record only: an Ongoing transaction found at start is aborted anyway.
    public var pendingOffsets: [String: [TopicPartition: CommittedOffset]]

    public init(
        transactionalId: String, producerId: Int64, producerEpoch: Int16, timeoutMs: Int32,
        state: TransactionState = .empty, partitions: Set<TopicPartition> = [], groups: Set<String> = [],
        pendingOffsets: [String: [TopicPartition: CommittedOffset]] = [:]
    ) {
        self.transactionalId = transactionalId
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.timeoutMs = timeoutMs
        self.state = state
        self.partitions = partitions
        self.groups = groups
        self.pendingOffsets = pendingOffsets
    }

    /// Clears the transaction, keeping the producer.
    mutating func reset(to state: TransactionState) {
        self.state = state
        self.partitions = []
        self.groups = []
        self.pendingOffsets = [:]
    }
}

/// The records of the coordinator's log `__transaction_state` (one partition): key = the transactional id
/// (UTF-8), value = the id's whole state after a change. The newest record of an id wins at replay.
///
/// Value, big-endian; strings are a 2-byte length and UTF-8 bytes:
///
/// ```
/// size field
///    1 version            1
///    8 producerId
///    2 producerEpoch
///    4 timeoutMs
///    1 state              TransactionState raw value
///    4 partitionCount     n: string topic, 4 partition
///    4 groupCount         n: string group
///    4 pendingCount       n: string group, string topic, 4 partition, 8 offset, 4 leaderEpoch,
///                            string metadata, 8 commitTimestampMs
/// ```
enum TransactionRecordCodec {
    static let version: UInt8 = 1

    static func key(transactionalId: String) -> [UInt8] { Array(transactionalId.utf8) }

    static func value(_ metadata: TransactionMetadata) -> [UInt8] {
        var bytes: [UInt8] = [Self.version]
        Self.append(metadata.producerId, to: &bytes)
        Self.append(metadata.producerEpoch, to: &bytes)
        Self.append(metadata.timeoutMs, to: &bytes)
        bytes.append(metadata.state.rawValue)
        let partitions = metadata.partitions.sorted { ($0.topic, $0.partition.rawValue) < ($1.topic, $1.partition.rawValue) }
        Self.append(UInt32(partitions.count), to: &bytes)
        for partition in partitions {
            Self.append(partition.topic, to: &bytes)
            Self.append(partition.partition.rawValue, to: &bytes)
        }
        Self.append(UInt32(metadata.groups.count), to: &bytes)
        for group in metadata.groups.sorted() { Self.append(group, to: &bytes) }
        let pending = metadata.pendingOffsets.flatMap { group, offsets in offsets.map { (group, $0.key, $0.value) } }
        Self.append(UInt32(pending.count), to: &bytes)
        for (group, partition, committed) in pending {
            Self.append(group, to: &bytes)
            Self.append(partition.topic, to: &bytes)
            Self.append(partition.partition.rawValue, to: &bytes)
            Self.append(committed.offset, to: &bytes)
            Self.append(committed.leaderEpoch, to: &bytes)
            Self.append(committed.metadata, to: &bytes)
            Self.append(committed.commitTimestampMs, to: &bytes)
        }
        return bytes
    }

    /// The state a record holds, or nil when the bytes are not a whole record of a known version.
    static func parse(key: [UInt8], value: [UInt8]) -> TransactionMetadata? {
        guard let transactionalId = String(validating: key, as: UTF8.self) else { return nil }
        var reader = Reader(bytes: value)
        guard reader.readByte() == Self.version,
              let producerId = reader.read(Int64.self), let producerEpoch = reader.read(Int16.self),
              let timeoutMs = reader.read(Int32.self), let stateByte = reader.readByte(),
              let state = TransactionState(rawValue: stateByte)
        else { return nil }
        var metadata = TransactionMetadata(
            transactionalId: transactionalId, producerId: producerId, producerEpoch: producerEpoch,
            timeoutMs: timeoutMs, state: state
        )
        // Each count is checked against the bytes left (every entry takes at least 2 bytes), so a damaged
        // count cannot make the loop run long.
        guard let partitionCount = reader.readCount() else { return nil }
        for _ in 0..<partitionCount {
            guard let topic = reader.readString(), let partition = reader.read(Int32.self) else { return nil }
            metadata.partitions.insert(TopicPartition(topic: topic, partition: PartitionID(partition)))
        }
        guard let groupCount = reader.readCount() else { return nil }
        for _ in 0..<groupCount {
            guard let group = reader.readString() else { return nil }
            metadata.groups.insert(group)
        }
        guard let pendingCount = reader.readCount() else { return nil }
        for _ in 0..<pendingCount {
            guard let group = reader.readString(), let topic = reader.readString(),
                  let partition = reader.read(Int32.self), let offset = reader.read(Int64.self),
                  let leaderEpoch = reader.read(Int32.self), let text = reader.readString(),
                  let timestampMs = reader.read(Int64.self)
            else { return nil }
            metadata.pendingOffsets[group, default: [:]][TopicPartition(topic: topic, partition: PartitionID(partition))] =
                CommittedOffset(offset: offset, leaderEpoch: leaderEpoch, metadata: text, commitTimestampMs: timestampMs)
        }
        return reader.isAtEnd ? metadata : nil
    }

    private static func append<Value: FixedWidthInteger>(_ value: Value, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    /// Strings here are ids, topic names and commit metadata, all bounded far below 65,535 bytes by the
    /// coordinators' own limits; longer ones are cut rather than written with a wrong length.
    private static func append(_ text: String, to bytes: inout [UInt8]) {
        let utf8 = Array(text.utf8.prefix(Int(UInt16.max)))
        Self.append(UInt16(utf8.count), to: &bytes)
        bytes.append(contentsOf: utf8)
    }

    private struct Reader {
        let bytes: [UInt8]
        var position = 0

        var isAtEnd: Bool { self.position == self.bytes.count }

        mutating func readByte() -> UInt8? {
            guard self.position < self.bytes.count else { return nil }
            defer { self.position += 1 }
            return self.bytes[self.position]
        }

        mutating func read<Value: FixedWidthInteger>(_ type: Value.Type) -> Value? {
            let size = MemoryLayout<Value>.size
            guard self.position + size <= self.bytes.count else { return nil }
            var value: Value = 0
            for byte in self.bytes[self.position..<self.position + size] { value = value << 8 | Value(byte) }
            self.position += size
            return value
        }

        mutating func readCount() -> Int? {
            guard let count = self.read(UInt32.self), Int(count) * 2 <= self.bytes.count - self.position else {
                return nil
            }
            return Int(count)
        }

        mutating func readString() -> String? {
            guard let length = self.read(UInt16.self), self.position + Int(length) <= self.bytes.count else {
                return nil
            }
            defer { self.position += Int(length) }
            return String(validating: self.bytes[self.position..<self.position + Int(length)], as: UTF8.self)
        }
    }
}
