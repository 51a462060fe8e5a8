import NIOCore
import SluiceModel

/// Splits a byte stream into Kafka frames: a 4-byte big-endian size, then that many bytes.
/// Pure so that it is tested without a channel; `KafkaFrameDecoder` is the thin NIO wrapper.
public struct KafkaFrameParser: Sendable {
    public let maximumFrameSizeBytes: Int

    public init(maximumFrameSizeBytes: Int = Limits.requestFrameSizeBytesMax) {
        precondition(maximumFrameSizeBytes >= 0 && maximumFrameSizeBytes <= Int(Int32.max))
        self.maximumFrameSizeBytes = maximumFrameSizeBytes
    }

    /// Returns the next whole frame (without its size prefix) as a slice of `buffer`, or nil when more
    /// bytes are needed. The size is checked as soon as its 4 bytes arrive, before the body is buffered,
    /// so a peer cannot make the broker hold a frame it will refuse.
    public mutating func next(from buffer: inout ByteBuffer) throws -> ByteBuffer? {
        guard let size = buffer.getInteger(at: buffer.readerIndex, endianness: .big, as: Int32.self) else {
            return nil
        }
        guard size >= 0, Int(size) <= self.maximumFrameSizeBytes else {
            throw KafkaWireError.frameTooLarge(sizeBytes: Int(size), maximumBytes: self.maximumFrameSizeBytes)
        }
        guard buffer.readableBytes >= 4 + Int(size) else {
            return nil
        }
        buffer.moveReaderIndex(forwardBy: 4)
        return buffer.readSlice(length: Int(size))
    }
}

/// NIO decoder emitting one `ByteBuffer` per Kafka frame. A bad size prefix is thrown as
/// `KafkaWireError` (code `.frameTooLarge`), which closes only this connection.
public struct KafkaFrameDecoder: ByteToMessageDecoder {
    public typealias InboundOut = ByteBuffer

    private var parser: KafkaFrameParser

    public init(maximumFrameSizeBytes: Int = Limits.requestFrameSizeBytesMax) {
        self.parser = KafkaFrameParser(maximumFrameSizeBytes: maximumFrameSizeBytes)
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let frame = try self.parser.next(from: &buffer) else {
            return .needMoreData
        }
        context.fireChannelRead(Self.wrapInboundOut(frame))
        return .continue
    }

    public mutating func decodeLast(
        context: ChannelHandlerContext,
        buffer: inout ByteBuffer,
        seenEOF: Bool
    ) throws -> DecodingState {
        // A partial frame at end of stream is dropped: the peer went away mid-request.
        try self.decode(context: context, buffer: &buffer)
    }
}

/// Writing frames: a 4-byte size prefix reserved first and filled in once the content is written.
public enum KafkaFrame {
    /// Writes a frame into `buffer`: reserves the size prefix, lets `writeContent` append, then sets it.
    public static func write(into buffer: inout ByteBuffer, _ writeContent: (inout ByteBuffer) -> Void) {
        let sizeIndex = buffer.writerIndex
        buffer.writeInteger(Int32(0))
        writeContent(&buffer)
        let sizeBytes = buffer.writerIndex - sizeIndex - 4
        precondition(sizeBytes <= Int(Int32.max), "a Kafka frame is sized by an int32")
        buffer.setInteger(Int32(sizeBytes), at: sizeIndex)
    }

    /// A whole request frame, as the client sends it.
    public static func encodeRequest<Request: KafkaRequestMessage>(
        _ request: Request,
        correlationId: Int32,
        clientId: String?,
        version: Int16,
        allocator: ByteBufferAllocator
    ) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 256)
        let header = RequestHeader(
            apiKey: Request.apiKey.rawValue, apiVersion: version, correlationId: correlationId, clientId: clientId
        )
        self.write(into: &buffer) { content in
            header.encode(into: &content)
            request.encode(into: &content, version: version)
        }
        return buffer
    }

    /// Reads one response frame's content (as `KafkaFrameParser` returns it, without the size prefix):
    /// the header for `Response` at `version`, then the whole body. The client matches the correlation
    /// id with its request.
    public static func decodeResponse<Response: KafkaResponseMessage>(
        _ type: Response.Type,
        from frame: inout ByteBuffer,
        version: Int16
    ) throws -> (correlationId: Int32, response: Response) {
        let headerVersion = ResponseHeader.headerVersion(apiKey: Response.apiKey.rawValue, apiVersion: version)
        let header = try ResponseHeader(from: &frame, headerVersion: headerVersion)
        return (header.correlationId, try Response.decodeWhole(from: &frame, version: version))
    }

    /// A whole response frame, as the broker sends it (Fetch has `FetchResponse.encodeFrameParts` too).
    public static func encodeResponse<Response: KafkaResponseMessage>(
        _ response: Response,
        correlationId: Int32,
        version: Int16,
        allocator: ByteBufferAllocator
    ) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 256)
        let headerVersion = ResponseHeader.headerVersion(apiKey: Response.apiKey.rawValue, apiVersion: version)
        self.write(into: &buffer) { content in
            ResponseHeader(correlationId: correlationId).encode(into: &content, headerVersion: headerVersion)
            response.encode(into: &content, version: version)
        }
        return buffer
    }
}
