import RecordFormat

/// SplitMix64: a seeded generator so random tests fail the same way every run.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        self.state = seed
    }

    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = self.state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }
}

enum TestBytes {
    static func random(count: Int, using generator: inout SeededGenerator) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    /// Bytes that compress well: a few words repeated with variations, like typical record values.
    static func compressible(count: Int) -> [UInt8] {
        let words = ["sluice", "batch", "record", "offset", "kafka", "log"]
        var bytes: [UInt8] = []
        var index = 0
        while bytes.count < count {
            bytes.append(contentsOf: words[index % words.count].utf8)
            bytes.append(UInt8(ascii: "0") + UInt8(index % 10))
            index += 1
        }
        return Array(bytes.prefix(count))
    }

    /// Decodes hex, ignoring whitespace and newlines (fixtures are wrapped across lines).
    static func fromHex(_ hex: String) -> [UInt8] {
        let digits = hex.utf8.filter { !($0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\n")) }
        precondition(digits.count % 2 == 0, "odd number of hex digits")
        func value(_ digit: UInt8) -> UInt8 {
            switch digit {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return digit - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return digit - UInt8(ascii: "a") + 10
            default: preconditionFailure("not a lowercase hex digit")
            }
        }
        return stride(from: 0, to: digits.count, by: 2).map { value(digits[$0]) << 4 | value(digits[$0 + 1]) }
    }
}

enum TestBatches {
    /// Builds a batch from `records`, keeping their offsets and timestamps.
    static func build(
        _ records: [Record], compression: CompressionCodec = .none, baseOffset: Int64 = 0
    ) throws -> [UInt8] {
        var builder = RecordBatchBuilder(compression: compression, baseOffset: baseOffset)
        for record in records {
            try builder.append(record)
        }
        return try builder.finish()
    }

    /// Records with every shape a batch must carry: null and empty keys and values, headers with
    /// null and empty values, a timestamp before the first record's.
    static func variedRecords(baseOffset: Int64 = 0, timestampMs: Int64 = 1_700_000_000_000) -> [Record] {
        [
            Record(offset: baseOffset, timestampMs: timestampMs, key: Array("key-0".utf8), value: Array("v".utf8)),
            Record(offset: baseOffset + 1, timestampMs: timestampMs + 5, key: nil, value: nil),
            Record(offset: baseOffset + 2, timestampMs: timestampMs - 10, key: [], value: []),
            Record(
                offset: baseOffset + 3, timestampMs: timestampMs + 1,
                key: [0, 255], value: Array(repeating: 7, count: 300),
                headers: [
                    RecordHeader(key: "trace-id", value: Array("abc".utf8)),
                    RecordHeader(key: "null-value", value: nil),
                    RecordHeader(key: "", value: []),
                    RecordHeader(key: "ünïcödé", value: [1, 2, 3]),
                ]
            ),
        ]
    }

    /// `count` records with consecutive offsets and rising timestamps.
    static func manyRecords(count: Int, baseOffset: Int64 = 0, timestampMs: Int64 = 1_700_000_000_000) -> [Record] {
        (0..<count).map { index in
            Record(
                offset: baseOffset + Int64(index), timestampMs: timestampMs + Int64(index / 3),
                key: Array("key-\(index % 97)".utf8), value: TestBytes.compressible(count: index % 200),
                headers: index % 10 == 0 ? [RecordHeader(key: "n", value: Array("\(index)".utf8))] : []
            )
        }
    }

    /// Runs `body` on the batch bytes as a raw buffer.
    static func withBytes<Result>(
        _ batch: [UInt8], _ body: (UnsafeRawBufferPointer) throws -> Result
    ) rethrows -> Result {
        try batch.withUnsafeBytes { try body($0) }
    }

    /// Rewrites the CRC after a test edits covered bytes on purpose.
    static func restamp(_ batch: inout [UInt8]) {
        batch.withUnsafeMutableBytes { RecordBatchValidator.stampChecksum($0) }
    }
}
