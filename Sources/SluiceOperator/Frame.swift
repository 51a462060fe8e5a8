/// One frame: `u32` length, `u8` type, body. `body` points into a buffer owned by whoever produced the frame
/// (a `FrameReader` or `withFrame`) and is valid only as long as that owner says.
struct Frame {
    let type: UInt8
    let body: UnsafeRawBufferPointer

    /// Checks a frame's length field against the protocol's bounds: 1 ≤ length ≤ 64 MiB.
    static func checkLength(_ length: UInt32) throws {
        guard length >= 1, Int(length) <= OperatorLimits.frameLengthMax else {
            throw OperatorError.malformed("frame length \(length) outside 1...\(OperatorLimits.frameLengthMax)")
        }
    }

    /// Splits exactly one whole frame (`u32` length included) and hands it to `body`; refuses a bad length, a
    /// truncated frame and bytes after it.
    static func withFrame<Result>(
        in bytes: UnsafeRawBufferPointer, _ body: (Frame) throws -> Result
    ) throws -> Result {
        var reader = ByteReader(bytes)
        let length = try reader.read(UInt32.self)
        try self.checkLength(length)
        guard Int(length) == reader.remaining else {
            throw OperatorError.malformed("frame length \(length) but \(reader.remaining) bytes follow it")
        }
        let type = try reader.read(UInt8.self)
        return try body(Frame(type: type, body: UnsafeRawBufferPointer(rebasing: bytes[reader.position...])))
    }
}
