import RecordFormat
import SluiceModel

/// The aborted transactions whose abort marker lies in one segment: `<20-digit base offset>.txnindex` beside
/// the segment's `.log` (Kafka's transaction index). Written whole and atomically (temporary file, fsync,
/// rename, directory fsync) when the segment is sealed and when the log closes; removed with the segment.
///
/// Binary, big-endian:
///
/// ```
/// offset size field
///      0    2 version            1
///      2    8 segmentBaseOffset  the segment the file belongs to (same as the file name)
///     10    8 coveredEndOffset   the entries cover every marker below this offset in the segment
///     18    4 entryCount         n, markers in offset order:
///     22      n entries of 32 bytes:
///             8 producerId
///             8 firstOffset      the transaction's first batch on this partition
///             8 lastOffset       its abort marker (segmentBaseOffset <= lastOffset < coveredEndOffset)
///             8 lastStableOffset the partition's LSO just after the marker
///  end-4    4 crc                CRC-32C of every byte before it
/// ```
///
/// A file that fails its CRC, does not parse, names another segment or holds an entry outside its range is
/// damaged, and treated like a missing one: the log is replayed from its start to rebuild it
/// (`PartitionLog+Transactions.swift`).
enum AbortedTransactionIndexFile {
    static let suffix = ".txnindex"
    static let version: UInt16 = 1
    static let headerSizeBytes = 22
    static let entrySizeBytes = 32
    static let checksumSizeBytes = 4
    /// About 500,000 aborted transactions in one segment; a larger file is treated as damaged.
    static let sizeBytesMax = 16 * 1024 * 1024

    struct Contents: Equatable {
        var segmentBaseOffset: Offset
        var coveredEndOffset: Offset
        var entries: [AbortedTransaction]
    }

    static func fileName(segmentBaseOffset: Offset) -> String {
        Segment.fileStem(segmentBaseOffset) + Self.suffix
    }

    static func serialize(_ contents: Contents) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Self.headerSizeBytes + contents.entries.count * Self.entrySizeBytes + 4)
        Self.append(Self.version, to: &bytes)
        Self.append(contents.segmentBaseOffset.rawValue, to: &bytes)
        Self.append(contents.coveredEndOffset.rawValue, to: &bytes)
        Self.append(UInt32(contents.entries.count), to: &bytes)
        for entry in contents.entries {
            Self.append(entry.producerId, to: &bytes)
            Self.append(entry.firstOffset.rawValue, to: &bytes)
            Self.append(entry.lastOffset.rawValue, to: &bytes)
            Self.append(entry.lastStableOffset.rawValue, to: &bytes)
        }
        let crc = bytes.withUnsafeBytes { CRC32C.checksum($0) }
        Self.append(crc, to: &bytes)
        return bytes
    }

    /// The contents, or nil when the bytes are not a whole, intact file of that segment.
    static func parse(_ bytes: [UInt8], segmentBaseOffset: Offset) -> Contents? {
        guard bytes.count >= Self.headerSizeBytes + Self.checksumSizeBytes else { return nil }
        return bytes.withUnsafeBytes { buffer -> Contents? in
            let coveredCount = buffer.count - Self.checksumSizeBytes
            let covered = UnsafeRawBufferPointer(rebasing: buffer[0..<coveredCount])
            guard CRC32C.checksum(covered) == buffer.readBigEndian(UInt32.self, at: coveredCount),
                  buffer.readBigEndian(UInt16.self, at: 0) == Self.version,
                  Offset(buffer.readBigEndian(Int64.self, at: 2)) == segmentBaseOffset
            else { return nil }
            let coveredEndOffset = Offset(buffer.readBigEndian(Int64.self, at: 10))
            let entryCount = Int(buffer.readBigEndian(UInt32.self, at: 18))
            guard coveredEndOffset >= segmentBaseOffset,
                  coveredCount == Self.headerSizeBytes + entryCount * Self.entrySizeBytes
            else { return nil }
            var entries: [AbortedTransaction] = []
            entries.reserveCapacity(entryCount)
            var position = Self.headerSizeBytes
            for _ in 0..<entryCount {
                let entry = AbortedTransaction(
                    producerId: buffer.readBigEndian(Int64.self, at: position),
                    firstOffset: Offset(buffer.readBigEndian(Int64.self, at: position + 8)),
                    lastOffset: Offset(buffer.readBigEndian(Int64.self, at: position + 16)),
                    lastStableOffset: Offset(buffer.readBigEndian(Int64.self, at: position + 24))
                )
                let isInOrder = entries.last.map { $0.lastOffset < entry.lastOffset } ?? true
                guard entry.producerId >= 0, entry.firstOffset <= entry.lastOffset, isInOrder,
                      entry.lastOffset >= segmentBaseOffset, entry.lastOffset < coveredEndOffset
                else { return nil }
                entries.append(entry)
                position += Self.entrySizeBytes
            }
            return Contents(segmentBaseOffset: segmentBaseOffset, coveredEndOffset: coveredEndOffset, entries: entries)
        }
    }

    private static func append<Value: FixedWidthInteger>(_ value: Value, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }
}
