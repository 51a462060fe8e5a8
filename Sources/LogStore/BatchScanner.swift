import RecordFormat
import SluiceModel

/// What the log needs to know about one stored batch, read from its header.
struct StoredBatch: Equatable {
    var positionBytes: Int64
    var sizeBytes: Int
    var baseOffset: Offset
    var lastOffset: Offset
    var maxTimestampMs: Int64

    var nextOffset: Offset { self.lastOffset + 1 }
    var endPositionBytes: Int64 { self.positionBytes + Int64(self.sizeBytes) }
}

/// Walks the batches of a segment file in order, from a batch boundary up to `endPositionBytes`, reading the
/// file through a buffer with positional reads (a few large reads rather than one per header). With
/// `validating`, each whole batch is checked (sizes, magic, CRC-32C): that is recovery's scan.
struct BatchScanner {
    enum Step: Equatable {
        case batch(StoredBatch)
        /// Every byte up to the end position was a whole batch.
        case end
        /// The bytes at `positionBytes` are not a valid batch; the log should end there.
        case invalid(positionBytes: Int64, reason: String)
    }

    private let file: SegmentFileHandle
    private let endPositionBytes: Int64
    private let validating: Bool
    private let batchSizeBytesMax: Int
    private(set) var positionBytes: Int64
    private var buffer: [UInt8]
    private var bufferStartBytes: Int64 = 0
    private var bufferCount = 0

    init(
        file: SegmentFileHandle, fromPositionBytes positionBytes: Int64, toPositionBytes endPositionBytes: Int64,
        validating: Bool, batchSizeBytesMax: Int = Limits.batchSizeBytesMax, chunkSizeBytes: Int = 64 * 1024
    ) {
        precondition(positionBytes >= 0 && positionBytes <= endPositionBytes, "scan range is ordered")
        self.file = file
        self.positionBytes = positionBytes
        self.endPositionBytes = endPositionBytes
        self.validating = validating
        self.batchSizeBytesMax = batchSizeBytesMax
        self.buffer = [UInt8](repeating: 0, count: max(chunkSizeBytes, RecordBatchHeader.sizeBytes))
    }

    /// The next batch, the end, or where the bytes stop being valid batches.
    mutating func next() throws(StorageError) -> Step {
        let remainingBytes = self.endPositionBytes - self.positionBytes
        if remainingBytes == 0 { return .end }
        guard remainingBytes >= Int64(RecordBatchHeader.sizeBytes) else {
            return .invalid(positionBytes: self.positionBytes, reason: "\(remainingBytes) bytes, less than a header")
        }
        try self.fill(byteCount: RecordBatchHeader.sizeBytes)
        let header: RecordBatchHeader
        do {
            header = try self.withBufferedBytes(count: RecordBatchHeader.sizeBytes) { bytes throws(RecordFormatError) in
                try RecordBatchHeader(parsing: bytes)
            }
        } catch {
            return .invalid(positionBytes: self.positionBytes, reason: error.description)
        }
        let sizeBytes = header.totalSizeBytes
        guard sizeBytes <= self.batchSizeBytesMax, Int64(sizeBytes) <= remainingBytes else {
            return .invalid(positionBytes: self.positionBytes, reason: "batch of \(sizeBytes) bytes runs past the end")
        }
        if self.validating {
            try self.fill(byteCount: sizeBytes)
            do {
                _ = try self.withBufferedBytes(count: sizeBytes) { bytes throws(RecordFormatError) in
                    try RecordBatchValidator.validate(bytes, batchSizeBytesMax: self.batchSizeBytesMax)
                }
            } catch {
                return .invalid(positionBytes: self.positionBytes, reason: error.description)
            }
        }
        let batch = StoredBatch(
            positionBytes: self.positionBytes, sizeBytes: sizeBytes, baseOffset: Offset(header.baseOffset),
            lastOffset: Offset(header.lastOffset), maxTimestampMs: header.maxTimestamp
        )
        self.positionBytes += Int64(sizeBytes)
        return .batch(batch)
    }

    /// Moves to `positionBytes`, which the caller knows to be a batch boundary (from the offset index).
    mutating func skip(toPositionBytes positionBytes: Int64) {
        precondition(positionBytes >= self.positionBytes && positionBytes <= self.endPositionBytes, "skip forward")
        self.positionBytes = positionBytes
    }

    /// Makes sure `byteCount` bytes from the current position are in the buffer.
    private mutating func fill(byteCount: Int) throws(StorageError) {
        let bufferEndBytes = self.bufferStartBytes + Int64(self.bufferCount)
        if self.positionBytes >= self.bufferStartBytes && self.positionBytes + Int64(byteCount) <= bufferEndBytes {
            return
        }
        if self.buffer.count < byteCount {
            self.buffer = [UInt8](repeating: 0, count: byteCount)
        }
        let wantedBytes = Int(min(Int64(self.buffer.count), self.endPositionBytes - self.positionBytes))
        let start = self.positionBytes
        let file = self.file
        let count = try self.buffer.withUnsafeMutableBytes { bytes in
            Result { () throws(StorageError) in
                try file.readFully(into: UnsafeMutableRawBufferPointer(rebasing: bytes[0..<wantedBytes]), at: start)
            }
        }.get()
        self.bufferStartBytes = start
        self.bufferCount = count
        guard count >= byteCount else {
            throw StorageError(
                code: .ioFailure, message: "file ended at \(start + Int64(count)), before its known size",
                path: file.path
            )
        }
    }

    private func withBufferedBytes<Value>(
        count: Int, _ body: (UnsafeRawBufferPointer) throws(RecordFormatError) -> Value
    ) throws(RecordFormatError) -> Value {
        let start = Int(self.positionBytes - self.bufferStartBytes)
        return try self.buffer.withUnsafeBytes { bytes in
            Result { () throws(RecordFormatError) in
                try body(UnsafeRawBufferPointer(rebasing: bytes[start..<start + count]))
            }
        }.get()
    }
}
