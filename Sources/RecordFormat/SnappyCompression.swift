import CSluiceNative

/// Snappy as Kafka clients write it: the xerial framing of snappy-java (Kafka's Java client and
/// librdkafka both produce it), which is a 16-byte header (magic `\x82SNAPPY\0`, version 1, compatible
/// version 1) followed by blocks, each a 4-byte big-endian compressed length and a raw snappy block.
/// Decoding also accepts plain (raw) snappy, which some clients send.
enum SnappyCompression {
    static let xerialMagic: [UInt8] = [0x82, 0x53, 0x4E, 0x41, 0x50, 0x50, 0x59, 0x00]
    static let xerialHeaderSizeBytes = 16
    /// snappy-java's default block size; the same block boundaries as the Java client.
    static let xerialBlockSizeBytes = 32 * 1024

    static func compress(_ input: UnsafeRawBufferPointer, appendingTo output: inout [UInt8]) throws(RecordFormatError) {
        output.append(contentsOf: self.xerialMagic)
        output.append(contentsOf: [0, 0, 0, 1, 0, 0, 0, 1] as [UInt8])
        var blockStart = 0
        while blockStart < input.count {
            let blockEnd = min(blockStart + self.xerialBlockSizeBytes, input.count)
            let block = UnsafeRawBufferPointer(rebasing: input[blockStart..<blockEnd])
            try self.appendXerialBlock(block, to: &output)
            blockStart = blockEnd
        }
    }

    private static func appendXerialBlock(
        _ block: UnsafeRawBufferPointer, to output: inout [UInt8]
    ) throws(RecordFormatError) {
        let boundBytes = snappy_max_compressed_length(block.count)
        let lengthStart = output.appendZeroedSpace(count: 4 + boundBytes)
        var compressedBytes = boundBytes
        let status = output.withUnsafeMutableBytes { outputBytes in
            let destination = (outputBytes.baseAddress! + lengthStart + 4).assumingMemoryBound(to: CChar.self)
            let source = block.baseAddress!.assumingMemoryBound(to: CChar.self)
            let status = snappy_compress(source, block.count, destination, &compressedBytes)
            outputBytes.writeBigEndian(UInt32(compressedBytes), at: lengthStart)
            return status
        }
        guard status == SNAPPY_OK else { throw .compressionFailed("snappy_compress returned \(status.rawValue)") }
        output.removeLast(boundBytes - compressedBytes)
    }

    static func decompress(_ input: UnsafeRawBufferPointer, sizeBytesMax: Int) throws(RecordFormatError) -> [UInt8] {
        var output: [UInt8] = []
        if self.isXerialFramed(input) {
            var position = self.xerialHeaderSizeBytes
            while position < input.count {
                guard input.count - position >= 4 else { throw .decompressionFailed("snappy: truncated block length") }
                let blockSizeBytes = Int(input.readBigEndian(UInt32.self, at: position))
                position += 4
                guard blockSizeBytes <= input.count - position else {
                    throw .decompressionFailed("snappy: block of \(blockSizeBytes) bytes past the end of the input")
                }
                let block = UnsafeRawBufferPointer(rebasing: input[position..<position + blockSizeBytes])
                try self.appendRawBlock(block, to: &output, sizeBytesMax: sizeBytesMax)
                position += blockSizeBytes
            }
        } else {
            try self.appendRawBlock(input, to: &output, sizeBytesMax: sizeBytesMax)
        }
        return output
    }

    static func isXerialFramed(_ input: UnsafeRawBufferPointer) -> Bool {
        input.count >= self.xerialHeaderSizeBytes
            && input.prefix(self.xerialMagic.count).elementsEqual(self.xerialMagic)
    }

    /// Decodes one raw snappy block, checking its declared size against the limit before allocating.
    private static func appendRawBlock(
        _ block: UnsafeRawBufferPointer, to output: inout [UInt8], sizeBytesMax: Int
    ) throws(RecordFormatError) {
        guard let source = block.baseAddress?.assumingMemoryBound(to: CChar.self), block.count > 0 else {
            throw .decompressionFailed("snappy: empty block")
        }
        var uncompressedBytes = 0
        guard snappy_uncompressed_length(source, block.count, &uncompressedBytes) == SNAPPY_OK else {
            throw .decompressionFailed("snappy: corrupt block length")
        }
        guard uncompressedBytes <= sizeBytesMax - output.count else {
            throw .decompressionFailed("output exceeds the limit of \(sizeBytesMax) bytes")
        }
        if uncompressedBytes == 0 { return }
        let start = output.appendZeroedSpace(count: uncompressedBytes)
        var writtenBytes = uncompressedBytes
        let status = output.withUnsafeMutableBytes { outputBytes in
            let destination = (outputBytes.baseAddress! + start).assumingMemoryBound(to: CChar.self)
            return snappy_uncompress(source, block.count, destination, &writtenBytes)
        }
        guard status == SNAPPY_OK, writtenBytes == uncompressedBytes else {
            throw .decompressionFailed("snappy: corrupt block")
        }
    }
}
