import Foundation
import Logging
import NIOCore
import NIOHTTP1
import SluiceModel

/// One admin connection. The head of each request goes through the `AdminGate` first (credential, route,
/// role, declared size); a refused request is answered at once, before its body is read, and the connection
/// closed. An admitted request's body is collected up to the gate's cap (a chunked body is counted as it
/// arrives and refused the moment it passes the cap), then run against the operator runtime off the event
/// loop; a followed log is streamed as chunked text until the operator's log ends or the client goes away.
final class AdminHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// After a refusal the connection stops answering but drains what the client already sent, for this long
    /// and this many bytes at most, so the client reads the refusal instead of a reset (the lingering close of
    /// RFC 9112 §9.6). Nothing drained is kept; past either bound the connection is closed outright.
    static let refusalLingerMs: Int64 = 1000
    static let refusalDrainBytesMax = 1024 * 1024

    private enum State {
        case idle
        case collecting(route: AdminRoute, bodyBytesMax: Int)
        /// Refused: further parts are dropped, counted, until the connection closes.
        case refused(drainedBytes: Int)
    }

    private let adminContext: AdminContext
    private let gate: AdminGate
    private let logger: Logger
    private var state = State.idle
    private var body: ByteBuffer?

    init(context: AdminContext, gate: AdminGate, logger: Logger) {
        self.adminContext = context
        self.gate = gate
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            guard case .idle = self.state else { return }
            self.body = nil
            self.admit(head, context: context)
        case .body(var chunk):
            if case .refused(let drainedBytes) = self.state {
                self.drain(chunk.readableBytes, after: drainedBytes, context: context)
                return
            }
            guard case .collecting(_, let bodyBytesMax) = self.state else { return }
            guard (self.body?.readableBytes ?? 0) + chunk.readableBytes <= bodyBytesMax else {
                self.body = nil
                self.refuse(.tooLarge(bodyBytesMax: bodyBytesMax), context: context)
                return
            }
            if self.body == nil { self.body = chunk } else { self.body!.writeBuffer(&chunk) }
        case .end:
            guard case .collecting(let route, _) = self.state else { return }
            self.state = .idle
            let body = self.body ?? ByteBuffer()
            self.body = nil
            self.run(route, body: body, context: context)
        }
    }

    private func admit(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        let request = AdminGate.RequestHead(
            method: head.method.rawValue, uri: head.uri, authorization: head.headers.first(name: "Authorization"),
            contentLength: head.headers.first(name: "Content-Length"),
            remoteHost: context.remoteAddress?.ipAddress ?? "*"
        )
        switch self.gate.decide(request) {
        case .admit(let route, let bodyBytesMax, let principal):
            self.state = .collecting(route: route, bodyBytesMax: bodyBytesMax)
            if let principal, route.requiredRole.map({ $0 > .viewer }) == true {
                self.logger.info("admin: \(request.method) \(head.uri) by '\(principal)'")
            }
        case .refuse(let refusal):
            if refusal.status == 401 || refusal.status == 403 || refusal.status == 503 {
                let peer = context.remoteAddress.map { "\($0)" } ?? "?"
                let why = refusal.status == 403 ? refusal.message : refusal.code
                self.logger.notice("admin: refused \(request.method) \(head.uri) from \(peer): \(refusal.status) \(why)")
            }
            self.refuse(refusal, context: context)
        }
    }

    private func drain(_ bytes: Int, after drainedBytes: Int, context: ChannelHandlerContext) {
        self.state = .refused(drainedBytes: drainedBytes + bytes)
        if drainedBytes + bytes > Self.refusalDrainBytesMax { context.close(promise: nil) }
    }

    /// Answers `refusal`, half-closes, drains what is in flight for a moment, then closes.
    private func refuse(_ refusal: AdminRefusal, context: ChannelHandlerContext) {
        self.state = .refused(drainedBytes: 0)
        let document = ErrorDocument(error: refusal.code, message: refusal.message)
        let bytes = (try? JSONEncoder().encode(document)).map(Array.init) ?? []
        var headers = refusal.headers
        headers["Connection"] = "close"
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        self.respond(context: context, status: refusal.status, body: bytes, contentType: "application/json", extraHeaders: headers)
            .whenComplete { _ in
                let context = loopBound.value
                context.close(mode: .output, promise: nil)
                context.eventLoop.scheduleTask(in: .milliseconds(Self.refusalLingerMs)) {
                    loopBound.value.close(promise: nil)
                }
            }
    }

    private func run(_ route: AdminRoute, body: ByteBuffer, context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let eventLoop = context.eventLoop
        let adminContext = self.adminContext
        Task {
            let outcome = await AdminRequestRunner.run(route, body: body, context: adminContext)
            eventLoop.execute {
                let (handler, context) = loopBound.value
                handler.deliver(outcome, context: context)
            }
        }
    }

    private func deliver(_ outcome: AdminRequestRunner.Outcome, context: ChannelHandlerContext) {
        switch outcome {
        case .json(let status, let bytes):
            self.respond(context: context, status: status, body: bytes, contentType: "application/json")
        case .body(let status, let contentType, let bytes):
            self.respond(context: context, status: status, body: bytes, contentType: contentType)
        case .text(let lines):
            self.respond(context: context, status: 200, body: Array(lines.map { $0 + "\n" }.joined().utf8), contentType: "text/plain; charset=utf-8")
        case .stream(let lines):
            self.stream(lines, context: context)
        }
    }

    @discardableResult
    private func respond(
        context: ChannelHandlerContext, status: Int, body: [UInt8], contentType: String,
        extraHeaders: [String: String] = [:]
    ) -> EventLoopFuture<Void> {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "Content-Length", value: String(body.count))
        for (name, value) in extraHeaders.sorted(by: { $0.key < $1.key }) { headers.add(name: name, value: value) }
        let head = HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: status), headers: headers)
        context.write(self.wrapOutboundOut(.head(head)), promise: nil)
        context.write(self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: body)))), promise: nil)
        return context.writeAndFlush(self.wrapOutboundOut(.end(nil)))
    }

    /// Streams log lines as a chunked response until the stream ends or the client disconnects.
    private func stream(_ lines: AsyncStream<String>, context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
        headers.add(name: "Transfer-Encoding", value: "chunked")
        context.writeAndFlush(self.wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
        let channel = context.channel
        let task = Task {
            for await line in lines {
                guard channel.isActive else { break }
                let part = HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(string: line + "\n")))
                try? await channel.writeAndFlush(part)
            }
            try? await channel.writeAndFlush(HTTPServerResponsePart.end(nil))
        }
        channel.closeFuture.whenComplete { _ in task.cancel() }
    }
}
