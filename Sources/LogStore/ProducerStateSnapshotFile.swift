import RecordFormat
import SluiceModel

/// A partition's producer state as of an offset: `<20-digit offset>.producers` in the partition directory,
/// written when a segment rolls (offset = the new segment's base) and when the log closes (offset = log end),
/// so that opening a log replays only the batches after the newest snapshot instead of the whole log.
///
/// Binary, big-endian, written atomically (temporary file, fsync, rename, directory fsync):
///
/// ```
/// offset size field
///      0    2 version            2 (1: written before transactions; read, never written)
///      2    8 offset             the snapshot covers every batch below this offset
///     10    4 producerCount      n
///     14      n producers:
///             8 producerId
///             2 epoch
///             8 txnFirstOffset   version 2 only: first offset of the producer's open transaction, or -1
///             1 batchCount       1 to 5 (version 2: 0 to 5, 0 after an epoch-raising marker), oldest first:
///               4 firstSequence
///               4 lastSequence
///               8 firstOffset
///               8 lastOffset
///  end-4    4 crc                CRC-32C of every byte before it
/// ```
enum ProducerStateSnapshotFile {
    static let suffix = ".producers"
    static let version: UInt16 = 2
    static let versionWithoutTransactions: UInt16 = 1
    static let headerSizeBytes = 14
    static let producerHeaderSizeBytes = 19
    static let producerHeaderSizeBytesVersion1 = 11
    static let noOpenTransaction: Int64 = -1
    static let batchSizeBytes = 24
    /// Larger files are ignored (the log is replayed instead): about 120,000 producers on one partition.
    static let sizeBytesMax = 16 * 1024 * 1024

    static func fileName(offset: Offset) -> String {
        Segment.fileStem(offset) + Self.suffix
    }

    /// The offset a snapshot file name stands for, or nil for any other name.
    static func offset(fromFileName name: String) -> Offset? {
        guard name.hasSuffix(Self.suffix) else { return nil }
        let stem = name.dropLast(Self.suffix.count)
        guard stem.count == 20, let value = Int64(stem) else { return nil }
        return Offset(value)
    }

    static func serialize(_ table: ProducerStateTable, offset: Offset) -> [UInt8] {
        var bytes: [UInt8] = []
        var sizeBytes = Self.headerSizeBytes + 4
        for entry in table.producers.values {
            sizeBytes += Self.producerHeaderSizeBytes + entry.batches.count * Self.batchSizeBytes
        }
        bytes.reserveCapacity(sizeBytes)
        Self.append(Self.version, to: &bytes)
        Self.append(offset.rawValue, to: &bytes)
        Self.append(UInt32(table.producers.count), to: &bytes)
        // Sorted so that the same state always gives the same bytes (tests compare files).
        for (producerId, entry) in table.producers.sorted(by: { $0.key < $1.key }) {
            Self.append(producerId, to: &bytes)
            Self.append(entry.epoch, to: &bytes)
            Self.append(table.ongoingTransactions[producerId]?.rawValue ?? Self.noOpenTransaction, to: &bytes)
            bytes.append(UInt8(entry.batches.count))
            for batch in entry.batches {
                Self.append(batch.firstSequence, to: &bytes)
                Self.append(batch.lastSequence, to: &bytes)
                Self.append(batch.firstOffset.rawValue, to: &bytes)
                Self.append(batch.lastOffset.rawValue, to: &bytes)
            }
        }
        let crc = bytes.withUnsafeBytes { CRC32C.checksum($0) }
        Self.append(crc, to: &bytes)
        precondition(bytes.count == sizeBytes, "snapshot size computed up front")
        return bytes
    }

    /// The table and its offset, or nil when the bytes are not a whole, intact snapshot.
    static func parse(_ bytes: [UInt8]) -> (table: ProducerStateTable, offset: Offset)? {
        guard bytes.count >= Self.headerSizeBytes + 4 else { return nil }
        return bytes.withUnsafeBytes { buffer -> (ProducerStateTable, Offset)? in
            let covered = UnsafeRawBufferPointer(rebasing: buffer[0..<(buffer.count - 4)])
            let version = buffer.readBigEndian(UInt16.self, at: 0)
            guard CRC32C.checksum(covered) == buffer.readBigEndian(UInt32.self, at: buffer.count - 4),
                  version == Self.version || version == Self.versionWithoutTransactions
            else { return nil }
            let producerHeaderSizeBytes =
                version == Self.version ? Self.producerHeaderSizeBytes : Self.producerHeaderSizeBytesVersion1
            let offset = Offset(buffer.readBigEndian(Int64.self, at: 2))
            let producerCount = Int(buffer.readBigEndian(UInt32.self, at: 10))
            var position = Self.headerSizeBytes
            var table = ProducerStateTable()
            for _ in 0..<producerCount {
                guard position + producerHeaderSizeBytes <= covered.count else { return nil }
                let producerId = buffer.readBigEndian(Int64.self, at: position)
                let epoch = buffer.readBigEndian(Int16.self, at: position + 8)
                var txnFirstOffset = Self.noOpenTransaction
                if version == Self.version { txnFirstOffset = buffer.readBigEndian(Int64.self, at: position + 10) }
                let batchCount = Int(buffer[position + producerHeaderSizeBytes - 1])
                position += producerHeaderSizeBytes
                // Version 1 entries always had a batch; only markers (version 2) leave an entry without one.
                guard batchCount > 0 || version == Self.version, txnFirstOffset >= Self.noOpenTransaction else {
                    return nil
                }
                guard position + batchCount * Self.batchSizeBytes <= covered.count else { return nil }
                var batches: [ProducerBatchMetadata] = []
                for _ in 0..<batchCount {
                    batches.append(
                        ProducerBatchMetadata(
                            firstSequence: buffer.readBigEndian(Int32.self, at: position),
                            lastSequence: buffer.readBigEndian(Int32.self, at: position + 4),
                            firstOffset: Offset(buffer.readBigEndian(Int64.self, at: position + 8)),
                            lastOffset: Offset(buffer.readBigEndian(Int64.self, at: position + 16))
                        )
                    )
                    position += Self.batchSizeBytes
                }
                guard producerId >= 0, let entry = ProducerEntry(epoch: epoch, batches: batches) else { return nil }
                table.restore(
                    producerId: producerId, entry: entry,
                    ongoingTransactionFirstOffset: txnFirstOffset >= 0 ? Offset(txnFirstOffset) : nil
                )
            }
            guard position == covered.count else { return nil }
            return (table, offset)
        }
    }

    private static func append<Value: FixedWidthInteger>(_ value: Value, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }
}
