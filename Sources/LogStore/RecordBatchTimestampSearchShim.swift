import RecordFormat

/// TEMPORARY stand-in for `RecordBatchTimestampSearch.firstOffset(atOrAfterTimestampMs:inBatch:)`, which is
/// being added to RecordFormat. Called from one place only (`PartitionLog+Read.swift`); at merge, replace that
/// call with the real function and delete this file. It answers at batch granularity: the batch's base offset
/// when its max timestamp reaches the target, without looking at individual records.
enum RecordBatchTimestampSearchShim {
    static func firstOffset(
        atOrAfterTimestampMs timestampMs: Int64, inBatch batch: UnsafeRawBufferPointer
    ) throws(RecordFormatError) -> Int64? {
        let header = try RecordBatchHeader(parsing: batch)
        return header.maxTimestamp >= timestampMs ? header.baseOffset : nil
    }
}
