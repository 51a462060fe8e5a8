import KafkaWire
import NIOCore

/// Gathers a connection's bytes into whole Kafka frames.
///
/// Whole frames inside one read are cut from the read buffer itself, without copying. The bytes of a frame
/// that spans reads are copied, once, into an assembly buffer that grows as they arrive (at most doubling,
/// never beyond the declared size, never allocated from it), and that buffer becomes the frame. Past
/// `assemblyBytesMax` a frame's further bytes go into blocks of `blockBytes`, joined when the frame is whole:
/// doubling a large buffer would make the held memory jump by as much as is already held, and the request
/// budget must not be overshot by more than about one block per connection. What is held is measured in
/// buffer capacity (what the allocator really gave), which is what the request memory budget is charged.
///
/// Why one copy into a growing buffer rather than keeping the read buffers: under TLS a read is the
/// decrypted output of a whole wake-up (up to a megabyte), and produce requests of about a megabyte span
/// every read, so keeping reads and joining them later copied each byte twice and pinned NIOSSL's buffer
/// (forcing a fresh allocation, page faults included, on its next read).
///
/// The assembly buffer of a frame just passed on is kept as a spare for the next spanning frame while the
/// connection is mid-frame: a client streaming megabyte requests then reuses two buffers whose pages are
/// already mapped, instead of faulting in a fresh megabyte per request. The spare is charged like the frame,
/// and dropped as soon as the connection is between frames, so an idle connection holds nothing.
struct FrameAccumulator {
    /// The assembly buffer grows up to this capacity; a larger frame continues in blocks. Produce requests
    /// of the usual clients (1 MB batches, 1 MiB requests) fit.
    static let assemblyBytesMax = 2 * 1024 * 1024
    /// The block size for the rest of a frame larger than `assemblyBytesMax`.
    static let blockBytes = 1024 * 1024
    /// Spares smaller than this are not kept: small allocations are cheap and come from reused memory.
    static let spareCapacityBytesMin = 64 * 1024

    private var parser: KafkaFrameParser
    /// The first bytes of the frame that has started but not arrived whole, size prefix included.
    private var assembly: ByteBuffer?
    /// The bytes of the pending frame past `assemblyBytesMax`, in order.
    private var blocks: [ByteBuffer] = []
    /// Bytes of the pending frame received so far, prefix included.
    private var receivedBytes = 0
    /// The declared length of the pending frame, prefix included, once its 4 prefix bytes are in.
    private var pendingFrameBytes: Int?
    /// The buffer of the last frame assembled here, reused for the next one when no longer referenced.
    private var spare: ByteBuffer?

    init(maximumFrameSizeBytes: Int) {
        self.parser = KafkaFrameParser(maximumFrameSizeBytes: maximumFrameSizeBytes)
    }

    /// Whether a frame has started and not yet arrived whole.
    var isMidFrame: Bool { self.assembly != nil }

    /// The capacity of the buffers held: the memory held for the incomplete frame and the spare.
    var heldBytes: Int {
        (self.assembly?.capacity ?? 0) + self.blocks.reduce(0) { $0 + $1.capacity } + (self.spare?.capacity ?? 0)
    }

    /// Adds newly read bytes and returns the frames they complete (without their size prefixes). Throws
    /// `KafkaWireError.frameTooLarge` as soon as a size prefix above the limit arrives.
    mutating func append(_ incoming: ByteBuffer, allocator: ByteBufferAllocator) throws -> [ByteBuffer] {
        var incoming = incoming
        var frames: [ByteBuffer] = []
        // The spare from an earlier call is free by now (its frame was handled); one completed in this call
        // is still in `frames` and must not be written into yet.
        var reusable = self.spare
        self.spare = nil
        if self.isMidFrame {
            guard let frame = try self.completePendingFrame(with: &incoming, allocator: allocator) else {
                self.spare = reusable
                return []
            }
            frames.append(frame)
        }
        while let frame = try self.parser.next(from: &incoming) {
            frames.append(frame)
        }
        if incoming.readableBytes > 0 {
            self.assembly = Self.emptied(reusable, allocator: allocator)
            reusable = nil
            try self.add(incoming, allocator: allocator)
        }
        if !self.isMidFrame {
            self.spare = nil
        } else if self.spare == nil, let reusable, Self.isWorthKeeping(reusable) {
            self.spare = reusable
        }
        return frames
    }

    /// Drops the partial frame and the spare (the connection is closing).
    mutating func reset() {
        self.assembly = nil
        self.blocks = []
        self.receivedBytes = 0
        self.pendingFrameBytes = nil
        self.spare = nil
    }

    /// Feeds `incoming` to the pending frame; returns the frame once whole (the rest stays in `incoming`).
    private mutating func completePendingFrame(
        with incoming: inout ByteBuffer, allocator: ByteBufferAllocator
    ) throws -> ByteBuffer? {
        if self.pendingFrameBytes == nil {
            // The size prefix itself was split: add just enough bytes to read it.
            let prefixBytes = min(4 - self.receivedBytes, incoming.readableBytes)
            try self.add(incoming.readSlice(length: prefixBytes)!, allocator: allocator)
            guard self.pendingFrameBytes != nil else { return nil }
        }
        let missingBytes = self.pendingFrameBytes! - self.receivedBytes
        guard incoming.readableBytes >= missingBytes else {
            try self.add(incoming, allocator: allocator)
            incoming.moveReaderIndex(forwardBy: incoming.readableBytes)
            return nil
        }
        try self.add(incoming.readSlice(length: missingBytes)!, allocator: allocator)
        var whole = self.takeWholeFrame(allocator: allocator)
        return try self.parser.next(from: &whole)
    }

    /// The pending frame, prefix included, as one buffer; the accumulator is then between frames.
    private mutating func takeWholeFrame(allocator: ByteBufferAllocator) -> ByteBuffer {
        var whole = self.assembly!
        if Self.isWorthKeeping(whole) {
            self.spare = whole
        }
        if !self.blocks.isEmpty {
            var joined = allocator.buffer(capacity: self.receivedBytes)
            joined.writeImmutableBuffer(whole)
            for block in self.blocks { joined.writeImmutableBuffer(block) }
            whole = joined
        }
        self.assembly = nil
        self.blocks = []
        self.receivedBytes = 0
        self.pendingFrameBytes = nil
        return whole
    }

    /// Copies bytes of the pending frame into the assembly buffer (then into blocks), and reads the declared
    /// size as soon as its 4 bytes are in.
    private mutating func add(_ bytes: ByteBuffer, allocator: ByteBufferAllocator) throws {
        var bytes = bytes
        self.receivedBytes += bytes.readableBytes
        if self.blocks.isEmpty {
            self.fillAssembly(from: &bytes)
        }
        while bytes.readableBytes > 0 {
            if self.blocks.last.map({ $0.writableBytes == 0 }) ?? true {
                self.blocks.append(allocator.buffer(capacity: Self.blockBytes))
            }
            let count = min(bytes.readableBytes, self.blocks[self.blocks.count - 1].writableBytes)
            self.blocks[self.blocks.count - 1].writeImmutableBuffer(bytes.readSlice(length: count)!)
        }
        if self.pendingFrameBytes == nil, let assembly = self.assembly, assembly.readableBytes >= 4 {
            var prefix = assembly.getSlice(at: assembly.readerIndex, length: 4)!
            _ = try self.parser.next(from: &prefix)  // checks the declared size against the limit
            self.pendingFrameBytes = 4 + Int(assembly.getInteger(at: assembly.readerIndex, as: Int32.self)!)
        }
    }

    /// Moves as many of `bytes` as fit into the assembly buffer, growing it by at most doubling, never past
    /// the declared size nor `assemblyBytesMax`.
    private mutating func fillAssembly(from bytes: inout ByteBuffer) {
        var assembly = self.assembly!
        self.assembly = nil  // one reference, so that growing reallocates in place instead of copying
        let neededBytes = assembly.readableBytes + bytes.readableBytes
        if neededBytes > assembly.capacity, assembly.capacity < Self.assemblyBytesMax {
            var capacity = min(max(neededBytes, 2 * assembly.capacity), Self.assemblyBytesMax)
            if let frameBytes = self.pendingFrameBytes { capacity = min(capacity, frameBytes) }
            assembly.reserveCapacity(capacity)
        }
        let count = min(bytes.readableBytes, assembly.capacity - assembly.writerIndex)
        assembly.writeImmutableBuffer(bytes.readSlice(length: count)!)
        self.assembly = assembly
    }

    /// `buffer` cleared for reuse, or a new small one.
    private static func emptied(_ buffer: ByteBuffer?, allocator: ByteBufferAllocator) -> ByteBuffer {
        guard var buffer else { return allocator.buffer(capacity: 0) }
        buffer.clear()
        return buffer
    }

    private static func isWorthKeeping(_ buffer: ByteBuffer) -> Bool {
        (Self.spareCapacityBytesMin...Self.assemblyBytesMax).contains(buffer.capacity)
    }
}
