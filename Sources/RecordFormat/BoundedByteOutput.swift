/// A growing output buffer for decompressors that refuses to grow past a limit, so a small
/// compressed input that expands enormously (a decompression bomb) fails instead of exhausting memory.
///
/// The capacity stops at `sizeBytesMax + 1`: one byte past the limit is enough to tell "exactly at the
/// limit and finished" from "more is coming", without a decoder needing to report its end in advance.
struct BoundedByteOutput {
    private var bytes: [UInt8]
    private(set) var writtenBytes = 0
    let sizeBytesMax: Int

    init(initialCapacityBytes: Int, sizeBytesMax: Int) {
        precondition(sizeBytesMax >= 0, "a size limit cannot be negative")
        self.sizeBytesMax = sizeBytesMax
        self.bytes = [UInt8](repeating: 0, count: max(1, min(initialCapacityBytes, sizeBytesMax + 1)))
    }

    /// Lets `body` write into the free space (growing it first when there is none); `body` returns
    /// how many bytes it wrote and a result. Throws once more than `sizeBytesMax` bytes are written.
    mutating func writeIntoFreeSpace<Result>(
        _ body: (UnsafeMutableRawBufferPointer) -> (writtenBytes: Int, result: Result)
    ) throws(RecordFormatError) -> Result {
        if self.writtenBytes == self.bytes.count {
            let grownCount = min(self.bytes.count * 2, self.sizeBytesMax + 1)
            _ = self.bytes.appendZeroedSpace(count: grownCount - self.bytes.count)
        }
        let start = self.writtenBytes
        let (written, result) = self.bytes.withUnsafeMutableBytes { allBytes in
            body(UnsafeMutableRawBufferPointer(rebasing: allBytes[start...]))
        }
        precondition(written >= 0 && start + written <= self.bytes.count, "decoder wrote past its free space")
        self.writtenBytes += written
        guard self.writtenBytes <= self.sizeBytesMax else {
            throw .decompressionFailed("output exceeds the limit of \(self.sizeBytesMax) bytes")
        }
        return result
    }

    /// The bytes written, the unused capacity dropped.
    consuming func finish() -> [UInt8] {
        self.bytes.removeLast(self.bytes.count - self.writtenBytes)
        return self.bytes
    }
}
