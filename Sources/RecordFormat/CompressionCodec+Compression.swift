import SluiceModel

/// Whole-buffer compression and bounded decompression for each Kafka codec. The broker itself never
/// decompresses on the produce path; producers (CLI, operator runtime) compress and readers decompress.
extension CompressionCodec {
    /// The default decompressed-size limit: eight times the largest batch, generous for real data
    /// (compression ratios of record batches rarely pass 5:1) and small enough to refuse bombs.
    public static let decompressedSizeBytesMaxDefault = Limits.batchSizeBytesMax * 8

    /// Compresses `input` and appends the result to `output`, in the format Kafka clients write:
    /// gzip, xerial-framed snappy, the LZ4 frame format, or a zstd frame. `.none` appends `input` as is.
    public func compress(_ input: UnsafeRawBufferPointer, appendingTo output: inout [UInt8]) throws(RecordFormatError) {
        switch self {
        case .none: output.append(contentsOf: input)
        case .gzip: try GzipCompression.compress(input, appendingTo: &output)
        case .snappy: try SnappyCompression.compress(input, appendingTo: &output)
        case .lz4: try LZ4Compression.compress(input, appendingTo: &output)
        case .zstd: try ZstdCompression.compress(input, appendingTo: &output)
        }
    }

    /// Decompresses `input`, throwing `.decompressionFailed` when it is malformed, truncated, or would
    /// decompress to more than `sizeBytesMax` bytes.
    public func decompress(
        _ input: UnsafeRawBufferPointer, sizeBytesMax: Int = Self.decompressedSizeBytesMaxDefault
    ) throws(RecordFormatError) -> [UInt8] {
        switch self {
        case .none:
            guard input.count <= sizeBytesMax else {
                throw .decompressionFailed("output exceeds the limit of \(sizeBytesMax) bytes")
            }
            return Array(input)
        case .gzip: return try GzipCompression.decompress(input, sizeBytesMax: sizeBytesMax)
        case .snappy: return try SnappyCompression.decompress(input, sizeBytesMax: sizeBytesMax)
        case .lz4: return try LZ4Compression.decompress(input, sizeBytesMax: sizeBytesMax)
        case .zstd: return try ZstdCompression.decompress(input, sizeBytesMax: sizeBytesMax)
        }
    }

    /// `compress(_:appendingTo:)` for an array.
    public func compress(_ input: [UInt8]) throws(RecordFormatError) -> [UInt8] {
        var output: [UInt8] = []
        try input.withBytes { (bytes) throws(RecordFormatError) in
            try self.compress(bytes, appendingTo: &output)
        }
        return output
    }

    /// `decompress(_:sizeBytesMax:)` for an array.
    public func decompress(
        _ input: [UInt8], sizeBytesMax: Int = Self.decompressedSizeBytesMaxDefault
    ) throws(RecordFormatError) -> [UInt8] {
        try input.withBytes { (bytes) throws(RecordFormatError) in
            try self.decompress(bytes, sizeBytesMax: sizeBytesMax)
        }
    }

    /// The first guess at a decompressed size: a few times the input, capped by the limit.
    static func initialOutputCapacityBytes(inputSizeBytes: Int, sizeBytesMax: Int) -> Int {
        min(max(inputSizeBytes * 4, 4096), sizeBytesMax + 1)
    }
}
