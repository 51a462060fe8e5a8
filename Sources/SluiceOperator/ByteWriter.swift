/// Appends protocol encodings to one reusable `[UInt8]`. Callers check sizes against the frame limit before
/// writing (see `Context.produce`); this type only encodes.
///
/// The array is kept at its high-water size and `count` says how much of it is the frame, so an append is a
/// capacity check and a store rather than a trip through `Array.append(contentsOf:)`.
struct ByteWriter {
    private var storage: [UInt8]
    /// The bytes written so far: `storage[0..<count]`.
    private(set) var count = 0

    init(capacity: Int = 0) {
        self.storage = [UInt8](repeating: 0, count: max(capacity, 64))
    }

    /// A copy of the bytes written (tests and cold paths; the hot path uses `withUnsafeBytes`).
    var bytes: [UInt8] { Array(self.storage[0..<self.count]) }

    func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try self.storage.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[0..<self.count])) }
    }

    /// Empties the buffer, keeping its size for the next frame.
    mutating func removeAll() {
        self.count = 0
    }

    @inline(__always)
    private mutating func reserve(_ size: Int) {
        if self.count + size > self.storage.count {
            self.grow(toHold: self.count + size)
        }
    }

    @inline(never)
    private mutating func grow(toHold size: Int) {
        var storage = [UInt8](repeating: 0, count: max(size, self.storage.count * 2))
        let count = self.count
        self.storage.withUnsafeBytes { old in
            storage.withUnsafeMutableBytes { $0.baseAddress!.copyMemory(from: old.baseAddress!, byteCount: count) }
        }
        self.storage = storage
    }

    @inline(__always)
    mutating func append<T: FixedWidthInteger>(_ value: T) {
        let size = MemoryLayout<T>.size
        self.reserve(size)
        let position = self.count
        self.storage.withUnsafeMutableBytes { $0.storeBytes(of: value.bigEndian, toByteOffset: position, as: T.self) }
        self.count += size
    }

    @inline(__always)
    mutating func append(contentsOf source: UnsafeRawBufferPointer) {
        guard source.count > 0 else { return }
        self.reserve(source.count)
        let position = self.count
        self.storage.withUnsafeMutableBytes {
            ($0.baseAddress! + position).copyMemory(from: source.baseAddress!, byteCount: source.count)
        }
        self.count += source.count
    }

    @inline(__always)
    mutating func append(contentsOf source: [UInt8]) {
        source.withUnsafeBytes { self.append(contentsOf: $0) }
    }

    /// Appends what another writer holds.
    mutating func append(contentsOf other: ByteWriter) {
        other.withUnsafeBytes { self.append(contentsOf: $0) }
    }

    mutating func append(utf8 text: String) {
        var text = text
        text.withUTF8 { self.append(contentsOf: UnsafeRawBufferPointer($0)) }
    }

    /// A `bytes` field: `u32` length (0xFFFFFFFF for nil), then the bytes.
    @inline(__always)
    mutating func appendBytes(_ value: [UInt8]?) {
        guard let value else {
            self.append(OperatorLimits.nullBytesLength)
            return
        }
        self.append(UInt32(value.count))
        self.append(contentsOf: value)
    }

    /// A `string` field. The caller has checked that it fits a `u16` length.
    mutating func appendString(_ value: String) {
        precondition(value.utf8.count <= OperatorLimits.stringLengthMax, "string longer than its u16 length")
        self.append(UInt16(value.utf8.count))
        self.append(utf8: value)
    }

    /// A `headers` field. The caller has checked the count and key lengths.
    @inline(__always)
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
        precondition(position + 4 <= self.count, "patch past the end")
        self.storage.withUnsafeMutableBytes { $0.storeBytes(of: value.bigEndian, toByteOffset: position, as: UInt32.self) }
    }

    /// Starts a frame: a `u32` length placeholder and the type byte. Returns where the frame starts.
    mutating func beginFrame(type: UInt8) -> Int {
        let start = self.count
        self.append(UInt32(0))
        self.append(type)
        return start
    }

    /// Fills in the length of the frame begun at `start`.
    mutating func endFrame(startingAt start: Int) {
        let length = self.count - start - OperatorLimits.frameLengthFieldSize
        precondition(length >= 1 && length <= OperatorLimits.frameLengthMax, "frame length \(length) out of bounds")
        self.patch(UInt32(length), at: start)
    }
}
