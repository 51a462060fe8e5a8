/// What a record visitor wants next.
public enum RecordVisitDecision: Sendable {
    case continueVisiting
    case stopVisiting
}

/// Reads the records of one batch: validates it (`RecordBatchValidator`), decompresses the records
/// section when the batch is compressed, and decodes each record with absolute offsets and timestamps.
public enum RecordBatchDecoder {
    /// Visits the records of the batch at the start of `bytes` in order, without allocating per
    /// record (a compressed batch is decompressed into one buffer first). Returns the batch's header.
    /// The views are valid only inside `body`.
    @discardableResult
    public static func forEachRecord(
        inBatch bytes: UnsafeRawBufferPointer,
        decompressedSizeBytesMax: Int = CompressionCodec.decompressedSizeBytesMaxDefault,
        _ body: (RecordView) -> RecordVisitDecision
    ) throws(RecordFormatError) -> RecordBatchHeader {
        let header = try RecordBatchValidator.validate(bytes)
        try self.forEachRecord(
            inValidatedBatch: bytes, header: header, decompressedSizeBytesMax: decompressedSizeBytesMax, body)
        return header
    }

    /// Decodes every record of the batch at the start of `bytes` into owning values.
    public static func decodeRecords(
        inBatch bytes: UnsafeRawBufferPointer,
        decompressedSizeBytesMax: Int = CompressionCodec.decompressedSizeBytesMaxDefault
    ) throws(RecordFormatError) -> [Record] {
        var records: [Record] = []
        let header = try RecordBatchValidator.validate(bytes)
        // The count is claimed by the sender; reserving no more than one record per batch byte keeps a
        // small batch that claims a million records from reserving memory for them.
        records.reserveCapacity(min(Int(header.recordCount), header.totalSizeBytes))
        try self.forEachRecord(
            inValidatedBatch: bytes, header: header, decompressedSizeBytesMax: decompressedSizeBytesMax
        ) { view in
            records.append(view.makeRecord())
            return .continueVisiting
        }
        return records
    }

    /// `decodeRecords(inBatch:decompressedSizeBytesMax:)` for a batch held in an array.
    public static func decodeRecords(
        inBatch bytes: [UInt8],
        decompressedSizeBytesMax: Int = CompressionCodec.decompressedSizeBytesMaxDefault
    ) throws(RecordFormatError) -> [Record] {
        try bytes.withBytes { (batch) throws(RecordFormatError) in
            try self.decodeRecords(inBatch: batch, decompressedSizeBytesMax: decompressedSizeBytesMax)
        }
    }

    /// The shared walk over a batch whose header `RecordBatchValidator` has already accepted.
    static func forEachRecord(
        inValidatedBatch bytes: UnsafeRawBufferPointer,
        header: RecordBatchHeader,
        decompressedSizeBytesMax: Int,
        _ body: (RecordView) -> RecordVisitDecision
    ) throws(RecordFormatError) {
        let section = UnsafeRawBufferPointer(rebasing: bytes[RecordBatchHeader.sizeBytes..<header.totalSizeBytes])
        // The validator refuses unknown codec numbers, so `compression` is never nil here.
        let codec = header.attributes.compression ?? .none
        if codec == .none {
            try self.walkRecords(section, header: header, body)
            return
        }
        let decompressed = try codec.decompress(section, sizeBytesMax: decompressedSizeBytesMax)
        try decompressed.withBytes { (records) throws(RecordFormatError) in
            try self.walkRecords(records, header: header, body)
        }
    }

    /// Reads exactly `header.recordCount` records that must fill `records` completely.
    private static func walkRecords(
        _ records: UnsafeRawBufferPointer, header: RecordBatchHeader, _ body: (RecordView) -> RecordVisitDecision
    ) throws(RecordFormatError) {
        // LogAppendTime batches carry the broker's append time once, in maxTimestamp, for every record.
        let logAppendTimeMs = header.attributes.isLogAppendTime ? header.maxTimestamp : nil
        var position = 0
        for _ in 0..<header.recordCount {
            let view = try RecordWireReader.readRecord(
                records, at: &position,
                baseOffset: header.baseOffset, baseTimestampMs: header.baseTimestamp, logAppendTimeMs: logAppendTimeMs
            )
            if body(view) == .stopVisiting { return }
        }
        guard position == records.count else {
            throw .malformedRecord("\(records.count - position) bytes after the batch's last record")
        }
    }
}
