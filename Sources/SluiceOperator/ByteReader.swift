/// A bounds-checked cursor over one frame's body. Every read checks the bytes left and throws `.malformedFrame`
/// past the end; counts are checked against the bytes left before anyone allocates for them.
struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    private(set) var position: Int

    init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
        self.position = 0
    }

    var remaining: Int { self.bytes.count - self.position }

    @inline(__always)
    mutating func read<T: FixedWidthInteger>(_: T.Type) throws -> T {
        let size = MemoryLayout<T>.size
        guard self.remaining >= size else {
            throw OperatorError.malformed("\(size)-byte integer at \(self.position) past the end (\(self.bytes.count))")
        }
        let value = self.bytes.loadUnaligned(fromByteOffset: self.position, as: T.self)
        self.position += size
        return T(bigEndian: value)
    }

    /// A `bytes` field as a range of `bytes`, nil when null. No copy.
    @inline(__always)
    mutating func readBytesRange() throws -> Range<Int>? {
        let length = try self.read(UInt32.self)
        if length == OperatorLimits.nullBytesLength {
            return nil
        }
        guard Int(length) <= self.remaining else {
            throw OperatorError.malformed("bytes of length \(length) at \(self.position) past the end (\(self.bytes.count))")
        }
        let start = self.position
        self.position += Int(length)
        return start..<self.position
    }

    /// A `bytes` field copied into an array, nil when null.
    mutating func readBytes() throws -> [UInt8]? {
        guard let range = try self.readBytesRange() else { return nil }
        return Array(UnsafeRawBufferPointer(rebasing: self.bytes[range]))
    }

    /// A `string` field; invalid UTF-8 is repaired rather than rejected, as a log line would be.
    mutating func readString() throws -> String {
        let length = Int(try self.read(UInt16.self))
        guard length <= self.remaining else {
            throw OperatorError.malformed("string of length \(length) at \(self.position) past the end (\(self.bytes.count))")
        }
        let start = self.position
        self.position += length
        return String(decoding: UnsafeRawBufferPointer(rebasing: self.bytes[start..<self.position]), as: UTF8.self)
    }

    /// Skips a `string` field (already known to be in bounds or checked here).
    @inline(__always)
    mutating func skipString() throws {
        let length = Int(try self.read(UInt16.self))
        guard length <= self.remaining else {
            throw OperatorError.malformed("string of length \(length) at \(self.position) past the end (\(self.bytes.count))")
        }
        self.position += length
    }

    /// A `u32` count of elements at least `elementSizeMin` bytes each, refused if they cannot fit in what is left.
    @inline(__always)
    mutating func readCount32(elementSizeMin: Int, of what: String) throws -> Int {
        let count = Int(try self.read(UInt32.self))
        try self.checkCount(count, elementSizeMin: elementSizeMin, of: what)
        return count
    }

    /// A `u16` count, checked like `readCount32`.
    @inline(__always)
    mutating func readCount16(elementSizeMin: Int, of what: String) throws -> Int {
        let count = Int(try self.read(UInt16.self))
        try self.checkCount(count, elementSizeMin: elementSizeMin, of: what)
        return count
    }

    @inline(__always)
    private func checkCount(_ count: Int, elementSizeMin: Int, of what: String) throws {
        // count < 2^32 and elementSizeMin is small, so the product cannot overflow an Int.
        guard count * elementSizeMin <= self.remaining else {
            throw OperatorError.malformed(
                "\(count) \(what) at \(self.position) cannot fit in the \(self.remaining) bytes left"
            )
        }
    }

    /// Refuses bytes left over after the body.
    func expectEnd() throws {
        guard self.remaining == 0 else {
            throw OperatorError.malformed("\(self.remaining) bytes left over after the body")
        }
    }
}
