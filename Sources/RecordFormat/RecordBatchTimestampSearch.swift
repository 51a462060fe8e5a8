/// Finds records by timestamp inside one batch, for the storage layer's time index: the index points
/// at a batch, and this finds the exact record in it.
public enum RecordBatchTimestampSearch {
    /// The offset of the first record (in offset order) whose timestamp is at or after `timestampMs`,
    /// nil when there is none. Like Kafka, a batch whose `maxTimestamp` is earlier is skipped without
    /// decompressing it; in a LogAppendTime batch every record has the batch's `maxTimestamp`.
    public static func firstOffset(
        atOrAfterTimestampMs timestampMs: Int64, inBatch bytes: UnsafeRawBufferPointer
    ) throws(RecordFormatError) -> Int64? {
        let header = try RecordBatchValidator.validate(bytes)
        guard header.recordCount > 0, header.maxTimestamp >= timestampMs else { return nil }
        var found: Int64?
        try RecordBatchDecoder.forEachRecord(
            inValidatedBatch: bytes, header: header,
            decompressedSizeBytesMax: CompressionCodec.decompressedSizeBytesMaxDefault
        ) { record in
            guard record.timestampMs >= timestampMs else { return .continueVisiting }
            found = record.offset
            return .stopVisiting
        }
        return found
    }
}
