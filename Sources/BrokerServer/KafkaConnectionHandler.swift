import Logging
import LogStore
import NIOCore
import NIOSSL
import NIOTLS
import SluiceSecurity

#if canImport(Glibc)
import Glibc
#endif

/// One client connection: takes whole request frames (the frame decoder in front of it strips the
/// size prefix), hands each to the request router, and writes the responses back in request order.
/// All of its state is touched on its channel's event loop only; routers complete requests from
/// other threads through `complete(slot:with:)`, which hops back here.
///
/// On a TLS listener fetched segment bytes cannot go out by sendfile (the kernel would bypass the
/// encryption): `SliceCopier` reads them from the page cache instead, and the TLS handler in front
/// encrypts them. A verified client certificate's subject becomes the connection's principal.
final class KafkaConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = Never
    typealias OutboundOut = IOData

    private let router: KafkaRequestRouter
    private let logger: Logger
    private let session: ConnectionSession
    /// False under TLS: segment slices are copied instead of sent by sendfile.
    private let sendsFileRegions: Bool
    /// Reads segment slices for TLS, which cannot use sendfile.
    private var sliceCopier = SliceCopier()
    /// A response after which the connection closes (a refused login): its slot and why.
    private var closeAfter: (slot: UInt64, reason: String)?
    private var sequencer: ResponseSequencer<OutboundResponse>
    private var context: ChannelHandlerContext?
    /// A read the channel asked for while too many requests were in flight; issued once some finish.
    private var readDeferred = false
    /// Kept from when the connection opened: after a reset the channel no longer knows its peer.
    private var remoteAddress = "unknown"

    init(router: KafkaRequestRouter, logger: Logger, session: ConnectionSession, inFlightRequestsMax: Int = 128) {
        self.router = router
        self.logger = logger
        self.session = session
        self.sendsFileRegions = !session.listener.securityProtocol.usesTLS
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
            remoteHost: "/" + (context.remoteAddress?.ipAddress ?? "unknown"),
            session: self.session
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

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case TLSUserEvent.handshakeCompleted = event,
           let tls = try? context.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self),
           let certificate = tls.peerCertificate, let der = try? certificate.toDERBytes(),
           let subject = CertificateSubject.distinguishedName(certificateDER: der) {
            self.session.setCertificatePrincipal(KafkaPrincipal(name: subject))
            self.logger.info("client certificate verified", metadata: [
                "remote": "\(self.remoteAddress)", "principal": "\(self.session.principal)",
            ])
        }
        context.fireUserInboundEventTriggered(event)
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
        // The idle clock in front (`IdleConnectionCloser`) counts requests in flight; a produce with acks=0
        // is answered by nothing, so it is told here rather than by watching responses.
        context.triggerUserOutboundEvent(KafkaRequestAnswered(), promise: nil)
        switch outcome {
        case .closeConnection(let reason):
            self.logger.info("closing connection", metadata: ["remote": "\(self.remoteAddress)", "reason": "\(reason)"])
            context.close(promise: nil)
            return
        case .respond(let response):
            self.write(self.sequencer.complete(slot, with: .respond(response)), context: context)
        case .respondThenClose(let response, let reason):
            self.closeAfter = (slot, reason)
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
        defer { self.closeIfDue(context: context) }
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

    /// Closes once the response that ends the connection has been written out.
    private func closeIfDue(context: ChannelHandlerContext) {
        guard let closeAfter = self.closeAfter, self.sequencer.isWritten(closeAfter.slot) else { return }
        self.closeAfter = nil
        self.logger.info("closing connection", metadata: ["remote": "\(self.remoteAddress)", "reason": "\(closeAfter.reason)"])
        let promise = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(self.wrapOutboundOut(.byteBuffer(context.channel.allocator.buffer(capacity: 0))), promise: promise)
        promise.futureResult.whenComplete { _ in context.close(promise: nil) }
    }

    private func write(_ part: OutboundResponse.Part, context: ChannelHandlerContext) {
        switch part {
        case .bytes(let buffer):
            context.write(self.wrapOutboundOut(.byteBuffer(buffer)), promise: nil)
        case .file(let slice) where !self.sendsFileRegions:
            do {
                try self.sliceCopier.write(slice, allocator: context.channel.allocator) { chunk in
                    context.write(self.wrapOutboundOut(.byteBuffer(chunk)), promise: nil)
                    context.flush()
                }
            } catch {
                context.fireErrorCaught(error)
            }
        case .file(let slice):
            // The region gets its own descriptor so that retention deleting the segment, or the
            // FileSlice going away, cannot pull the file from under a sendfile in progress.
            // Close-on-exec, as every descriptor of the broker: an operator started while this sendfile is in
            // flight must not inherit a segment file (plain dup() would drop the flag).
            let descriptor = fcntl(slice.file.descriptor, F_DUPFD_CLOEXEC, 0)
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
    /// Send the response, then close (Kafka's answer to a refused authentication).
    case respondThenClose(OutboundResponse, reason: String)
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
    /// The listener the connection came in on and who the client is.
    let session: ConnectionSession
}

enum BrokerError: Error, CustomStringConvertible {
    case io(String)

    var description: String {
        switch self {
        case .io(let message): return message
        }
    }
}
