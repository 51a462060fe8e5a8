/// Appends protocol encodings to a reusable `[UInt8]`. Callers check sizes against the frame limit before
/// writing (see `Context.produce`); this type only encodes.
struct ByteWriter {
    var bytes: [UInt8]

    init(capacity: Int = 0) {
        self.bytes = []
        self.bytes.reserveCapacity(capacity)
    }

    var count: Int { self.bytes.count }

    /// Empties the buffer, keeping its capacity for the next frame.
    mutating func removeAll() {
        self.bytes.removeAll(keepingCapacity: true)
    }

    @inline(__always)
    mutating func append<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.bigEndian) { self.bytes.append(contentsOf: $0) }
    }

    /// A `bytes` field: `u32` length (0xFFFFFFFF for nil), then the bytes.
    @inline(__always)
    mutating func appendBytes(_ value: [UInt8]?) {
        guard let value else {
            self.append(OperatorLimits.nullBytesLength)
            return
        }
        self.append(UInt32(value.count))
        self.bytes.append(contentsOf: value)
    }

    /// A `string` field. The caller has checked that it fits a `u16` length.
    mutating func appendString(_ value: String) {
        precondition(value.utf8.count <= OperatorLimits.stringLengthMax, "string longer than its u16 length")
        self.append(UInt16(value.utf8.count))
        self.bytes.append(contentsOf: value.utf8)
    }

    /// A `headers` field. The caller has checked the count and key lengths.
    mutating func appendHeaders(_ headers: [Header]) {
        precondition(headers.count <= OperatorLimits.listCountMax, "more headers than a u16 count")
        self.append(UInt16(headers.count))
        for header in headers {
            self.appendString(header.key)
            self.appendBytes(header.value)
        }
    }

    /// Overwrites a `u32` written earlier (a length or count placeholder).
    mutating func patch(_ value: UInt32, at position: Int) {
        precondition(position + 4 <= self.bytes.count, "patch past the end")
        withUnsafeBytes(of: value.bigEndian) { source in
            self.bytes.withUnsafeMutableBytes { target in
                target.baseAddress!.advanced(by: position).copyMemory(from: source.baseAddress!, byteCount: 4)
            }
        }
    }

    /// Starts a frame: a `u32` length placeholder and the type byte. Returns where the frame starts.
    mutating func beginFrame(type: UInt8) -> Int {
        let start = self.bytes.count
        self.append(UInt32(0))
        self.append(type)
        return start
    }

    /// Fills in the length of the frame begun at `start`.
    mutating func endFrame(startingAt start: Int) {
        let length = self.bytes.count - start - OperatorLimits.frameLengthFieldSize
        precondition(length >= 1 && length <= OperatorLimits.frameLengthMax, "frame length \(length) out of bounds")
        self.patch(UInt32(length), at: start)
    }
}
