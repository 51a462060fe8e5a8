import SluiceModel

/// A committed offset, as OffsetFetch answers it.
public struct CommittedOffset: Sendable, Equatable {
    public var offset: Int64
    /// The leader epoch the consumer saw (OffsetCommit v6+); -1 when unknown.
    public var leaderEpoch: Int32
    public var metadata: String
    /// Wall-clock milliseconds when the broker accepted the commit.
    public var commitTimestampMs: Int64

    public init(offset: Int64, leaderEpoch: Int32 = -1, metadata: String = "", commitTimestampMs: Int64) {
        self.offset = offset
        self.leaderEpoch = leaderEpoch
        self.metadata = metadata
        self.commitTimestampMs = commitTimestampMs
    }
}

/// What one record of the offsets log says, decoded.
enum OffsetLogEntry: Equatable {
    /// The committed offset of one partition for one group; nil (a tombstone) when deleted.
    case commit(groupId: String, topicPartition: TopicPartition, CommittedOffset?)
    /// Written after a compacted copy: a generation with this record is complete (see `OffsetStore`).
    case generationComplete(generation: Int64)
}

/// The byte format of the offsets log's records (Sluice's own, versioned by a leading byte):
///
/// ```
/// commit key:    u8 kind = 1 | u16 group length | group (UTF-8) | u16 topic length | topic | i32 partition
/// commit value:  u8 version = 1 | i64 offset | i32 leader epoch | i64 commit timestamp ms
///                | u16 metadata length | metadata (UTF-8)
///                (a null value is a tombstone: the commit was deleted)
/// marker key:    u8 kind = 2
/// marker value:  u8 version = 1 | i64 generation
/// ```
/// Integers are big-endian. Lengths are 16-bit because every string is bounded well below 64 KiB before
/// it gets here (`identifierLengthBytesMax`, `metadataLengthBytesMax`, topic names).
enum OffsetRecordCodec {
    static let commitKind: UInt8 = 1
    static let markerKind: UInt8 = 2
    static let valueVersion: UInt8 = 1

    static func commitKey(groupId: String, topicPartition: TopicPartition) -> [UInt8] {
        var bytes: [UInt8] = [self.commitKind]
        self.appendString(groupId, to: &bytes)
        self.appendString(topicPartition.topic, to: &bytes)
        self.appendInteger(topicPartition.partition.rawValue, to: &bytes)
        return bytes
    }

    static func commitValue(_ committed: CommittedOffset) -> [UInt8] {
        var bytes: [UInt8] = [self.valueVersion]
        self.appendInteger(committed.offset, to: &bytes)
        self.appendInteger(committed.leaderEpoch, to: &bytes)
        self.appendInteger(committed.commitTimestampMs, to: &bytes)
        self.appendString(committed.metadata, to: &bytes)
        return bytes
    }

    static func markerKey() -> [UInt8] {
        [self.markerKind]
    }

    static func markerValue(generation: Int64) -> [UInt8] {
        var bytes: [UInt8] = [self.valueVersion]
        self.appendInteger(generation, to: &bytes)
        return bytes
    }

    /// Decodes one record; nil for a kind this version does not know (written by a newer Sluice), which
    /// loading skips.
    static func decode(key: [UInt8], value: [UInt8]?) throws(GroupCoordinatorError) -> OffsetLogEntry? {
        var keyReader = ByteReader(key)
        switch try keyReader.readInteger(UInt8.self) {
        case self.commitKind:
            let groupId = try keyReader.readString()
            let topic = try keyReader.readString()
            let partition = try keyReader.readInteger(Int32.self)
            try keyReader.requireEnd()
            let topicPartition = TopicPartition(topic: topic, partition: PartitionID(partition))
            guard let value else { return .commit(groupId: groupId, topicPartition: topicPartition, nil) }
            return .commit(groupId: groupId, topicPartition: topicPartition, try self.decodeCommitValue(value))
        case self.markerKind:
            try keyReader.requireEnd()
            guard let value else { throw ByteReader.corrupt("a generation marker without a value") }
            var valueReader = ByteReader(value)
            guard try valueReader.readInteger(UInt8.self) == self.valueVersion else {
                throw ByteReader.corrupt("unknown marker version")
            }
            let generation = try valueReader.readInteger(Int64.self)
            try valueReader.requireEnd()
            return .generationComplete(generation: generation)
        default:
            return nil
        }
    }

    private static func decodeCommitValue(_ value: [UInt8]) throws(GroupCoordinatorError) -> CommittedOffset {
        var reader = ByteReader(value)
        guard try reader.readInteger(UInt8.self) == self.valueVersion else {
            throw ByteReader.corrupt("unknown commit value version")
        }
        let offset = try reader.readInteger(Int64.self)
        let leaderEpoch = try reader.readInteger(Int32.self)
        let commitTimestampMs = try reader.readInteger(Int64.self)
        let metadata = try reader.readString()
        try reader.requireEnd()
        return CommittedOffset(
            offset: offset, leaderEpoch: leaderEpoch, metadata: metadata, commitTimestampMs: commitTimestampMs
        )
    }

    private static func appendString(_ string: String, to bytes: inout [UInt8]) {
        let utf8 = Array(string.utf8)
        precondition(utf8.count <= Int(UInt16.max), "strings are bounded before they are stored")
        self.appendInteger(UInt16(utf8.count), to: &bytes)
        bytes.append(contentsOf: utf8)
    }

    private static func appendInteger<Value: FixedWidthInteger>(_ value: Value, to bytes: inout [UInt8]) {
        let bigEndian = value.bigEndian
        withUnsafeBytes(of: bigEndian) { bytes.append(contentsOf: $0) }
    }
}

/// Reads the fields of one record, refusing to run past its end.
private struct ByteReader {
    private let bytes: [UInt8]
    private var position = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    static func corrupt(_ message: String) -> GroupCoordinatorError {
        GroupCoordinatorError(code: .corruptOffsetsRecord, message: message)
    }

    mutating func readInteger<Value: FixedWidthInteger>(_ type: Value.Type) throws(GroupCoordinatorError) -> Value {
        let size = MemoryLayout<Value>.size
        guard self.bytes.count - self.position >= size else { throw Self.corrupt("record ends inside an integer") }
        var value = Value.zero
        for byte in self.bytes[self.position..<(self.position + size)] {
            value = (value << 8) | Value(byte)
        }
        self.position += size
        return value
    }

    mutating func readString() throws(GroupCoordinatorError) -> String {
        let length = Int(try self.readInteger(UInt16.self))
        guard self.bytes.count - self.position >= length else { throw Self.corrupt("record ends inside a string") }
        let string = String(decoding: self.bytes[self.position..<(self.position + length)], as: UTF8.self)
        self.position += length
        return string
    }

    func requireEnd() throws(GroupCoordinatorError) {
        guard self.position == self.bytes.count else { throw Self.corrupt("bytes after the record's last field") }
    }
}
