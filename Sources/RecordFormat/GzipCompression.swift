import CSluiceNative

/// gzip through zlib: deflate with a gzip wrapper (what Kafka's Java client writes) and inflate that
/// accepts gzip or zlib wrappers and concatenated gzip members (Java's GZIPInputStream reads those too).
enum GzipCompression {
    static func compress(_ input: UnsafeRawBufferPointer, appendingTo output: inout [UInt8]) throws(RecordFormatError) {
        guard input.count <= Int(UInt32.max) else { throw .compressionFailed("gzip input over 4 GiB") }
        var stream = z_stream()
        guard sluice_deflate_init_gzip(&stream, Z_DEFAULT_COMPRESSION) == Z_OK else {
            throw .compressionFailed("deflateInit2 failed")
        }
        defer { deflateEnd(&stream) }
        // deflateBound covers the gzip wrapper, so one Z_FINISH call always completes.
        let boundBytes = Int(deflateBound(&stream, uLong(input.count)))
        let start = output.appendZeroedSpace(count: boundBytes)
        let status = output.withUnsafeMutableBytes { outputBytes in
            stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
            stream.avail_in = uInt(input.count)
            stream.next_out = (outputBytes.baseAddress! + start).assumingMemoryBound(to: Bytef.self)
            stream.avail_out = uInt(boundBytes)
            return deflate(&stream, Z_FINISH)
        }
        guard status == Z_STREAM_END else { throw .compressionFailed("deflate returned \(status)") }
        output.removeLast(Int(stream.avail_out))
    }

    static func decompress(_ input: UnsafeRawBufferPointer, sizeBytesMax: Int) throws(RecordFormatError) -> [UInt8] {
        guard input.count <= Int(UInt32.max) else { throw .decompressionFailed("gzip input over 4 GiB") }
        var stream = z_stream()
        guard sluice_inflate_init_auto(&stream) == Z_OK else { throw .decompressionFailed("inflateInit2 failed") }
        defer { inflateEnd(&stream) }
        var output = BoundedByteOutput(
            initialCapacityBytes: CompressionCodec.initialOutputCapacityBytes(
                inputSizeBytes: input.count, sizeBytesMax: sizeBytesMax),
            sizeBytesMax: sizeBytesMax
        )
        stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.avail_in = uInt(input.count)
        while true {
            let status = try output.writeIntoFreeSpace { free in
                stream.next_out = free.baseAddress!.assumingMemoryBound(to: Bytef.self)
                stream.avail_out = uInt(free.count)
                let status = inflate(&stream, Z_NO_FLUSH)
                return (free.count - Int(stream.avail_out), status)
            }
            switch status {
            case Z_STREAM_END:
                guard stream.avail_in > 0 else { return output.finish() }
                // Another gzip member follows; anything else after the end is corrupt input.
                guard stream.avail_in >= 2, stream.next_in[0] == 0x1F, stream.next_in[1] == 0x8B else {
                    throw .decompressionFailed("gzip: \(stream.avail_in) bytes after the end of the stream")
                }
                guard inflateReset(&stream) == Z_OK else { throw .decompressionFailed("gzip: inflateReset failed") }
            case Z_OK:
                // Input used up with room left in the output means the stream stopped before its end.
                if stream.avail_in == 0 && stream.avail_out > 0 {
                    throw .decompressionFailed("gzip: truncated stream")
                }
            case Z_BUF_ERROR:
                throw .decompressionFailed("gzip: truncated stream")
            default:
                let message = stream.msg.map { String(cString: $0) } ?? "status \(status)"
                throw .decompressionFailed("gzip: \(message)")
            }
        }
    }
}
