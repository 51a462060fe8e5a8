import KafkaWire
import NIOCore

/// The client side of one connection: writes framed requests, and decodes each response frame with
/// the decoder of the request it answers (responses arrive in request order).
final class KafkaClientHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private struct Pending {
        let correlationId: Int32
        let headerVersion: Int16
        let deliver: (Result<ByteBuffer, Error>) -> Void
    }

    private let clientId: String
    private let eventLoop: EventLoop
    private var context: ChannelHandlerContext?
    private var nextCorrelationId: Int32 = 1
    private var pending = CircularBuffer<Pending>()
    /// Why the connection ended (a failed TLS handshake, say), once it has: later requests fail with it at
    /// once instead of waiting for an answer that cannot come.
    private var endedBecause: Error?

    init(clientId: String, eventLoop: EventLoop) {
        self.clientId = clientId
        self.eventLoop = eventLoop
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func send<Request: KafkaRequestMessage>(_ request: Request, version: Int16) -> EventLoopFuture<Request.Response> {
        guard let context = self.context, self.endedBecause == nil else {
            return self.eventLoop.makeFailedFuture(self.endedBecause ?? KafkaClientError.connectionClosed)
        }
        let promise = context.eventLoop.makePromise(of: Request.Response.self)
        let correlationId = self.write(request, version: version, context: context)
        let headerVersion = ResponseHeader.headerVersion(apiKey: Request.apiKey.rawValue, apiVersion: version)
        self.pending.append(Pending(correlationId: correlationId, headerVersion: headerVersion) { result in
            promise.completeWith(result.flatMap { body in
                Result { () throws -> Request.Response in
                    var body = body
                    return try Request.Response(from: &body, version: version)
                }
            })
        })
        return promise.futureResult
    }

    func sendWithoutResponse<Request: KafkaRequestMessage>(_ request: Request, version: Int16) -> EventLoopFuture<Void> {
        guard let context = self.context, self.endedBecause == nil else {
            return self.eventLoop.makeFailedFuture(self.endedBecause ?? KafkaClientError.connectionClosed)
        }
        _ = self.write(request, version: version, context: context)
        return context.eventLoop.makeSucceededVoidFuture()
    }

    private func write<Request: KafkaRequestMessage>(_ request: Request, version: Int16, context: ChannelHandlerContext)
        -> Int32
    {
        let correlationId = self.nextCorrelationId
        self.nextCorrelationId = self.nextCorrelationId == Int32.max ? 1 : self.nextCorrelationId + 1
        let frame = KafkaFrame.encodeRequest(
            request, correlationId: correlationId, clientId: self.clientId, version: version,
            allocator: context.channel.allocator
        )
        context.writeAndFlush(self.wrapOutboundOut(frame), promise: nil)
        return correlationId
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var frame = self.unwrapInboundIn(data)
        guard let next = self.pending.popFirst() else {
            context.fireErrorCaught(KafkaClientError.unexpectedResponse("a response with no request"))
            return
        }
        do {
            let header = try ResponseHeader(from: &frame, headerVersion: next.headerVersion)
            guard header.correlationId == next.correlationId else {
                throw KafkaClientError.unexpectedResponse(
                    "correlation id \(header.correlationId), expected \(next.correlationId)"
                )
            }
            next.deliver(.success(frame))
        } catch {
            next.deliver(.failure(error))
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.endedBecause = self.endedBecause ?? KafkaClientError.connectionClosed
        self.failAll(self.endedBecause!)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        self.endedBecause = self.endedBecause ?? error
        self.failAll(error)
        context.close(promise: nil)
    }

    private func failAll(_ error: Error) {
        while let next = self.pending.popFirst() {
            next.deliver(.failure(error))
        }
    }
}
