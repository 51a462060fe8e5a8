import Logging
import NIOCore

/// Sent outbound by `KafkaConnectionHandler` each time one of its requests is done (answered, or finished
/// without an answer as a produce with acks=0 is), so that the idle clock knows the requests in flight.
struct KafkaRequestAnswered: Sendable {}

/// Closes a connection that has had no request in flight for `connectionsMaxIdleMs`, counted from when
/// it opened or from when its last request was done (Kafka's `connections.max.idle.ms`). Bytes alone do
/// not count as activity: a frame that has started but not arrived whole is not a request, so a client
/// that stalls mid-frame, or trickles a byte at a time, is closed like an idle one. A request in flight
/// (a fetch waiting for data) keeps the connection open however long it waits.
///
/// Sits between `KafkaFrameReader` (each inbound message is one whole request) and the connection handler.
/// The clock is the event loop's scheduler, so tests move time with `EmbeddedEventLoop.advanceTime`.
final class IdleConnectionCloser: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = NIOAny

    private let idleTimeout: TimeAmount
    private let logger: Logger
    private let onClose: @Sendable () -> Void
    private var requestsInFlight = 0
    private var deadline: Scheduled<Void>?

    /// `onClose` is called when this handler closes a connection for idleness (the metrics count it).
    init(connectionsMaxIdleMs: Int64, logger: Logger, onClose: @escaping @Sendable () -> Void = {}) {
        precondition(connectionsMaxIdleMs > 0, "an idle timeout must give a connection some time")
        self.idleTimeout = .milliseconds(connectionsMaxIdleMs)
        self.logger = logger
        self.onClose = onClose
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { self.arm(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        self.arm(context: context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.requestsInFlight += 1
        self.disarm()
        context.fireChannelRead(data)
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard event is KafkaRequestAnswered else {
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        self.requestsInFlight = max(0, self.requestsInFlight - 1)
        if self.requestsInFlight == 0 { self.arm(context: context) }
        promise?.succeed(())
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.disarm()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.disarm()
    }

    private func arm(context: ChannelHandlerContext) {
        self.disarm()
        let loopBoundSelf = NIOLoopBound(self, eventLoop: context.eventLoop)
        let loopBoundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
        self.deadline = context.eventLoop.scheduleTask(in: self.idleTimeout) {
            loopBoundSelf.value.closeIdle(context: loopBoundContext.value)
        }
    }

    private func disarm() {
        self.deadline?.cancel()
        self.deadline = nil
    }

    private func closeIdle(context: ChannelHandlerContext) {
        self.deadline = nil
        guard self.requestsInFlight == 0, context.channel.isActive else { return }
        self.logger.info("closing connection", metadata: [
            "remote": "\(context.remoteAddress?.description ?? "unknown")",
            "reason": "no request for \(self.idleTimeout.nanoseconds / 1_000_000) ms (server.connections_max_idle_ms)",
        ])
        self.onClose()
        context.close(promise: nil)
    }
}
