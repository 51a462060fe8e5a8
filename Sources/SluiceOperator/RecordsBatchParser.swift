/// Parses a Records body in place: one bounds-checked pass that records where each field is, into an array
/// reused from batch to batch, so a batch costs no allocation beyond the key and value arrays `Record` hands out.
/// The whole body is validated before the first record is processed, so a malformed batch runs no user code.
struct RecordsBatchParser {
    /// Where one record's fields are in the body. A null key or value has a count of -1.
    struct Slot {
        var inputIndex: UInt16
        var partition: Int32
        var offset: Int64
        var timestampMs: Int64
        var keyStart: Int
        var keyCount: Int
        var valueStart: Int
        var valueCount: Int
        /// Where the `headers` field starts, and its count (0: nothing to parse).
        var headersStart: Int
        var headerCount: Int
    }

    private(set) var slots: [Slot] = []

    /// Parses `body` (of a Records frame) and returns its batch id; `slots` then describe its records. A record
    /// whose input index is not below `inputCount` makes the frame malformed.
    mutating func parse(_ body: UnsafeRawBufferPointer, inputCount: Int) throws -> UInt64 {
        var reader = ByteReader(body)
        let batchId = try reader.read(UInt64.self)
        let count = try reader.readCount32(elementSizeMin: OperatorLimits.recordSizeMin, of: "records")
        self.slots.removeAll(keepingCapacity: true)
        self.slots.reserveCapacity(count)
        for _ in 0..<count {
            let inputIndex = try reader.read(UInt16.self)
            guard Int(inputIndex) < inputCount else {
                throw OperatorError.malformed("a record has input index \(inputIndex) but \(inputCount) inputs are declared")
            }
            let partition = try reader.read(Int32.self)
            let offset = try reader.read(Int64.self)
            let timestampMs = try reader.read(Int64.self)
            let key = try reader.readBytesRange()
            let value = try reader.readBytesRange()
            let headersStart = reader.position
            let headerCount = try reader.readCount16(elementSizeMin: OperatorLimits.headerSizeMin, of: "headers")
            for _ in 0..<headerCount {
                try reader.skipString()
                _ = try reader.readBytesRange()
            }
            self.slots.append(
                Slot(
                    inputIndex: inputIndex, partition: partition, offset: offset, timestampMs: timestampMs,
                    keyStart: key?.lowerBound ?? 0, keyCount: key?.count ?? -1,
                    valueStart: value?.lowerBound ?? 0, valueCount: value?.count ?? -1,
                    headersStart: headersStart, headerCount: headerCount
                )
            )
        }
        try reader.expectEnd()
        return batchId
    }

    /// The key of a slot as a new array (nil when null). `body` must be the one parsed.
    @inline(__always)
    static func bytes(_ body: UnsafeRawBufferPointer, start: Int, count: Int) -> [UInt8]? {
        guard count >= 0 else { return nil }
        return Array(UnsafeRawBufferPointer(rebasing: body[start..<(start + count)]))
    }

    /// The headers of a slot. `body` must be the one parsed, so the fields are known to be in bounds.
    static func headers(_ body: UnsafeRawBufferPointer, of slot: Slot) -> [Header] {
        guard slot.headerCount > 0 else { return [] }
        var reader = ByteReader(UnsafeRawBufferPointer(rebasing: body[slot.headersStart...]))
        do {
            return try Self.readHeaders(&reader)
        } catch {
            preconditionFailure("headers validated by parse failed to read again: \(error)")
        }
    }

    /// A `headers` field.
    static func readHeaders(_ reader: inout ByteReader) throws -> [Header] {
        let count = try reader.readCount16(elementSizeMin: OperatorLimits.headerSizeMin, of: "headers")
        var headers: [Header] = []
        headers.reserveCapacity(count)
        for _ in 0..<count {
            let key = try reader.readString()
            let value = try reader.readBytes()
            headers.append(Header(key: key, value: value))
        }
        return headers
    }

    /// The wire record a slot describes.
    static func wireRecord(_ body: UnsafeRawBufferPointer, of slot: Slot) -> WireRecord {
        WireRecord(
            inputIndex: slot.inputIndex, partition: slot.partition, offset: slot.offset,
            timestampMs: slot.timestampMs,
            key: Self.bytes(body, start: slot.keyStart, count: slot.keyCount),
            value: Self.bytes(body, start: slot.valueStart, count: slot.valueCount),
            headers: Self.headers(body, of: slot)
        )
    }
}
