import SluiceModel

/// Builds one complete record batch (magic 2): header, records, compression, CRC-32C.
///
/// Records are encoded straight into one reusable buffer as they are appended, so appending costs no
/// allocation per record once the buffer has grown to a batch's size. For an uncompressed batch that
/// buffer already is the batch (61 header bytes are reserved up front); for a compressed one it holds the
/// records until `finish()` compresses them behind the header.
///
/// `finish()` returns the batch and resets the builder for the next one with the same settings, so a
/// producer keeps one builder per partition.
public struct RecordBatchBuilder: Sendable {
    public let compression: CompressionCodec
    /// The offset of the first record; producers send 0 and the broker assigns the real one.
    public var baseOffset: Int64
    /// -1 unless the producer is idempotent.
    public var producerId: Int64
    public var producerEpoch: Int16
    public var baseSequence: Int32
    public var partitionLeaderEpoch: Int32
    public var isTransactional: Bool

    /// Encoded records; for `.none` preceded by the space for the header.
    private var buffer: [UInt8]
    private var recordCount: Int32 = 0
    private var lastOffsetDelta: Int32 = -1
    private var baseTimestampMs: Int64 = -1
    private var maxTimestampMs: Int64 = -1

    public init(
        compression: CompressionCodec = .none,
        baseOffset: Int64 = 0,
        producerId: Int64 = -1,
        producerEpoch: Int16 = -1,
        baseSequence: Int32 = -1,
        partitionLeaderEpoch: Int32 = -1,
        isTransactional: Bool = false,
        reservingCapacityBytes: Int = 0
    ) {
        self.compression = compression
        self.baseOffset = baseOffset
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.baseSequence = baseSequence
        self.partitionLeaderEpoch = partitionLeaderEpoch
        self.isTransactional = isTransactional
        self.buffer = []
        self.buffer.reserveCapacity(max(reservingCapacityBytes, RecordBatchHeader.sizeBytes))
        self.resetBuffer()
    }

    /// Records appended since the last `finish()`.
    public var count: Int { Int(self.recordCount) }

    public var isEmpty: Bool { self.recordCount == 0 }

    /// The batch's size so far before compression: what a producer compares with its batch size limit.
    public var uncompressedSizeBytes: Int {
        self.buffer.count + (self.compression == .none ? 0 : RecordBatchHeader.sizeBytes)
    }

    /// Appends a record at the next offset (`baseOffset` for the first, then one more each time).
    public mutating func append(
        timestampMs: Int64, key: [UInt8]?, value: [UInt8]?, headers: [RecordHeader] = []
    ) throws(RecordFormatError) {
        let (offsetDelta, overflow) = self.lastOffsetDelta.addingReportingOverflow(1)
        guard !overflow else { throw .invalidRecordCount(self.recordCount) }
        try self.append(offsetDelta: offsetDelta, timestampMs: timestampMs, key: key, value: value, headers: headers)
    }

    /// Appends `record` at its own offset, which must be after the previous record's; gaps are allowed
    /// (as compaction leaves them), so decoding and re-encoding a batch reproduces it.
    public mutating func append(_ record: Record) throws(RecordFormatError) {
        let (offsetDelta64, overflow) = record.offset.subtractingReportingOverflow(self.baseOffset)
        guard !overflow, offsetDelta64 > Int64(self.lastOffsetDelta), offsetDelta64 <= Int64(Int32.max) else {
            throw .malformedRecord("record offset \(record.offset) is not after the previous record's")
        }
        try self.append(
            offsetDelta: Int32(offsetDelta64), timestampMs: record.timestampMs,
            key: record.key, value: record.value, headers: record.headers
        )
    }

    /// The finished batch. Resets the builder (keeping its settings) so the next batch can be appended.
    /// Throws when the batch would exceed `Limits.batchSizeBytesMax` after compression.
    public mutating func finish() throws(RecordFormatError) -> [UInt8] {
        defer { self.resetForNextBatch() }
        var batch: [UInt8]
        if self.compression == .none {
            batch = self.buffer
            // The batch takes the buffer; the next one starts with room for a batch of the same size.
            self.buffer = []
            self.buffer.reserveCapacity(batch.count)
        } else {
            batch = []
            batch.reserveCapacity(RecordBatchHeader.sizeBytes + self.buffer.count / 2)
            batch.append(contentsOf: [UInt8](repeating: 0, count: RecordBatchHeader.sizeBytes))
            try self.buffer.withBytes { (records) throws(RecordFormatError) in
                try self.compression.compress(records, appendingTo: &batch)
            }
        }
        guard batch.count <= Limits.batchSizeBytesMax else {
            throw .invalidBatchLength(Int32(clamping: batch.count - RecordBatchHeader.logOverheadBytes))
        }
        let header = self.makeHeader(totalSizeBytes: batch.count)
        batch.withUnsafeMutableBytes { bytes in
            header.write(into: bytes)
            RecordBatchValidator.stampChecksum(bytes)
        }
        return batch
    }

    private mutating func append(
        offsetDelta: Int32, timestampMs: Int64, key: [UInt8]?, value: [UInt8]?, headers: [RecordHeader]
    ) throws(RecordFormatError) {
        guard Int(self.recordCount) < Limits.batchRecordCountMax else { throw .invalidRecordCount(self.recordCount) }
        let baseTimestampMs = self.recordCount == 0 ? timestampMs : self.baseTimestampMs
        let (timestampDelta, overflow) = timestampMs.subtractingReportingOverflow(baseTimestampMs)
        guard !overflow else { throw .malformedRecord("timestamp \(timestampMs) is too far from the batch's first") }
        let bodySizeBytes = RecordWireWriter.bodySizeBytes(
            timestampDelta: timestampDelta, offsetDelta: offsetDelta, key: key, value: value, headers: headers)
        // Bounding the uncompressed size keeps every batch decodable under the default limit.
        guard bodySizeBytes <= CompressionCodec.decompressedSizeBytesMaxDefault - self.buffer.count - 5 else {
            throw .malformedRecord("batch would exceed \(CompressionCodec.decompressedSizeBytesMaxDefault) bytes")
        }
        RecordWireWriter.appendRecord(
            bodySizeBytes: bodySizeBytes, timestampDelta: timestampDelta, offsetDelta: offsetDelta,
            key: key, value: value, headers: headers, to: &self.buffer
        )
        self.baseTimestampMs = baseTimestampMs
        self.maxTimestampMs = self.recordCount == 0 ? timestampMs : max(self.maxTimestampMs, timestampMs)
        self.recordCount += 1
        self.lastOffsetDelta = offsetDelta
    }

    private func makeHeader(totalSizeBytes: Int) -> RecordBatchHeader {
        RecordBatchHeader(
            baseOffset: self.baseOffset,
            batchLengthBytes: Int32(totalSizeBytes - RecordBatchHeader.logOverheadBytes),
            partitionLeaderEpoch: self.partitionLeaderEpoch,
            magic: RecordBatchHeader.currentMagic,
            crc: 0,
            attributes: RecordBatchAttributes(compression: self.compression, isTransactional: self.isTransactional),
            // An empty batch still needs a non-negative delta; Kafka writes 0 there too.
            lastOffsetDelta: max(self.lastOffsetDelta, 0),
            baseTimestamp: self.baseTimestampMs,
            maxTimestamp: self.maxTimestampMs,
            producerId: self.producerId,
            producerEpoch: self.producerEpoch,
            baseSequence: self.baseSequence,
            recordCount: self.recordCount
        )
    }

    private mutating func resetForNextBatch() {
        self.recordCount = 0
        self.lastOffsetDelta = -1
        self.baseTimestampMs = -1
        self.maxTimestampMs = -1
        self.resetBuffer()
    }

    /// Empties the buffer, keeping its capacity, and reserves the header space an uncompressed batch needs.
    private mutating func resetBuffer() {
        self.buffer.removeAll(keepingCapacity: true)
        if self.compression == .none {
            self.buffer.append(contentsOf: [UInt8](repeating: 0, count: RecordBatchHeader.sizeBytes))
        }
    }
}
