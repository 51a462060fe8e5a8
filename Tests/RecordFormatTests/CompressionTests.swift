import XCTest
@testable import RecordFormat

final class CompressionTests: XCTestCase {
    func testEveryCodecRoundTripsVariedInputs() throws {
        var generator = SeededGenerator(seed: 7)
        let inputs: [[UInt8]] = [
            [],
            [42],
            TestBytes.compressible(count: 10_000),
            TestBytes.random(count: 5_000, using: &generator),
            // Past snappy's 32 KiB xerial blocks and lz4's 64 KiB frame blocks.
            TestBytes.compressible(count: 200_000),
        ]
        for codec in CompressionCodec.allCases {
            for input in inputs {
                let compressed = try codec.compress(input)
                let decompressed = try codec.decompress(compressed)
                XCTAssertEqual(decompressed, input, "\(codec), \(input.count) bytes")
            }
        }
    }

    func testCompressibleInputShrinks() throws {
        let input = TestBytes.compressible(count: 100_000)
        for codec in CompressionCodec.allCases where codec != .none {
            XCTAssertLessThan(try codec.compress(input).count, input.count / 3, "\(codec)")
        }
    }

    func testCompressAppendsAfterExistingBytes() throws {
        let input = TestBytes.compressible(count: 1_000)
        for codec in CompressionCodec.allCases {
            var output: [UInt8] = [1, 2, 3]
            try input.withUnsafeBytes { bytes in try codec.compress(bytes, appendingTo: &output) }
            XCTAssertEqual(Array(output.prefix(3)), [1, 2, 3])
            XCTAssertEqual(try codec.decompress(Array(output.dropFirst(3))), input, "\(codec)")
        }
    }

    func testDecompressionBombIsRefused() throws {
        // 4 MiB of zeros compresses to a few KiB; a 1 MiB limit must stop it.
        let bomb = [UInt8](repeating: 0, count: 4 * 1024 * 1024)
        for codec in CompressionCodec.allCases {
            let compressed = try codec.compress(bomb)
            XCTAssertThrowsError(try codec.decompress(compressed, sizeBytesMax: 1024 * 1024), "\(codec)") { error in
                guard case .decompressionFailed = error as? RecordFormatError else {
                    return XCTFail("\(codec): unexpected error \(error)")
                }
            }
        }
    }

    func testOutputExactlyAtTheLimitIsAccepted() throws {
        let input = TestBytes.compressible(count: 50_000)
        for codec in CompressionCodec.allCases {
            let compressed = try codec.compress(input)
            XCTAssertEqual(try codec.decompress(compressed, sizeBytesMax: input.count), input, "\(codec)")
            XCTAssertThrowsError(try codec.decompress(compressed, sizeBytesMax: input.count - 1), "\(codec)")
        }
    }

    func testTruncatedInputIsRefused() throws {
        let input = TestBytes.compressible(count: 100_000)
        for codec in CompressionCodec.allCases where codec != .none {
            let compressed = try codec.compress(input)
            for keptBytes in [compressed.count / 2, compressed.count - 1] {
                XCTAssertThrowsError(try codec.decompress(Array(compressed.prefix(keptBytes))), "\(codec) \(keptBytes)")
            }
        }
    }

    func testGarbageIsRefused() {
        var generator = SeededGenerator(seed: 9)
        let garbage = TestBytes.random(count: 1_000, using: &generator)
        for codec in CompressionCodec.allCases where codec != .none {
            XCTAssertThrowsError(try codec.decompress(garbage), "\(codec)")
        }
    }

    func testCorruptedCompressedDataThrowsOrDecodesWithinTheLimit() throws {
        var generator = SeededGenerator(seed: 11)
        let input = TestBytes.compressible(count: 20_000)
        for codec in CompressionCodec.allCases where codec != .none {
            let compressed = try codec.compress(input)
            for _ in 0..<300 {
                var corrupted = compressed
                for _ in 0..<Int.random(in: 1...3, using: &generator) {
                    let index = Int.random(in: 0..<corrupted.count, using: &generator)
                    corrupted[index] = UInt8.random(in: 0...255, using: &generator)
                }
                if let output = try? codec.decompress(corrupted, sizeBytesMax: 64 * 1024) {
                    XCTAssertLessThanOrEqual(output.count, 64 * 1024, "\(codec)")
                }
            }
        }
    }

    func testSnappyWritesXerialFraming() throws {
        let compressed = try CompressionCodec.snappy.compress(TestBytes.compressible(count: 100_000))
        let header: [UInt8] = [0x82, 0x53, 0x4E, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1]
        XCTAssertEqual(Array(compressed.prefix(16)), header)
    }

    func testLZ4WritesIndependentBlocksWithoutContentChecksum() throws {
        let compressed = try CompressionCodec.lz4.compress(TestBytes.compressible(count: 1_000))
        XCTAssertEqual(Array(compressed.prefix(4)), [0x04, 0x22, 0x4D, 0x18], "LZ4 frame magic")
        // FLG: version 01, block independence set, no block or content checksum, no content size.
        XCTAssertEqual(compressed[4], 0b0110_0000)
        // BD: 64 KiB blocks, the largest Kafka's Java reader accepts by default.
        XCTAssertEqual(compressed[5], 0b0100_0000)
    }

    func testGzipWritesGzipHeader() throws {
        let compressed = try CompressionCodec.gzip.compress(TestBytes.compressible(count: 1_000))
        XCTAssertEqual(Array(compressed.prefix(2)), [0x1F, 0x8B])
    }

    func testGzipReadsConcatenatedMembers() throws {
        let first = TestBytes.compressible(count: 1_000)
        let second = Array("tail".utf8)
        let joined = try CompressionCodec.gzip.compress(first) + CompressionCodec.gzip.compress(second)
        XCTAssertEqual(try CompressionCodec.gzip.decompress(joined), first + second)
    }

    func testZstdReadsConcatenatedFrames() throws {
        let first = TestBytes.compressible(count: 1_000)
        let joined = try CompressionCodec.zstd.compress(first) + CompressionCodec.zstd.compress(first)
        XCTAssertEqual(try CompressionCodec.zstd.decompress(joined), first + first)
    }

    // MARK: Bytes written by other libraries

    func testReadsZstdFrameWithoutContentSize() throws {
        let compressed = TestBytes.fromHex(KafkaPythonFixtures.zstdNoContentSizeHex)
        XCTAssertEqual(try CompressionCodec.zstd.decompress(compressed), KafkaPythonFixtures.payload)
    }

    func testReadsRawSnappy() throws {
        let compressed = TestBytes.fromHex(KafkaPythonFixtures.snappyRawHex)
        XCTAssertEqual(try CompressionCodec.snappy.decompress(compressed), KafkaPythonFixtures.payload)
    }

    func testReadsXerialSnappyFromKafkaPython() throws {
        let compressed = TestBytes.fromHex(KafkaPythonFixtures.snappyXerialHex)
        XCTAssertEqual(try CompressionCodec.snappy.decompress(compressed), KafkaPythonFixtures.payload)
    }

    func testReadsLZ4FrameWithLinkedBlocksAndChecksum() throws {
        let compressed = TestBytes.fromHex(KafkaPythonFixtures.lz4LinkedChecksumHex)
        XCTAssertEqual(try CompressionCodec.lz4.decompress(compressed), KafkaPythonFixtures.payload)
        var corrupted = compressed
        corrupted[corrupted.count - 2] ^= 0xFF  // inside the content checksum
        XCTAssertThrowsError(try CompressionCodec.lz4.decompress(corrupted))
    }

    func testReadsPythonGzip() throws {
        let compressed = TestBytes.fromHex(KafkaPythonFixtures.gzipPythonHex)
        XCTAssertEqual(try CompressionCodec.gzip.decompress(compressed), KafkaPythonFixtures.payload)
    }
}
