/// Splits a run of concatenated batches (a log segment's bytes, a Fetch response's records) into
/// batches. Only headers are read here; each batch is validated when it is decoded.
public enum RecordBatchSplitter {
    /// The byte ranges of the complete batches at the start of `bytes`. A partial batch at the end is
    /// not an error: Kafka fetch responses are cut at `max_bytes` and may end inside a batch, so the
    /// split stops there (`trailingPartialSizeBytes` tells how much was left). Throws when a complete
    /// header is wrong (magic other than 2, impossible length), since nothing after it can be trusted.
    public static func split(
        _ bytes: UnsafeRawBufferPointer
    ) throws(RecordFormatError) -> (batchRanges: [Range<Int>], trailingPartialSizeBytes: Int) {
        var batchRanges: [Range<Int>] = []
        var position = 0
        while bytes.count - position >= RecordBatchHeader.sizeBytes {
            let remaining = UnsafeRawBufferPointer(rebasing: bytes[position...])
            let header = try RecordBatchHeader(parsing: remaining)
            guard header.totalSizeBytes <= remaining.count else { break }
            batchRanges.append(position..<position + header.totalSizeBytes)
            position += header.totalSizeBytes
        }
        return (batchRanges, bytes.count - position)
    }
}
