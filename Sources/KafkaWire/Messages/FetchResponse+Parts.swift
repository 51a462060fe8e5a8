import NIOCore

/// One piece of an encoded fetch response: bytes the codec wrote, or a run of record bytes the caller
/// sends itself (typically a `FileRegion` over a segment, so the bytes never enter user space).
public enum FetchResponsePart: Equatable, Sendable {
    case bytes(ByteBuffer)
    case external(token: Int, sizeBytes: Int)

    public var sizeBytes: Int {
        switch self {
        case .bytes(let buffer): return buffer.readableBytes
        case .external(_, let sizeBytes): return sizeBytes
        }
    }
}

extension FetchResponse {
    /// Encodes the body as parts: every `.external` records field becomes its own part, preceded by a
    /// bytes part that ends with its length prefix. Concatenating the parts (with the external bytes
    /// supplied) gives exactly what `encode(into:version:)` would give with those bytes inline.
    public func encodeParts(version: Int16, allocator: ByteBufferAllocator) -> [FetchResponsePart] {
        var parts: [FetchResponsePart] = []
        var buffer = allocator.buffer(capacity: 256)
        self.appendParts(to: &parts, buffer: &buffer, version: version, allocator: allocator)
        return parts
    }

    /// The whole response frame as parts: size prefix, response header (v0, or v1 when flexible), body.
    public func encodeFrameParts(
        correlationId: Int32,
        version: Int16,
        allocator: ByteBufferAllocator
    ) -> [FetchResponsePart] {
        var parts: [FetchResponsePart] = []
        var buffer = allocator.buffer(capacity: 256)
        buffer.writeInteger(Int32(0))
        let headerVersion = ResponseHeader.headerVersion(apiKey: Self.apiKey.rawValue, apiVersion: version)
        ResponseHeader(correlationId: correlationId).encode(into: &buffer, headerVersion: headerVersion)
        self.appendParts(to: &parts, buffer: &buffer, version: version, allocator: allocator)
        let frameSizeBytes = parts.reduce(0) { $0 + $1.sizeBytes } - 4
        precondition(frameSizeBytes <= Int(Int32.max), "a Kafka frame is sized by an int32")
        guard case .bytes(var first) = parts[0] else {
            preconditionFailure("the first part holds the size prefix")
        }
        first.setInteger(Int32(frameSizeBytes), at: first.readerIndex)
        parts[0] = .bytes(first)
        return parts
    }

    private func appendParts(
        to parts: inout [FetchResponsePart],
        buffer: inout ByteBuffer,
        version: Int16,
        allocator: ByteBufferAllocator
    ) {
        self.encodeBody(into: &buffer, version: version) { current, token, sizeBytes in
            parts.append(.bytes(current))
            parts.append(.external(token: token, sizeBytes: sizeBytes))
            current = allocator.buffer(capacity: 64)
        }
        parts.append(.bytes(buffer))
    }
}
