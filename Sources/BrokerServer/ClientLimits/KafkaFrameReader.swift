import Logging
import NIOCore

/// The front of a Kafka connection's pipeline (after TLS): cuts the byte stream into whole request frames
/// like `KafkaFrameDecoder`, and bounds what a client can make the broker hold while a frame arrives.
///
/// - The bytes of the incomplete frame are charged to the broker-wide `RequestMemoryPool` as they arrive
///   (never from the declared size; the declared size is checked against `limits.request_size_bytes_max`,
///   the per-connection budget, as soon as its 4 bytes are in). When the pool is used up, a connection in
///   the middle of a frame stops reading (its next `read()` is held back) until a release brings the use
///   under the budget. A connection between frames keeps reading, so a client sending small requests is
///   still served while large partial frames wait. Everything charged is returned when the frame completes
///   or the connection goes away.
/// - A frame must arrive whole within `receiveTimeoutMs` of its first byte, paused or not: clients give up
///   on a request after their own request timeout (30 s in Kafka's clients), so a frame that takes longer
///   serves nobody, and closing it is what frees the budget when partial frames alone have used it up.
///
/// Timers are the event loop's scheduled tasks, so tests move time with `EmbeddedEventLoop.advanceTime`.
final class KafkaFrameReader: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = NIOAny

    private var accumulator: FrameAccumulator
    private let pool: RequestMemoryPool
    private let receiveTimeout: TimeAmount
    private let logger: Logger
    /// Bytes this connection has charged to the pool now.
    private var chargedBytes = 0
    /// The wait registered with the pool while reading is paused for the budget.
    private var poolWaitId: UInt64?
    /// A `read()` held back while paused; issued when the pool wakes this connection.
    private var readHeldBack = false
    private var receiveDeadline: Scheduled<Void>?
    private var isClosed = false
    private let onReceiveTimeout: @Sendable () -> Void

    /// `onReceiveTimeout` is called when a frame too slow to arrive closes the connection (metrics count it).
    init(
        maximumFrameSizeBytes: Int, pool: RequestMemoryPool, receiveTimeoutMs: Int64, logger: Logger,
        onReceiveTimeout: @escaping @Sendable () -> Void = {}
    ) {
        precondition(receiveTimeoutMs > 0, "a frame must be given time to arrive")
        self.accumulator = FrameAccumulator(maximumFrameSizeBytes: maximumFrameSizeBytes)
        self.pool = pool
        self.receiveTimeout = .milliseconds(receiveTimeoutMs)
        self.logger = logger
        self.onReceiveTimeout = onReceiveTimeout
    }

    /// Bytes charged to the pool for this connection's incomplete frame (tests).
    var heldBytes: Int { self.chargedBytes }
    /// Whether a `read()` is being held back for the budget (tests).
    var isPausedForBudget: Bool { self.poolWaitId != nil }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !self.isClosed else { return }
        let wasMidFrame = self.accumulator.isMidFrame
        let frames: [ByteBuffer]
        do {
            frames = try self.accumulator.append(self.unwrapInboundIn(data), allocator: context.channel.allocator)
        } catch {
            self.releaseEverything()
            context.fireErrorCaught(error)
            return
        }
        self.chargePool()
        self.updateReceiveDeadline(context: context, frameCompleted: !frames.isEmpty, wasMidFrame: wasMidFrame)
        for frame in frames {
            context.fireChannelRead(self.wrapInboundOut(frame))
        }
    }

    func read(context: ChannelHandlerContext) {
        guard self.accumulator.isMidFrame, self.pool.isExhausted else {
            context.read()
            return
        }
        self.readHeldBack = true
        guard self.poolWaitId == nil else { return }
        let loopBoundSelf = NIOLoopBound(self, eventLoop: context.eventLoop)
        let loopBoundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
        let eventLoop = context.eventLoop
        self.poolWaitId = self.pool.waitForRoom {
            eventLoop.execute { loopBoundSelf.value.resumeReading(context: loopBoundContext.value) }
        }
        if self.poolWaitId == nil {
            self.resumeReading(context: context)  // room came back between the two checks
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        // A partial frame at the end of the stream is dropped: the peer went away mid-request.
        self.releaseEverything()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.releaseEverything()
    }

    private func resumeReading(context: ChannelHandlerContext) {
        self.poolWaitId = nil
        guard !self.isClosed, self.readHeldBack else { return }
        self.readHeldBack = false
        self.read(context: context)
    }

    /// Brings the pool's charge for this connection to what the accumulator holds now.
    private func chargePool() {
        let heldBytes = self.accumulator.heldBytes
        self.pool.adjust(byBytes: heldBytes - self.chargedBytes)
        self.chargedBytes = heldBytes
    }

    /// A new frame starts its clock; a completed one stops it.
    private func updateReceiveDeadline(context: ChannelHandlerContext, frameCompleted: Bool, wasMidFrame: Bool) {
        let startsNewFrame = self.accumulator.isMidFrame && (frameCompleted || !wasMidFrame)
        if frameCompleted || !self.accumulator.isMidFrame {
            self.receiveDeadline?.cancel()
            self.receiveDeadline = nil
        }
        guard startsNewFrame else { return }
        let loopBoundSelf = NIOLoopBound(self, eventLoop: context.eventLoop)
        let loopBoundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
        self.receiveDeadline = context.eventLoop.scheduleTask(in: self.receiveTimeout) {
            loopBoundSelf.value.receiveTimedOut(context: loopBoundContext.value)
        }
    }

    private func receiveTimedOut(context: ChannelHandlerContext) {
        self.receiveDeadline = nil
        guard !self.isClosed else { return }
        self.logger.info("closing connection", metadata: [
            "remote": "\(context.remoteAddress?.description ?? "unknown")",
            "reason": "a request frame did not arrive whole within \(self.receiveTimeout.nanoseconds / 1_000_000) ms",
            "held_bytes": "\(self.chargedBytes)",
        ])
        self.onReceiveTimeout()
        self.releaseEverything()
        context.close(promise: nil)
    }

    /// Returns every charged byte and stops every timer and wait; idempotent.
    private func releaseEverything() {
        self.isClosed = true
        self.accumulator.reset()
        self.chargePool()
        self.receiveDeadline?.cancel()
        self.receiveDeadline = nil
        if let waitId = self.poolWaitId {
            self.pool.cancelWait(waitId)
            self.poolWaitId = nil
        }
    }
}
