import CSluiceNative

/// zstd frames through libzstd. Decompression streams into a bounded buffer because frames written
/// by streaming encoders (Kafka's Java client among them) do not always declare their content size.
enum ZstdCompression {
    /// libzstd's default level, which Kafka's Java client also uses.
    static let compressionLevel: Int32 = 3

    static func compress(_ input: UnsafeRawBufferPointer, appendingTo output: inout [UInt8]) throws(RecordFormatError) {
        let boundBytes = ZSTD_compressBound(input.count)
        let start = output.appendZeroedSpace(count: boundBytes)
        let result = output.withUnsafeMutableBytes { outputBytes in
            ZSTD_compress(
                outputBytes.baseAddress! + start, boundBytes, input.baseAddress, input.count, self.compressionLevel)
        }
        guard ZSTD_isError(result) == 0 else {
            throw .compressionFailed("zstd: \(String(cString: ZSTD_getErrorName(result)))")
        }
        output.removeLast(boundBytes - result)
    }

    static func decompress(_ input: UnsafeRawBufferPointer, sizeBytesMax: Int) throws(RecordFormatError) -> [UInt8] {
        guard let context = ZSTD_createDCtx() else { throw .decompressionFailed("zstd: cannot create a context") }
        defer { ZSTD_freeDCtx(context) }
        var output = BoundedByteOutput(
            initialCapacityBytes: CompressionCodec.initialOutputCapacityBytes(
                inputSizeBytes: input.count, sizeBytesMax: sizeBytesMax),
            sizeBytesMax: sizeBytesMax
        )
        var inputBuffer = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        while true {
            let inputPositionBefore = inputBuffer.pos
            let (result, freeBytes, writtenBytes) = try output.writeIntoFreeSpace { free in
                var outputBuffer = ZSTD_outBuffer(dst: free.baseAddress, size: free.count, pos: 0)
                let result = ZSTD_decompressStream(context, &outputBuffer, &inputBuffer)
                return (outputBuffer.pos, (result, free.count, outputBuffer.pos))
            }
            guard ZSTD_isError(result) == 0 else {
                throw .decompressionFailed("zstd: \(String(cString: ZSTD_getErrorName(result)))")
            }
            let inputUsedUp = inputBuffer.pos == inputBuffer.size
            // 0 means a frame is complete and flushed; more input may hold another frame.
            if result == 0 && inputUsedUp { return output.finish() }
            if result != 0 && inputUsedUp && writtenBytes < freeBytes {
                throw .decompressionFailed("zstd: truncated frame")
            }
            guard inputBuffer.pos > inputPositionBefore || writtenBytes > 0 else {
                throw .decompressionFailed("zstd: decoder made no progress")
            }
        }
    }
}
