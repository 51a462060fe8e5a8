#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads frames from a file descriptor with large `read(2)` calls into one reusable buffer.
///
/// The buffer starts at 1 MiB and grows to fit the largest frame seen (at most a whole 64 MiB frame); a frame's
/// body is handed out in place, without a copy, and stays valid until the next call to `next()`.
final class FrameReader {
    private let descriptor: Int32
    private var storage: UnsafeMutableRawPointer
    private var capacity: Int
    /// Unconsumed bytes are `storage[start..<end]`.
    private var start = 0
    private var end = 0

    init(descriptor: Int32, capacity: Int = OperatorLimits.readBufferSizeInitial) {
        precondition(capacity >= OperatorLimits.frameLengthFieldSize, "a buffer must hold at least a length")
        self.descriptor = descriptor
        self.capacity = capacity
        self.storage = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
    }

    deinit {
        self.storage.deallocate()
    }

    /// The next frame, or nil at end of input between frames. Throws on a bad length and on input that ends
    /// inside a frame.
    func next() throws -> Frame? {
        while true {
            let available = self.end - self.start
            if available >= OperatorLimits.frameLengthFieldSize {
                let length = UInt32(bigEndian: self.storage.loadUnaligned(fromByteOffset: self.start, as: UInt32.self))
                try Frame.checkLength(length)
                let frameSize = OperatorLimits.frameLengthFieldSize + Int(length)
                if available >= frameSize {
                    let typeAt = self.start + OperatorLimits.frameLengthFieldSize
                    let frame = Frame(
                        type: self.storage.load(fromByteOffset: typeAt, as: UInt8.self),
                        body: UnsafeRawBufferPointer(start: self.storage + typeAt + 1, count: Int(length) - 1)
                    )
                    self.start += frameSize
                    return frame
                }
                self.makeRoom(for: frameSize)
            } else {
                self.makeRoom(for: OperatorLimits.frameLengthFieldSize)
            }
            let count = try FileDescriptorIO.read(self.descriptor, into: self.storage + self.end, count: self.capacity - self.end)
            if count == 0 {
                if self.end == self.start {
                    return nil
                }
                throw OperatorError.malformed("input ended inside a frame (\(self.end - self.start) bytes of it read)")
            }
            self.end += count
        }
    }

    /// Makes `storage[start...]` able to hold `size` bytes, moving the unconsumed bytes to the front and growing.
    private func makeRoom(for size: Int) {
        if self.start == self.end {
            self.start = 0
            self.end = 0
        }
        if self.start + size <= self.capacity {
            return
        }
        let available = self.end - self.start
        if size > self.capacity {
            let capacity = min(
                max(size, self.capacity * 2),
                OperatorLimits.frameLengthMax + OperatorLimits.frameLengthFieldSize
            )
            let storage = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
            storage.copyMemory(from: self.storage + self.start, byteCount: available)
            self.storage.deallocate()
            self.storage = storage
            self.capacity = capacity
        } else {
            memmove(self.storage, self.storage + self.start, available)
        }
        self.start = 0
        self.end = available
    }
}
