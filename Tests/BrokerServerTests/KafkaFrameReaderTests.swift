import KafkaWire
import Logging
import NIOCore
import NIOEmbedded
import XCTest

@testable import BrokerServer

/// The request memory budget and the receive timeout, through `KafkaFrameReader` in an `EmbeddedChannel`:
/// bytes charged as they arrive (not from the declared size), returned when a frame completes or the
/// connection closes, reading paused while the pool is used up and resumed when it frees, a stalled frame
/// closed after the receive timeout (time moved by `EmbeddedEventLoop.advanceTime`).
final class KafkaFrameReaderTests: XCTestCase {
    static let megabyte = 1024 * 1024

    func testBytesAreChargedAsTheyArriveNotFromTheDeclaredSize() throws {
        let pool = RequestMemoryPool(budgetBytes: 64 * Self.megabyte)
        let (channel, reader, _) = try Self.makeChannel(pool: pool)
        // A frame that declares 50 MiB and brings 1,000 bytes of it. Charging the declared size (or
        // allocating it, the bug of issue #11) would show 50 MiB here.
        try channel.writeInbound(Self.bytes(sizePrefix: 50 * Self.megabyte, bodyBytes: 1000))
        XCTAssertGreaterThanOrEqual(pool.usedBytes, 1004)
        XCTAssertLessThan(pool.usedBytes, 64 * 1024)
        XCTAssertEqual(reader.heldBytes, pool.usedBytes)
        try channel.writeInbound(Self.body(bytes: 100_000))
        XCTAssertGreaterThanOrEqual(pool.usedBytes, 101_004, "later bytes are charged as they arrive")
        // Capacities are powers of two (1 KiB + 128 KiB here): at most twice the bytes, never the declared 50 MiB.
        XCTAssertLessThanOrEqual(pool.usedBytes, 2 * 101_004)
        XCTAssertNil(try channel.readInbound(as: ByteBuffer.self))
        _ = try? channel.finish()
    }

    func testACompletedFrameReturnsItsBytesAndIsPassedOn() throws {
        let pool = RequestMemoryPool(budgetBytes: Self.megabyte)
        let (channel, _, _) = try Self.makeChannel(pool: pool)
        try channel.writeInbound(Self.bytes(sizePrefix: 3000, bodyBytes: 1000))
        XCTAssertGreaterThan(pool.usedBytes, 0)
        // The rest of the frame and the first 10 bytes of the next one.
        try channel.writeInbound(Self.concatenate(Self.body(bytes: 2000), Self.bytes(sizePrefix: 500, bodyBytes: 10)))
        let frame = try XCTUnwrap(try channel.readInbound(as: ByteBuffer.self))
        XCTAssertEqual(frame.readableBytes, 3000)
        XCTAssertEqual(pool.usedBytes, 16, "only the next frame's 14 bytes stay charged, copied (16 with rounding)")
        try channel.writeInbound(Self.body(bytes: 490))
        XCTAssertEqual(try channel.readInbound(as: ByteBuffer.self)?.readableBytes, 500)
        XCTAssertEqual(pool.usedBytes, 0)
        XCTAssertTrue(try channel.finish().isClean)
    }

    func testClosingAConnectionMidFrameReturnsItsBytes() throws {
        let pool = RequestMemoryPool(budgetBytes: Self.megabyte)
        let (channel, _, _) = try Self.makeChannel(pool: pool)
        try channel.writeInbound(Self.bytes(sizePrefix: 100_000, bodyBytes: 20_000))
        XCTAssertGreaterThanOrEqual(pool.usedBytes, 20_004)
        try channel.close().wait()
        XCTAssertEqual(pool.usedBytes, 0)
    }

    func testATrickleOfSmallReadsInLargeBuffersIsChargedForItsBytes() throws {
        let pool = RequestMemoryPool(budgetBytes: Self.megabyte)
        let (channel, _, _) = try Self.makeChannel(pool: pool)
        var first = ByteBuffer()
        first.reserveCapacity(64 * 1024)  // as a socket read of 5 bytes into a 64 KiB receive buffer
        first.writeInteger(Int32(10_000))
        first.writeInteger(UInt8(1))
        try channel.writeInbound(first)
        for _ in 0..<100 {
            var byte = ByteBuffer()
            byte.reserveCapacity(64 * 1024)
            byte.writeInteger(UInt8(7))
            try channel.writeInbound(byte)
        }
        // Keeping each 64 KiB read buffer would hold 6.4 MiB for 105 bytes.
        XCTAssertLessThanOrEqual(pool.usedBytes, 4096)
        _ = try? channel.finish()
    }

    func testAUsedUpPoolPausesReadingMidFrameAndAReleaseResumesIt() throws {
        let pool = RequestMemoryPool(budgetBytes: 8192)
        let (stalled, stalledReader, stalledReads) = try Self.makeChannel(pool: pool)
        let (waiting, waitingReader, waitingReads) = try Self.makeChannel(pool: pool)
        let (between, _, betweenReads) = try Self.makeChannel(pool: pool)
        try stalled.writeInbound(Self.bytes(sizePrefix: 100_000, bodyBytes: 6000))
        try waiting.writeInbound(Self.bytes(sizePrefix: 100_000, bodyBytes: 3000))
        XCTAssertTrue(pool.isExhausted)

        waiting.read()
        XCTAssertEqual(waitingReads.count, 0, "a connection mid-frame is not read while the pool is used up")
        XCTAssertTrue(waitingReader.isPausedForBudget)
        XCTAssertEqual(pool.waitingCount, 1)
        between.read()
        XCTAssertEqual(betweenReads.count, 1, "a connection between frames is still read")
        stalled.read()
        XCTAssertEqual(stalledReads.count, 0)
        XCTAssertTrue(stalledReader.isPausedForBudget)

        try stalled.close().wait()  // its 6,004 bytes come back: the pool has room again
        XCTAssertFalse(pool.isExhausted)
        waiting.embeddedEventLoop.run()
        XCTAssertEqual(waitingReads.count, 1, "the held-back read is issued once the pool has room")
        XCTAssertFalse(waitingReader.isPausedForBudget)
        XCTAssertEqual(pool.waitingCount, 0, "the closed connection's wait is gone too")
        _ = try? waiting.finish()
        _ = try? between.finish()
    }

    func testAFrameThatDoesNotArriveWithinTheReceiveTimeoutClosesItsConnection() throws {
        let pool = RequestMemoryPool(budgetBytes: Self.megabyte)
        let (channel, _, _) = try Self.makeChannel(pool: pool, receiveTimeoutMs: 2000)
        try channel.writeInbound(Self.bytes(sizePrefix: 10_000, bodyBytes: 100))
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(1500))
        try channel.writeInbound(Self.body(bytes: 100))  // progress does not restart the clock of this frame
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(499))
        XCTAssertTrue(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(1))
        XCTAssertFalse(channel.isActive, "the frame took longer than the receive timeout")
        XCTAssertEqual(pool.usedBytes, 0)
    }

    func testFramesThatArriveInTimeAreNeverTimedOut() throws {
        let pool = RequestMemoryPool(budgetBytes: Self.megabyte)
        let (channel, _, _) = try Self.makeChannel(pool: pool, receiveTimeoutMs: 2000)
        for _ in 0..<5 {
            try channel.writeInbound(Self.bytes(sizePrefix: 200, bodyBytes: 100))
            channel.embeddedEventLoop.advanceTime(by: .milliseconds(1500))
            try channel.writeInbound(Self.body(bytes: 100))
            channel.embeddedEventLoop.advanceTime(by: .milliseconds(1500))
        }
        XCTAssertTrue(channel.isActive, "each frame arrived within 2 s of its first byte")
        var frames = 0
        while try channel.readInbound(as: ByteBuffer.self) != nil { frames += 1 }
        XCTAssertEqual(frames, 5)
        XCTAssertTrue(try channel.finish().isClean)
    }

    func testADeclaredSizeOverTheConnectionLimitIsRefusedAtOnce() throws {
        let pool = RequestMemoryPool(budgetBytes: Self.megabyte)
        let (channel, _, _) = try Self.makeChannel(pool: pool, maximumFrameSizeBytes: 1000)
        XCTAssertThrowsError(try channel.writeInbound(Self.bytes(sizePrefix: 1001, bodyBytes: 10))) { error in
            XCTAssertEqual((error as? KafkaWireError)?.code, .frameTooLarge)
        }
        XCTAssertEqual(pool.usedBytes, 0)
    }

    func testFramesSplitAtAnyByteComeOutWholeAndNothingStaysHeld() throws {
        let bodies: [[UInt8]] = [[], [1, 2, 3, 4, 5], Array(repeating: 9, count: 3000), [7]]
        var stream = ByteBuffer()
        for body in bodies {
            stream.writeInteger(Int32(body.count))
            stream.writeBytes(body)
        }
        for pieceBytes in [1, 2, 3, 5, 7, 1000, stream.readableBytes] {
            var accumulator = FrameAccumulator(maximumFrameSizeBytes: 4096)
            var remaining = stream
            var frames: [[UInt8]] = []
            while remaining.readableBytes > 0 {
                let piece = remaining.readSlice(length: min(pieceBytes, remaining.readableBytes))!
                frames += try accumulator.append(piece, allocator: ByteBufferAllocator()).map { Array($0.readableBytesView) }
                XCTAssertLessThanOrEqual(accumulator.heldBytes, 4 * 4096, "pieces of \(pieceBytes)")
            }
            XCTAssertEqual(frames, bodies, "pieces of \(pieceBytes) bytes")
            XCTAssertEqual(accumulator.heldBytes, 0)
            XCTAssertFalse(accumulator.isMidFrame)
        }
    }

    func testLargeFramesSpanningReadsComeOutWholeAndNothingStaysHeldBetweenFrames() throws {
        // Produce requests of about a megabyte arriving in reads that never line up with them, as under TLS.
        let bodySizes = [300_000, 700_000, 1_000_000, 1_000_000, 90_000]
        var stream = ByteBuffer()
        for (index, size) in bodySizes.enumerated() {
            stream.writeInteger(Int32(size))
            stream.writeBytes((0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index) })
        }
        var accumulator = FrameAccumulator(maximumFrameSizeBytes: 2 * Self.megabyte)
        var remaining = stream
        var index = 0
        while remaining.readableBytes > 0 {
            let piece = remaining.readSlice(length: min(333_333, remaining.readableBytes))!
            // Each frame is handled (and let go of) before the next read, as the pipeline does.
            for frame in try accumulator.append(piece, allocator: ByteBufferAllocator()) {
                XCTAssertEqual(frame.readableBytes, bodySizes[index])
                let expected = (0..<frame.readableBytes).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index) }
                XCTAssertTrue(frame.readableBytesView.elementsEqual(expected), "frame \(index)")
                index += 1
            }
            XCTAssertLessThanOrEqual(accumulator.heldBytes, 2 * 2 * Self.megabyte, "the partial frame and one spare")
        }
        XCTAssertEqual(index, bodySizes.count)
        XCTAssertFalse(accumulator.isMidFrame)
        XCTAssertEqual(accumulator.heldBytes, 0, "between frames nothing is held, spare included")
    }

    func testEveryFrameOfAStreamSplitIntoLargeReadsComesOutWholeAndInOrder() throws {
        // 3,000,000 bytes go past the assembly buffer into blocks.
        let bodySizes = [70_000, 200_000, 5, 1_500_000, 65_536, 3_000_000, 300_000]
        var stream = ByteBuffer()
        for (index, size) in bodySizes.enumerated() {
            stream.writeInteger(Int32(size))
            stream.writeRepeatingByte(UInt8(index + 1), count: size)
        }
        for pieceBytes in [4096, 100_003, 262_144, 1_048_576] {
            var accumulator = FrameAccumulator(maximumFrameSizeBytes: 4 * Self.megabyte)
            var remaining = stream
            var received: [(Int, Set<UInt8>)] = []
            while remaining.readableBytes > 0 {
                let piece = remaining.readSlice(length: min(pieceBytes, remaining.readableBytes))!
                for frame in try accumulator.append(piece, allocator: ByteBufferAllocator()) {
                    received.append((frame.readableBytes, Set(frame.readableBytesView)))
                }
            }
            XCTAssertEqual(received.map(\.0), bodySizes, "pieces of \(pieceBytes)")
            XCTAssertEqual(received.map(\.1), bodySizes.indices.map { [UInt8($0 + 1)] }, "pieces of \(pieceBytes)")
            XCTAssertEqual(accumulator.heldBytes, 0)
        }
    }

    // MARK: - Helpers

    /// Counts the `read()` calls that get past the handlers to the channel.
    final class ReadCounter: ChannelOutboundHandler {
        typealias OutboundIn = NIOAny
        var count = 0

        func read(context: ChannelHandlerContext) {
            self.count += 1
            context.read()
        }
    }

    static func makeChannel(
        pool: RequestMemoryPool, receiveTimeoutMs: Int64 = 60_000, maximumFrameSizeBytes: Int = 100 * megabyte
    ) throws -> (EmbeddedChannel, KafkaFrameReader, ReadCounter) {
        let reads = ReadCounter()
        let reader = KafkaFrameReader(
            maximumFrameSizeBytes: maximumFrameSizeBytes, pool: pool, receiveTimeoutMs: receiveTimeoutMs,
            logger: Logger(label: "test")
        )
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(reads)
        try channel.pipeline.syncOperations.addHandler(reader)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9092)).wait()
        return (channel, reader, reads)
    }

    /// A size prefix and the first `bodyBytes` of the body, in a buffer of exactly that size.
    static func bytes(sizePrefix: Int, bodyBytes: Int) -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: 4 + bodyBytes)
        buffer.writeInteger(Int32(sizePrefix))
        buffer.writeRepeatingByte(0x41, count: bodyBytes)
        return buffer
    }

    static func body(bytes: Int) -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: bytes)
        buffer.writeRepeatingByte(0x42, count: bytes)
        return buffer
    }

    static func concatenate(_ first: ByteBuffer, _ second: ByteBuffer) -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: first.readableBytes + second.readableBytes)
        buffer.writeImmutableBuffer(first)
        buffer.writeImmutableBuffer(second)
        return buffer
    }
}
