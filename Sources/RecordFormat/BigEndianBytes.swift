/// Big-endian integer access at byte positions of raw buffers; the record format and the log both
/// read fixed-layout structures this way instead of copying them into Swift values field by field.
extension UnsafeRawBufferPointer {
    @inlinable
    public func readBigEndian<T: FixedWidthInteger>(_ type: T.Type, at offset: Int) -> T {
        precondition(offset >= 0 && offset + MemoryLayout<T>.size <= self.count, "read past the end of a buffer")
        return T(bigEndian: self.loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}

extension UnsafeMutableRawBufferPointer {
    @inlinable
    public func readBigEndian<T: FixedWidthInteger>(_ type: T.Type, at offset: Int) -> T {
        UnsafeRawBufferPointer(self).readBigEndian(type, at: offset)
    }

    @inlinable
    public func writeBigEndian<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        precondition(offset >= 0 && offset + MemoryLayout<T>.size <= self.count, "write past the end of a buffer")
        self.storeBytes(of: value.bigEndian, toByteOffset: offset, as: T.self)
    }
}
