import SluiceModel

/// The end of a transaction on one partition: a control batch (attributes bits 4 and 5, transactional and
/// control) carrying the producer's id and epoch, sequence -1, and exactly one record. Only the broker writes
/// them (Kafka calls them transaction markers); consumers skip them, and `read_committed` consumers use an
/// abort marker to stop dropping that producer's batches.
///
/// The record's key and value (big-endian), as Kafka defines them (`ControlRecordType`,
/// `EndTransactionMarker`):
///
/// ```
/// key:   offset size field
///             0    2 version          0
///             2    2 type             0 abort, 1 commit (other types are KRaft's, never in a data log)
/// value:      0    2 version          0
///             2    4 coordinatorEpoch the coordinator's epoch when it wrote the marker
/// ```
public struct ControlBatch: Equatable, Sendable {
    public enum MarkerType: Int16, Sendable {
        case abort = 0
        case commit = 1
    }

    public static let keyVersion: Int16 = 0
    public static let keySizeBytes = 4
    public static let valueVersion: Int16 = 0
    public static let valueSizeBytes = 6
    /// A marker batch is the 61-byte header and one record of about 20 bytes; anything claiming a control
    /// batch larger than this is not one Sluice (or Kafka) wrote.
    public static let sizeBytesMax = 256

    public var type: MarkerType
    public var producerId: Int64
    public var producerEpoch: Int16
    public var coordinatorEpoch: Int32

    public init(type: MarkerType, producerId: Int64, producerEpoch: Int16, coordinatorEpoch: Int32) {
        self.type = type
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.coordinatorEpoch = coordinatorEpoch
    }

    public var isCommit: Bool { self.type == .commit }

    /// The whole batch at base offset 0 (the log stamps the real one), its CRC stamped.
    public func encode(timestampMs: Int64) -> [UInt8] {
        var key: [UInt8] = []
        Self.append(Self.keyVersion, to: &key)
        Self.append(self.type.rawValue, to: &key)
        var value: [UInt8] = []
        Self.append(Self.valueVersion, to: &value)
        Self.append(self.coordinatorEpoch, to: &value)
        var builder = RecordBatchBuilder(
            producerId: self.producerId, producerEpoch: self.producerEpoch, baseSequence: -1, isTransactional: true
        )
        // One small uncompressed record: the builder cannot fail on it.
        try! builder.append(timestampMs: timestampMs, key: key, value: value)
        var batch = try! builder.finish()
        batch.withUnsafeMutableBytes { bytes in
            let attributes = RecordBatchAttributes(isTransactional: true, isControl: true)
            bytes.writeBigEndian(attributes.rawValue, at: RecordBatchHeader.attributesOffset)
            RecordBatchValidator.stampChecksum(bytes)
        }
        return batch
    }

    /// Reads the marker of the control batch at the start of `bytes` (validated: sizes and CRC). Throws when
    /// the batch is not a control batch of exactly one record whose key is an abort or commit marker.
    public init(parsing bytes: UnsafeRawBufferPointer) throws(RecordFormatError) {
        let header = try RecordBatchValidator.validate(bytes, batchSizeBytesMax: Self.sizeBytesMax)
        guard header.attributes.isControl, header.recordCount == 1 else {
            throw .malformedRecord("not a control batch of one record")
        }
        var markerType: Int16?
        var coordinatorEpoch: Int32 = -1
        try RecordBatchDecoder.forEachRecord(
            inValidatedBatch: bytes, header: header, decompressedSizeBytesMax: Self.sizeBytesMax
        ) { record in
            if let key = record.key, key.count >= Self.keySizeBytes, key.readBigEndian(Int16.self, at: 0) >= 0 {
                markerType = key.readBigEndian(Int16.self, at: 2)
            }
            if let value = record.value, value.count >= Self.valueSizeBytes {
                coordinatorEpoch = value.readBigEndian(Int32.self, at: 2)
            }
            return .stopVisiting
        }
        guard let markerType, let type = MarkerType(rawValue: markerType) else {
            throw .malformedRecord("control record is not an abort or commit marker")
        }
        self.init(type: type, producerId: header.producerId, producerEpoch: header.producerEpoch,
            coordinatorEpoch: coordinatorEpoch
        )
    }

    private static func append<Value: FixedWidthInteger>(_ value: Value, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }
}
