import Foundation
import Logging
import NIOCore
import NIOHTTP1
import SluiceModel

/// One admin connection: collects a request (head and a body bounded by `bodySizeBytesMax`), runs it
/// against the operator runtime off the event loop, and writes the JSON answer; a followed log is
/// streamed as chunked text until the operator's log ends or the client goes away.
final class AdminHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let adminContext: AdminContext
    private let logger: Logger
    private let bodySizeBytesMax: Int
    private var head: HTTPRequestHead?
    private var body: ByteBuffer?
    private var refused = false

    init(context: AdminContext, logger: Logger, bodySizeBytesMax: Int) {
        self.adminContext = context
        self.logger = logger
        self.bodySizeBytesMax = bodySizeBytesMax
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            self.body = nil
            self.refused = false
        case .body(var chunk):
            guard !self.refused else { return }
            if (self.body?.readableBytes ?? 0) + chunk.readableBytes > self.bodySizeBytesMax {
                self.refused = true
                let error = AdminError(
                    status: 413, code: "too_large", message: "request body over \(self.bodySizeBytesMax) bytes"
                )
                self.respond(context: context, status: error.status, json: ErrorDocument(error: error.code, message: error.message), close: true)
                return
            }
            if self.body == nil { self.body = chunk } else { self.body!.writeBuffer(&chunk) }
        case .end:
            guard let head = self.head, !self.refused else { return }
            self.head = nil
            self.handle(head: head, body: self.body ?? ByteBuffer(), context: context)
        }
    }

    private func handle(head: HTTPRequestHead, body: ByteBuffer, context: ChannelHandlerContext) {
        guard let route = AdminRoute(method: head.method.rawValue, uri: head.uri) else {
            self.respond(context: context, status: 404, json: ErrorDocument(
                error: "no_route", message: "no admin route \(head.method.rawValue) \(head.uri)"
            ))
            return
        }
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

    private func respond<Document: Encodable>(context: ChannelHandlerContext, status: Int, json: Document, close: Bool = false) {
        let bytes = (try? JSONEncoder().encode(json)).map(Array.init) ?? []
        self.respond(context: context, status: status, body: bytes, contentType: "application/json", close: close)
    }

    private func respond(context: ChannelHandlerContext, status: Int, body: [UInt8], contentType: String, close: Bool = false) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "Content-Length", value: String(body.count))
        if close { headers.add(name: "Connection", value: "close") }
        let head = HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: status), headers: headers)
        context.write(self.wrapOutboundOut(.head(head)), promise: nil)
        context.write(self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: body)))), promise: nil)
        context.writeAndFlush(self.wrapOutboundOut(.end(nil))).whenComplete { _ in
            if close { context.close(promise: nil) }
        }
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
