import SluiceModel

/// Checks a record batch as it arrives from a producer or is read back during recovery, without
/// decompressing it: sizes, magic, CRC-32C and counts. What passes can be stored byte-for-byte.
public enum RecordBatchValidator {
    /// Validates the batch at the start of `bytes` and returns its header. `bytes` may hold more
    /// after the batch; only `header.totalSizeBytes` are checked.
    public static func validate(
        _ bytes: UnsafeRawBufferPointer,
        batchSizeBytesMax: Int = Limits.batchSizeBytesMax
    ) throws(RecordFormatError) -> RecordBatchHeader {
        let header = try RecordBatchHeader(parsing: bytes)
        let totalSizeBytes = header.totalSizeBytes
        guard totalSizeBytes <= batchSizeBytesMax else { throw .invalidBatchLength(header.batchLengthBytes) }
        guard bytes.count >= totalSizeBytes else {
            throw .truncated(neededBytes: totalSizeBytes, availableBytes: bytes.count)
        }
        guard header.recordCount >= 0, Int(header.recordCount) <= Limits.batchRecordCountMax,
              header.lastOffsetDelta >= 0, header.lastOffsetDelta >= header.recordCount - 1 || header.recordCount == 0
        else {
            throw .invalidRecordCount(header.recordCount)
        }
        guard header.attributes.compression != nil else {
            throw .unknownCompression(header.attributes.compressionCodecNumber)
        }
        let covered = UnsafeRawBufferPointer(rebasing: bytes[RecordBatchHeader.attributesOffset..<totalSizeBytes])
        let computed = CRC32C.checksum(covered)
        guard computed == header.crc else { throw .checksumMismatch(stored: header.crc, computed: computed) }
        return header
    }

    /// Computes and writes the CRC of a batch whose other bytes are final.
    public static func stampChecksum(_ bytes: UnsafeMutableRawBufferPointer) {
        let totalSizeBytes = Int(bytes.readBigEndian(Int32.self, at: 8)) + RecordBatchHeader.logOverheadBytes
        precondition(totalSizeBytes <= bytes.count, "batch length past the end of the buffer")
        let covered = UnsafeRawBufferPointer(rebasing: bytes[RecordBatchHeader.attributesOffset..<totalSizeBytes])
        bytes.writeBigEndian(CRC32C.checksum(covered), at: RecordBatchHeader.crcOffset)
    }

    /// Overwrites the base offset (outside the CRC, so the checksum stays valid).
    public static func setBaseOffset(_ baseOffset: Int64, in bytes: UnsafeMutableRawBufferPointer) {
        bytes.writeBigEndian(baseOffset, at: 0)
    }
}
