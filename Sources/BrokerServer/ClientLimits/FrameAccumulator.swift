import KafkaWire
import NIOCore

/// Gathers a connection's bytes into whole Kafka frames, keeping only the bytes of the frame not yet
/// complete, as a list of chunks: no buffer is ever sized from the declared frame size, and a partial frame
/// never sits in one buffer that keeps doubling as it grows. What it holds is measured in buffer capacity (what
/// the allocator really gave), which is what the request memory budget is charged. Small reads are copied
/// into a tail chunk of at most `tailChunkBytesMax`, so a client trickling a byte at a time into 64 KiB
/// receive buffers holds about what it sent. The chunks are joined once, when the frame is whole.
struct FrameAccumulator {
    /// A read whose buffer has more unused room than this, and than its bytes, is copied rather than kept.
    static let slackBytesMax = 4096
    /// Small reads are gathered into one chunk up to this size.
    static let tailChunkBytesMax = 64 * 1024

    private var parser: KafkaFrameParser
    /// The bytes of the frame that has started but not arrived whole, size prefix included, in order.
    private var chunks: [ByteBuffer] = []
    private var pendingBytes = 0
    /// The capacity of the chunks: the memory held for the incomplete frame.
    private(set) var heldBytes = 0

    init(maximumFrameSizeBytes: Int) {
        self.parser = KafkaFrameParser(maximumFrameSizeBytes: maximumFrameSizeBytes)
    }

    /// Whether a frame has started and not yet arrived whole.
    var isMidFrame: Bool { self.pendingBytes > 0 }

    /// Adds newly read bytes and returns the frames they complete (without their size prefixes). Throws
    /// `KafkaWireError.frameTooLarge` as soon as a size prefix above the limit arrives.
    mutating func append(_ incoming: ByteBuffer, allocator: ByteBufferAllocator) throws -> [ByteBuffer] {
        var incoming = incoming
        var frames: [ByteBuffer] = []
        if self.isMidFrame {
            guard let frame = try self.completePendingFrame(with: &incoming, allocator: allocator) else {
                return []
            }
            frames.append(frame)
        }
        // Between frames: whole frames are cut from the read buffer itself, without copying.
        while let frame = try self.parser.next(from: &incoming) {
            frames.append(frame)
        }
        if incoming.readableBytes > 0 {
            self.keep(incoming, mustCopy: !frames.isEmpty, allocator: allocator)
        }
        return frames
    }

    /// Drops the partial frame (the connection is closing).
    mutating func reset() {
        self.chunks.removeAll()
        self.pendingBytes = 0
        self.heldBytes = 0
    }

    /// Feeds `incoming` to the pending frame; returns the frame once whole (the rest stays in `incoming`).
    private mutating func completePendingFrame(
        with incoming: inout ByteBuffer, allocator: ByteBufferAllocator
    ) throws -> ByteBuffer? {
        if self.pendingBytes < 4 {
            // The size prefix itself is split: join the few bytes there are so that it can be read.
            let prefixBytes = min(4 - self.pendingBytes, incoming.readableBytes)
            self.keep(incoming.readSlice(length: prefixBytes)!, mustCopy: true, allocator: allocator)
            self.chunks = [self.joined(capacity: self.pendingBytes, allocator: allocator)]
            self.heldBytes = self.chunks[0].capacity
            guard self.pendingBytes == 4 else { return nil }
        }
        var prefix = self.chunks[0]
        var probe = prefix.readSlice(length: 4)!
        _ = try self.parser.next(from: &probe)  // checks the declared size against the limit
        let frameBytes = 4 + Int(probe.getInteger(at: 0, endianness: .big, as: Int32.self) ?? 0)
        let missingBytes = frameBytes - self.pendingBytes
        guard incoming.readableBytes >= missingBytes else {
            self.keep(incoming, mustCopy: false, allocator: allocator)
            incoming.moveReaderIndex(forwardBy: incoming.readableBytes)
            return nil
        }
        self.keep(incoming.readSlice(length: missingBytes)!, mustCopy: true, allocator: allocator)
        var whole = self.joined(capacity: frameBytes, allocator: allocator)
        self.reset()
        return try self.parser.next(from: &whole)
    }

    /// Keeps bytes of the partial frame: as they are when their buffer is mostly full, copied into the tail
    /// chunk otherwise (or when `mustCopy`: frames were cut from the same storage, which must not be pinned).
    private mutating func keep(_ bytes: ByteBuffer, mustCopy: Bool, allocator: ByteBufferAllocator) {
        self.pendingBytes += bytes.readableBytes
        // NIO's allocator rounds capacities up to a power of two, so a copy only saves memory when the buffer
        // is more than half empty.
        let slackBytes = bytes.capacity - bytes.readableBytes
        if !mustCopy && slackBytes <= max(Self.slackBytesMax, bytes.readableBytes) {
            self.chunks.append(bytes)
            self.heldBytes += bytes.capacity
            return
        }
        if var tail = self.chunks.popLast() {
            if tail.readableBytes + bytes.readableBytes <= Self.tailChunkBytesMax {
                self.heldBytes -= tail.capacity
                tail.writeImmutableBuffer(bytes)
                self.heldBytes += tail.capacity
                self.chunks.append(tail)
                return
            }
            self.chunks.append(tail)
        }
        var copy = allocator.buffer(capacity: bytes.readableBytes)
        copy.writeImmutableBuffer(bytes)
        self.chunks.append(copy)
        self.heldBytes += copy.capacity
    }

    /// The chunks as one buffer of exactly `capacity` bytes.
    private func joined(capacity: Int, allocator: ByteBufferAllocator) -> ByteBuffer {
        var whole = allocator.buffer(capacity: capacity)
        for chunk in self.chunks { whole.writeImmutableBuffer(chunk) }
        return whole
    }
}
