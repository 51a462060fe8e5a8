/// Why bytes are not a valid record batch. Each case says what was wrong in terms a log line can show.
public enum RecordFormatError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Fewer bytes than the structure needs.
    case truncated(neededBytes: Int, availableBytes: Int)
    /// A magic byte other than 2; Kafka's old formats 0 and 1 are refused.
    case unsupportedMagic(Int8)
    /// A batch length field that is negative, too small for a header, or over the limit.
    case invalidBatchLength(Int32)
    /// The stored CRC-32C does not match the bytes.
    case checksumMismatch(stored: UInt32, computed: UInt32)
    /// A record count that is negative or over the limit, or disagrees with the offset delta.
    case invalidRecordCount(Int32)
    /// A compression codec number Kafka does not define.
    case unknownCompression(Int)
    /// Compressed data that the codec could not decode, or that decodes past the size limit.
    case decompressionFailed(String)
    /// A compression library reported an error while encoding.
    case compressionFailed(String)
    /// A record inside the batch is malformed (bad varint, length past the end, ...).
    case malformedRecord(String)

    public var description: String {
        switch self {
        case .truncated(let needed, let available):
            return "record batch truncated: needs \(needed) bytes, has \(available)"
        case .unsupportedMagic(let magic):
            return "record batch magic \(magic) is not supported (only magic 2)"
        case .invalidBatchLength(let length):
            return "record batch length \(length) is invalid"
        case .checksumMismatch(let stored, let computed):
            return "record batch CRC-32C mismatch: stored \(stored), computed \(computed)"
        case .invalidRecordCount(let count):
            return "record batch record count \(count) is invalid"
        case .unknownCompression(let codec):
            return "record batch compression codec \(codec) is unknown"
        case .decompressionFailed(let reason):
            return "record batch decompression failed: \(reason)"
        case .compressionFailed(let reason):
            return "record batch compression failed: \(reason)"
        case .malformedRecord(let reason):
            return "malformed record: \(reason)"
        }
    }
}
