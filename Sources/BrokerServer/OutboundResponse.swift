import LogStore
import NIOCore

/// A response ready to be framed and written: bytes built by the codec, interleaved with slices of
/// segment files that are sent as they lie on disk (sendfile), so fetched records never pass through
/// a Swift buffer.
struct OutboundResponse {
    enum Part {
        case bytes(ByteBuffer)
        case file(FileSlice)

        var sizeBytes: Int {
            switch self {
            case .bytes(let buffer): return buffer.readableBytes
            case .file(let slice): return slice.sizeBytes
            }
        }
    }

    /// Everything after the 4-byte frame size: response header then body.
    var parts: [Part]

    init(parts: [Part]) {
        self.parts = parts
    }

    init(_ buffer: ByteBuffer) {
        self.parts = [.bytes(buffer)]
    }

    var sizeBytes: Int { self.parts.reduce(0) { $0 + $1.sizeBytes } }
}
