import LogStore
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// Sends fetched segment bytes on a TLS connection, where sendfile cannot be used (the kernel would bypass
/// the encryption): the slice is read from the page cache in chunks into one buffer that the connection
/// keeps, and each chunk is flushed on its own.
///
/// Why chunks: the TLS handler encrypts on flush. Flushing a megabyte at once makes the client wait for the
/// whole of it to be read and encrypted before its first byte leaves, then the broker waits while the client
/// decrypts; flushed chunk by chunk, the client decrypts one chunk while the broker encrypts the next.
/// Why one kept buffer: the TLS handler has copied a chunk into its records by the time the flush returns,
/// so the buffer is free again and its pages stay mapped, where a fresh megabyte per fetch faulted every
/// page in. (Were it still referenced, writing into it would copy first: never wrong, only slower.)
struct SliceCopier {
    static let chunkBytes = 256 * 1024

    private var buffer: ByteBuffer?

    /// Reads `slice` chunk by chunk and hands each chunk to `send`, which writes and flushes it; the chunk's
    /// buffer is reused for the next one once `send` has let go of it.
    mutating func write(
        _ slice: FileSlice, allocator: ByteBufferAllocator, send: (ByteBuffer) -> Void
    ) throws {
        var doneBytes = 0
        while doneBytes < slice.sizeBytes {
            let chunkBytes = min(Self.chunkBytes, slice.sizeBytes - doneBytes)
            var chunk = self.buffer ?? allocator.buffer(capacity: Self.chunkBytes)
            self.buffer = nil
            chunk.clear()
            try Self.read(slice, fromBytes: doneBytes, countBytes: chunkBytes, into: &chunk)
            send(chunk)
            doneBytes += chunkBytes
            self.buffer = chunk
        }
    }

    /// Appends `countBytes` of `slice`, starting `fromBytes` into it, to `buffer`.
    static func read(_ slice: FileSlice, fromBytes: Int, countBytes: Int, into buffer: inout ByteBuffer) throws {
        var readBytes = 0
        while readBytes < countBytes {
            let position = off_t(slice.positionBytes) + off_t(fromBytes + readBytes)
            let count = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: countBytes - readBytes) { target in
                max(pread(slice.file.descriptor, target.baseAddress, countBytes - readBytes, position), 0)
            }
            guard count > 0 else {
                throw BrokerError.io("reading \(slice.sizeBytes) bytes of a segment for a TLS fetch failed, errno \(errno)")
            }
            readBytes += count
        }
    }
}
