import CSluiceNative

/// LZ4 in the standard frame format through liblz4, as Kafka (magic 1 and later) and librdkafka use it.
/// Frames are written with independent 64 KiB blocks and no content checksum: the settings Kafka's
/// Java reader (KafkaLZ4BlockInputStream) supports, since it refuses dependent blocks.
enum LZ4Compression {
    static func compress(_ input: UnsafeRawBufferPointer, appendingTo output: inout [UInt8]) throws(RecordFormatError) {
        var preferences = LZ4F_preferences_t()
        preferences.frameInfo.blockSizeID = LZ4F_max64KB
        preferences.frameInfo.blockMode = LZ4F_blockIndependent
        let boundBytes = LZ4F_compressFrameBound(input.count, &preferences)
        let start = output.appendZeroedSpace(count: boundBytes)
        let result = output.withUnsafeMutableBytes { outputBytes in
            LZ4F_compressFrame(
                outputBytes.baseAddress! + start, boundBytes, input.baseAddress, input.count, &preferences)
        }
        guard LZ4F_isError(result) == 0 else {
            throw .compressionFailed("lz4: \(String(cString: LZ4F_getErrorName(result)))")
        }
        output.removeLast(boundBytes - result)
    }

    static func decompress(_ input: UnsafeRawBufferPointer, sizeBytesMax: Int) throws(RecordFormatError) -> [UInt8] {
        var context: OpaquePointer?
        guard LZ4F_isError(LZ4F_createDecompressionContext(&context, UInt32(LZ4F_VERSION))) == 0, let context else {
            throw .decompressionFailed("lz4: cannot create a decompression context")
        }
        defer { LZ4F_freeDecompressionContext(context) }
        var output = BoundedByteOutput(
            initialCapacityBytes: CompressionCodec.initialOutputCapacityBytes(
                inputSizeBytes: input.count, sizeBytesMax: sizeBytesMax),
            sizeBytesMax: sizeBytesMax
        )
        var position = 0
        repeat {
            let step = try output.writeIntoFreeSpace { free in
                var writtenBytes = free.count
                var consumedBytes = input.count - position
                let hint = LZ4F_decompress(
                    context, free.baseAddress, &writtenBytes,
                    input.baseAddress.map { $0 + position }, &consumedBytes, nil)
                return (LZ4F_isError(hint) == 0 ? writtenBytes : 0, (hint, consumedBytes, writtenBytes, free.count))
            }
            let (hint, consumedBytes, writtenBytes, freeBytes) = step
            guard LZ4F_isError(hint) == 0 else {
                throw .decompressionFailed("lz4: \(String(cString: LZ4F_getErrorName(hint)))")
            }
            position += consumedBytes
            guard consumedBytes > 0 || writtenBytes > 0 || hint == 0 else {
                throw .decompressionFailed("lz4: decoder made no progress")
            }
            // A hint of 0 ends a frame; another frame may follow. Otherwise the decoder wants more input,
            // and having none while the output still had room means the frame was cut short.
            if hint != 0 && position == input.count && writtenBytes < freeBytes {
                throw .decompressionFailed("lz4: truncated frame")
            }
        } while position < input.count
        return output.finish()
    }
}
