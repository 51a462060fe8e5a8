import Foundation
import NIOCore
import XCTest

@testable import BrokerServer
@testable import LogStore

/// The TLS fetch path: a segment slice goes out as flushed chunks of at most `SliceCopier.chunkBytes`, byte for
/// byte, through one buffer reused while the pipeline lets go of each chunk.
final class SliceCopierTests: XCTestCase {
    func testASliceGoesOutInChunksThroughOneReusedBuffer() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("slice-copier-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("segment.log").path
        let content = (0..<700_000).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ $0 >> 9) }
        FileManager.default.createFile(atPath: path, contents: Data(content))
        let file = try SegmentFileHandle(path: path, create: false, readOnly: true, fileIO: SystemFileIO())
        let slice = FileSlice(file: file, positionBytes: 1000, sizeBytes: 600_000)

        var copier = SliceCopier()
        var sent: [UInt8] = []
        var chunkSizes: [Int] = []
        var storageAddresses = Set<UInt>()
        try copier.write(slice, allocator: ByteBufferAllocator()) { chunk in
            chunkSizes.append(chunk.readableBytes)
            sent += chunk.readableBytesView
            chunk.withUnsafeReadableBytes { storageAddresses.insert(UInt(bitPattern: $0.baseAddress)) }
        }
        XCTAssertEqual(sent, Array(content[1000..<601_000]))
        XCTAssertEqual(chunkSizes, [SliceCopier.chunkBytes, SliceCopier.chunkBytes, 600_000 - 2 * SliceCopier.chunkBytes])
        XCTAssertEqual(storageAddresses.count, 1, "every chunk was read into the same buffer")
    }

    func testAChunkStillHeldIsNotOverwritten() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("slice-copier-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("segment.log").path
        let content = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 / 7) }
        FileManager.default.createFile(atPath: path, contents: Data(content))
        let file = try SegmentFileHandle(path: path, create: false, readOnly: true, fileIO: SystemFileIO())

        var copier = SliceCopier()
        var held: [ByteBuffer] = []  // as a pipeline that has not written its chunks out yet
        try copier.write(FileSlice(file: file, positionBytes: 0, sizeBytes: 300_000), allocator: ByteBufferAllocator()) {
            held.append($0)
        }
        XCTAssertEqual(held.flatMap { Array($0.readableBytesView) }, content)
    }
}
