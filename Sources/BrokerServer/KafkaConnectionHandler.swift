import Logging
import LogStore
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// One client connection: takes whole request frames (the frame decoder in front of it strips the
/// size prefix), hands each to the request router, and writes the responses back in request order.
/// All of its state is touched on its channel's event loop only; routers complete requests from
/// other threads through `complete(slot:with:)`, which hops back here.
final class KafkaConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = Never
    typealias OutboundOut = IOData

    private let router: KafkaRequestRouter
    private let logger: Logger
    private var sequencer: ResponseSequencer<OutboundResponse>
    private var context: ChannelHandlerContext?
    /// A read the channel asked for while too many requests were in flight; issued once some finish.
    private var readDeferred = false
    /// Kept from when the connection opened: after a reset the channel no longer knows its peer.
    private var remoteAddress = "unknown"

    init(router: KafkaRequestRouter, logger: Logger, inFlightRequestsMax: Int = 128) {
        self.router = router
        self.logger = logger
        self.sequencer = ResponseSequencer(inFlightRequestsMax: inFlightRequestsMax)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = self.unwrapInboundIn(data)
        let slot = self.sequencer.reserve()
        let eventLoop = context.eventLoop
        let requestContext = RequestContext(
            eventLoop: eventLoop,
            allocator: context.channel.allocator,
            remoteAddress: context.remoteAddress?.description ?? "unknown",
            remoteHost: "/" + (context.remoteAddress?.ipAddress ?? "unknown")
        )
        let loopBoundSelf = NIOLoopBound(self, eventLoop: eventLoop)
        self.router.handle(frame: frame, context: requestContext) { outcome in
            if eventLoop.inEventLoop {
                loopBoundSelf.value.complete(slot: slot, with: outcome)
            } else {
                eventLoop.execute { loopBoundSelf.value.complete(slot: slot, with: outcome) }
            }
        }
    }

    func read(context: ChannelHandlerContext) {
        if self.sequencer.shouldPauseReading {
            self.readDeferred = true
        } else {
            context.read()
        }
    }

    func channelActive(context: ChannelHandlerContext) {
        self.remoteAddress = context.remoteAddress?.description ?? "unknown"
        context.fireChannelActive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // One bad connection (garbage, an oversized frame, a reset) is closed; nothing else is touched.
        // A client that hangs up abruptly is ordinary, so resets are logged quietly.
        let isReset = (error as? IOError).map { $0.errnoCode == ECONNRESET || $0.errnoCode == EPIPE } ?? false
        self.logger.log(level: isReset ? .debug : .info, "closing connection", metadata: [
            "remote": "\(self.remoteAddress)", "reason": "\(error)",
        ])
        context.close(promise: nil)
    }

    private func complete(slot: UInt64, with outcome: RequestOutcome) {
        guard let context = self.context else { return }  // the connection is already gone
        switch outcome {
        case .closeConnection(let reason):
            self.logger.info("closing connection", metadata: ["remote": "\(self.remoteAddress)", "reason": "\(reason)"])
            context.close(promise: nil)
            return
        case .respond(let response):
            self.write(self.sequencer.complete(slot, with: .respond(response)), context: context)
        case .noResponse:
            self.write(self.sequencer.complete(slot, with: .noResponse), context: context)
        }
        if self.readDeferred && !self.sequencer.shouldPauseReading {
            self.readDeferred = false
            context.read()
        }
    }

    private func write(_ responses: [OutboundResponse], context: ChannelHandlerContext) {
        guard !responses.isEmpty else { return }
        for response in responses {
            var sizePrefix = context.channel.allocator.buffer(capacity: 4)
            sizePrefix.writeInteger(Int32(response.sizeBytes))
            context.write(self.wrapOutboundOut(.byteBuffer(sizePrefix)), promise: nil)
            for part in response.parts {
                self.write(part, context: context)
            }
        }
        context.flush()
    }

    private func write(_ part: OutboundResponse.Part, context: ChannelHandlerContext) {
        switch part {
        case .bytes(let buffer):
            context.write(self.wrapOutboundOut(.byteBuffer(buffer)), promise: nil)
        case .file(let slice):
            // The region gets its own descriptor so that retention deleting the segment, or the
            // FileSlice going away, cannot pull the file from under a sendfile in progress.
            let descriptor = dup(slice.file.descriptor)
            guard descriptor >= 0 else {
                context.fireErrorCaught(BrokerError.io("dup of a segment descriptor failed, errno \(errno)"))
                return
            }
            let handle = NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: descriptor)
            let region = FileRegion(
                fileHandle: handle,
                readerIndex: Int(slice.positionBytes),
                endIndex: Int(slice.positionBytes) + slice.sizeBytes
            )
            let promise = context.eventLoop.makePromise(of: Void.self)
            promise.futureResult.whenComplete { _ in try? handle.close() }
            context.write(self.wrapOutboundOut(.fileRegion(region)), promise: promise)
        }
    }
}

/// What the router decided for one request.
enum RequestOutcome {
    case respond(OutboundResponse)
    case noResponse
    /// The request was malformed or not allowed; Kafka's answer to that is closing the connection.
    case closeConnection(reason: String)
}

/// Where a request came from and where its work may run.
struct RequestContext: Sendable {
    let eventLoop: EventLoop
    let allocator: ByteBufferAllocator
    let remoteAddress: String
    /// The client's IP address as Kafka shows it in group descriptions ("/127.0.0.1").
    let remoteHost: String
}

enum BrokerError: Error, CustomStringConvertible {
    case io(String)

    var description: String {
        switch self {
        case .io(let message): return message
        }
    }
}
