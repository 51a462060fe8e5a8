import SluiceModel

/// The fixed 61-byte header of a Kafka record batch, magic 2. Byte format (all big-endian):
///
/// ```
/// offset size field
///      0    8 baseOffset            first record's offset; assigned by the broker on append
///      8    4 batchLength           bytes after this field (so the batch is batchLength + 12 bytes)
///     12    4 partitionLeaderEpoch
///     16    1 magic                 2 (0 and 1 are Kafka's old formats, refused)
///     17    4 crc                   CRC-32C of every byte from `attributes` to the end of the batch
///     21    2 attributes            bits 0-2 compression, 3 timestamp type, 4 transactional, 5 control
///     23    4 lastOffsetDelta       offset of the last record minus baseOffset
///     27    8 baseTimestamp         first record's timestamp (ms)
///     35    8 maxTimestamp          largest record timestamp (ms)
///     43    8 producerId            -1 when not idempotent
///     51    2 producerEpoch
///     53    4 baseSequence
///     57    4 recordCount
///     61    - records (compressed as a whole when attributes say so)
/// ```
///
/// `baseOffset` and `partitionLeaderEpoch` are outside the CRC, so the broker can stamp offsets without
/// recomputing it; that is what lets batches be stored byte-for-byte as received.
public struct RecordBatchHeader: Equatable, Sendable {
    public static let sizeBytes = 61
    /// Bytes before the batch length's coverage starts: baseOffset (8) and batchLength (4).
    public static let logOverheadBytes = 12
    public static let magicOffset = 16
    public static let crcOffset = 17
    public static let attributesOffset = 21
    public static let baseTimestampOffset = 27
    public static let maxTimestampOffset = 35
    public static let currentMagic: Int8 = 2

    public var baseOffset: Int64
    public var batchLengthBytes: Int32
    public var partitionLeaderEpoch: Int32
    public var magic: Int8
    public var crc: UInt32
    public var attributes: RecordBatchAttributes
    public var lastOffsetDelta: Int32
    public var baseTimestamp: Int64
    public var maxTimestamp: Int64
    public var producerId: Int64
    public var producerEpoch: Int16
    public var baseSequence: Int32
    public var recordCount: Int32

    public init(
        baseOffset: Int64, batchLengthBytes: Int32, partitionLeaderEpoch: Int32, magic: Int8, crc: UInt32,
        attributes: RecordBatchAttributes, lastOffsetDelta: Int32, baseTimestamp: Int64, maxTimestamp: Int64,
        producerId: Int64, producerEpoch: Int16, baseSequence: Int32, recordCount: Int32
    ) {
        self.baseOffset = baseOffset
        self.batchLengthBytes = batchLengthBytes
        self.partitionLeaderEpoch = partitionLeaderEpoch
        self.magic = magic
        self.crc = crc
        self.attributes = attributes
        self.lastOffsetDelta = lastOffsetDelta
        self.baseTimestamp = baseTimestamp
        self.maxTimestamp = maxTimestamp
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.baseSequence = baseSequence
        self.recordCount = recordCount
    }

    /// The whole batch's size on disk and on the wire.
    public var totalSizeBytes: Int { Int(self.batchLengthBytes) + Self.logOverheadBytes }

    /// The offset of the batch's last record.
    public var lastOffset: Int64 { self.baseOffset + Int64(self.lastOffsetDelta) }

    /// Reads the header from the start of `bytes` without checking the CRC. Throws when fewer than 61
    /// bytes are there, when the magic is not 2, or when the batch length is impossible.
    public init(parsing bytes: UnsafeRawBufferPointer) throws(RecordFormatError) {
        guard bytes.count >= Self.magicOffset + 1 else {
            throw .truncated(neededBytes: Self.sizeBytes, availableBytes: bytes.count)
        }
        let magic = Int8(bitPattern: bytes[Self.magicOffset])
        guard magic == Self.currentMagic else { throw .unsupportedMagic(magic) }
        guard bytes.count >= Self.sizeBytes else {
            throw .truncated(neededBytes: Self.sizeBytes, availableBytes: bytes.count)
        }
        let batchLength = bytes.readBigEndian(Int32.self, at: 8)
        guard batchLength >= Int32(Self.sizeBytes - Self.logOverheadBytes),
              Int(batchLength) <= Limits.batchSizeBytesMax
        else {
            throw .invalidBatchLength(batchLength)
        }
        self.init(
            baseOffset: bytes.readBigEndian(Int64.self, at: 0),
            batchLengthBytes: batchLength,
            partitionLeaderEpoch: bytes.readBigEndian(Int32.self, at: 12),
            magic: magic,
            crc: bytes.readBigEndian(UInt32.self, at: Self.crcOffset),
            attributes: RecordBatchAttributes(rawValue: bytes.readBigEndian(Int16.self, at: Self.attributesOffset)),
            lastOffsetDelta: bytes.readBigEndian(Int32.self, at: 23),
            baseTimestamp: bytes.readBigEndian(Int64.self, at: Self.baseTimestampOffset),
            maxTimestamp: bytes.readBigEndian(Int64.self, at: Self.maxTimestampOffset),
            producerId: bytes.readBigEndian(Int64.self, at: 43),
            producerEpoch: bytes.readBigEndian(Int16.self, at: 51),
            baseSequence: bytes.readBigEndian(Int32.self, at: 53),
            recordCount: bytes.readBigEndian(Int32.self, at: 57)
        )
    }

    /// Writes the header's 61 bytes into the start of `bytes` (which must hold at least that many).
    /// The CRC written is `self.crc`; use `RecordBatchValidator.stampChecksum` after filling the records.
    public func write(into bytes: UnsafeMutableRawBufferPointer) {
        precondition(bytes.count >= Self.sizeBytes, "a record batch header needs 61 bytes")
        bytes.writeBigEndian(self.baseOffset, at: 0)
        bytes.writeBigEndian(self.batchLengthBytes, at: 8)
        bytes.writeBigEndian(self.partitionLeaderEpoch, at: 12)
        bytes[Self.magicOffset] = UInt8(bitPattern: self.magic)
        bytes.writeBigEndian(self.crc, at: Self.crcOffset)
        bytes.writeBigEndian(self.attributes.rawValue, at: Self.attributesOffset)
        bytes.writeBigEndian(self.lastOffsetDelta, at: 23)
        bytes.writeBigEndian(self.baseTimestamp, at: Self.baseTimestampOffset)
        bytes.writeBigEndian(self.maxTimestamp, at: Self.maxTimestampOffset)
        bytes.writeBigEndian(self.producerId, at: 43)
        bytes.writeBigEndian(self.producerEpoch, at: 51)
        bytes.writeBigEndian(self.baseSequence, at: 53)
        bytes.writeBigEndian(self.recordCount, at: 57)
    }
}

/// The attributes bit field of a record batch.
public struct RecordBatchAttributes: Equatable, Sendable {
    /// Bit 3: the batch's max timestamp is the broker's append time (LogAppendTime).
    public static let logAppendTimeFlag: Int16 = 1 << 3

    public var rawValue: Int16

    public init(rawValue: Int16) {
        self.rawValue = rawValue
    }

    public init(
        compression: CompressionCodec = .none, logAppendTime: Bool = false,
        isTransactional: Bool = false, isControl: Bool = false
    ) {
        var raw = Int16(compression.rawValue)
        if logAppendTime { raw |= Self.logAppendTimeFlag }
        if isTransactional { raw |= 1 << 4 }
        if isControl { raw |= 1 << 5 }
        self.rawValue = raw
    }

    /// The codec number in bits 0-2; may be one Kafka does not define (see `compression`).
    public var compressionCodecNumber: Int { Int(self.rawValue & 0x7) }

    /// The codec, or nil when the number is not one Kafka defines.
    public var compression: CompressionCodec? { CompressionCodec(rawValue: self.compressionCodecNumber) }

    public var isLogAppendTime: Bool { self.rawValue & Self.logAppendTimeFlag != 0 }
    public var isTransactional: Bool { self.rawValue & (1 << 4) != 0 }
    public var isControl: Bool { self.rawValue & (1 << 5) != 0 }
}

/// Kafka's compression codecs, by their attribute number.
public enum CompressionCodec: Int, Sendable, CaseIterable, CustomStringConvertible {
    case none = 0
    case gzip = 1
    case snappy = 2
    case lz4 = 3
    case zstd = 4

    public var description: String {
        switch self {
        case .none: return "none"
        case .gzip: return "gzip"
        case .snappy: return "snappy"
        case .lz4: return "lz4"
        case .zstd: return "zstd"
        }
    }

    public init?(name: String) {
        guard let codec = Self.allCases.first(where: { $0.description == name.lowercased() }) else { return nil }
        self = codec
    }
}
