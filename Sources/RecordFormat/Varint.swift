/// Kafka's variable-length integers: base-128, least significant group first, high bit meaning "more".
///
/// Records use the zigzag forms (`varint` for 32-bit, `varlong` for 64-bit fields), so small negative
/// numbers such as the -1 of a null key stay one byte. The flexible versions of the wire protocol use
/// the unsigned forms. Decoding is strict: a 32-bit value takes at most 5 bytes, a 64-bit one at most 10,
/// and a last byte carrying bits past the type's width is an overflow, not something to truncate.
public enum Varint {
    /// The most bytes a 32-bit varint may take.
    public static let sizeBytesMax32 = 5
    /// The most bytes a 64-bit varint may take.
    public static let sizeBytesMax64 = 10

    // MARK: Zigzag

    public static func zigZagEncode(_ value: Int32) -> UInt32 {
        UInt32(bitPattern: (value << 1) ^ (value >> 31))
    }

    public static func zigZagEncode(_ value: Int64) -> UInt64 {
        UInt64(bitPattern: (value << 1) ^ (value >> 63))
    }

    public static func zigZagDecode(_ value: UInt32) -> Int32 {
        Int32(bitPattern: (value >> 1) ^ (0 &- (value & 1)))
    }

    public static func zigZagDecode(_ value: UInt64) -> Int64 {
        Int64(bitPattern: (value >> 1) ^ (0 &- (value & 1)))
    }

    // MARK: Sizes

    /// Bytes the unsigned varint encoding of `value` takes (1...10).
    public static func sizeBytes(unsigned value: UInt64) -> Int {
        // Each byte carries 7 bits; a zero still takes one byte.
        let significantBits = 64 - (value | 1).leadingZeroBitCount
        return (significantBits + 6) / 7
    }

    /// Bytes the zigzag encoding of `value` takes; valid for `Int32` fields too (same bytes).
    public static func sizeBytes(zigZag value: Int64) -> Int {
        self.sizeBytes(unsigned: self.zigZagEncode(value))
    }

    // MARK: Encoding

    public static func appendUnsigned(_ value: UInt64, to bytes: inout [UInt8]) {
        var remaining = value
        while remaining >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: remaining) | 0x80)
            remaining >>= 7
        }
        bytes.append(UInt8(truncatingIfNeeded: remaining))
    }

    public static func appendUnsigned(_ value: UInt32, to bytes: inout [UInt8]) {
        self.appendUnsigned(UInt64(value), to: &bytes)
    }

    /// Appends a zigzag varint (a record's 32-bit fields: offset delta, lengths, header count).
    public static func appendZigZag(_ value: Int32, to bytes: inout [UInt8]) {
        self.appendUnsigned(UInt64(self.zigZagEncode(value)), to: &bytes)
    }

    /// Appends a zigzag varlong (a record's timestamp delta).
    public static func appendZigZag(_ value: Int64, to bytes: inout [UInt8]) {
        self.appendUnsigned(self.zigZagEncode(value), to: &bytes)
    }

    // MARK: Decoding

    /// Reads an unsigned varint of at most 32 bits at `position`, advancing it past the bytes read.
    public static func readUnsigned32(
        _ bytes: UnsafeRawBufferPointer, at position: inout Int
    ) throws(RecordFormatError) -> UInt32 {
        let value = try self.readUnsigned(bytes, at: &position, sizeBytesMax: self.sizeBytesMax32)
        return UInt32(truncatingIfNeeded: value)
    }

    /// Reads an unsigned varint of at most 64 bits at `position`, advancing it past the bytes read.
    public static func readUnsigned64(
        _ bytes: UnsafeRawBufferPointer, at position: inout Int
    ) throws(RecordFormatError) -> UInt64 {
        try self.readUnsigned(bytes, at: &position, sizeBytesMax: self.sizeBytesMax64)
    }

    /// Reads a zigzag varint (32-bit) at `position`, advancing it past the bytes read.
    public static func readZigZag32(
        _ bytes: UnsafeRawBufferPointer, at position: inout Int
    ) throws(RecordFormatError) -> Int32 {
        self.zigZagDecode(try self.readUnsigned32(bytes, at: &position))
    }

    /// Reads a zigzag varlong (64-bit) at `position`, advancing it past the bytes read.
    public static func readZigZag64(
        _ bytes: UnsafeRawBufferPointer, at position: inout Int
    ) throws(RecordFormatError) -> Int64 {
        self.zigZagDecode(try self.readUnsigned64(bytes, at: &position))
    }

    /// The shared decoding loop. `sizeBytesMax` is 5 or 10; the last allowed byte may only carry the
    /// bits left in the type (4 of 32, 1 of 64), so no encoding silently wraps around.
    static func readUnsigned(
        _ bytes: UnsafeRawBufferPointer, at position: inout Int, sizeBytesMax: Int
    ) throws(RecordFormatError) -> UInt64 {
        var value: UInt64 = 0
        var index = position
        for byteNumber in 0..<sizeBytesMax {
            guard index < bytes.count else {
                throw .malformedRecord("varint runs past the end of its buffer")
            }
            let byte = bytes[index]
            index += 1
            if byteNumber == sizeBytesMax - 1 {
                let bitsLeft = (sizeBytesMax == self.sizeBytesMax32 ? 32 : 64) - 7 * byteNumber
                guard byte >> bitsLeft == 0 else {
                    throw .malformedRecord("varint longer than \(sizeBytesMax) bytes or overflowing")
                }
            }
            value |= UInt64(byte & 0x7F) << (7 * byteNumber)
            if byte & 0x80 == 0 {
                position = index
                return value
            }
        }
        preconditionFailure("unreachable: the last byte's continuation bit is rejected above")
    }
}
