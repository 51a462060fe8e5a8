import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import SluiceModel

/// A small HTTP/1.1 client for Sluice's admin API, one connection per request. Answers are JSON
/// documents (`AdminDocuments.swift`); errors come back as `ErrorDocument`s and are thrown as
/// `AdminClientError` with the server's one-line message.
public struct AdminClient: Sendable {
    public let address: HostPort
    /// Sent as `Authorization: Bearer TOKEN` when set.
    public let token: String?
    /// HTTPS (`admin.tls` on the broker) when set: the server's certificate is verified against these roots.
    public let tls: NIOSSLContext?
    /// Responses larger than this are refused (a deploy answer or a log tail is far smaller).
    static let responseSizeBytesMax = 64 * 1024 * 1024

    public init(address: HostPort, token: String? = nil, tls: NIOSSLContext? = nil) {
        self.address = address
        self.token = token
        self.tls = tls
    }

    /// A TLS context trusting the PEM certificates in `caPath` (or the system's roots when nil).
    public static func tlsContext(caPath: String?) throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        if let caPath { configuration.trustRoots = .file(caPath) }
        return try NIOSSLContext(configuration: configuration)
    }

    /// Sends a request with an optional JSON body and decodes the answer as `Answer`.
    public func send<Answer: Decodable>(
        _ method: HTTPMethod, _ path: String, json body: (some Encodable)? = Optional<String>.none, as type: Answer.Type
    ) async throws -> Answer {
        let bytes = try body.map { try JSONEncoder().encode($0) }.map(Array.init)
        let (status, answer) = try await self.exchange(method, path, body: bytes, onBodyPart: nil)
        guard (200..<300).contains(status) else {
            let document = try? JSONDecoder().decode(ErrorDocument.self, from: Data(answer))
            throw AdminClientError.refused(status: status, message: document?.message ?? "HTTP \(status)")
        }
        do {
            return try JSONDecoder().decode(Answer.self, from: Data(answer))
        } catch {
            throw AdminClientError.unexpectedAnswer("\(path): \(error)")
        }
    }

    /// Sends a GET whose answer is text, handing each part to `onText` as it arrives (for `logs -f`).
    public func streamText(_ path: String, onText: @escaping @Sendable (String) -> Void) async throws {
        let (status, answer) = try await self.exchange(.GET, path, body: nil) { part in
            onText(String(decoding: part.readableBytesView, as: UTF8.self))
        }
        guard (200..<300).contains(status) else {
            let document = try? JSONDecoder().decode(ErrorDocument.self, from: Data(answer))
            throw AdminClientError.refused(status: status, message: document?.message ?? "HTTP \(status)")
        }
    }

    private func exchange(
        _ method: HTTPMethod, _ path: String, body: [UInt8]?, onBodyPart: (@Sendable (ByteBuffer) -> Void)?
    ) async throws -> (Int, [UInt8]) {
        let group = MultiThreadedEventLoopGroup.singleton
        let channel: Channel
        do {
            channel = try await ClientBootstrap(group: group)
                .connectTimeout(.seconds(10))
                .channelInitializer { [tls, address] channel in
                    if let tls {
                        do {
                            let handler = try NIOSSLClientHandler(
                                context: tls, serverHostname: address.host.first?.isNumber == true ? nil : address.host
                            )
                            try channel.pipeline.syncOperations.addHandler(handler)
                        } catch {
                            return channel.eventLoop.makeFailedFuture(error)
                        }
                    }
                    return channel.pipeline.addHTTPClientHandlers()
                }
                .connect(host: self.address.host, port: self.address.port)
                .get()
        } catch {
            throw AdminClientError.unreachable("cannot reach the admin API at \(self.address): \(error)")
        }
        let promise = channel.eventLoop.makePromise(of: (Int, [UInt8]).self)
        // Made on the channel's event loop: a handler is not Sendable.
        try await channel.eventLoop.submit {
            try channel.pipeline.syncOperations.addHandler(
                AdminResponseHandler(promise: promise, onBodyPart: onBodyPart, sizeBytesMax: Self.responseSizeBytesMax)
            )
        }.get()
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: self.address.description)
        headers.add(name: "Connection", value: "close")
        if let token = self.token { headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            headers.add(name: "Content-Type", value: "application/json")
            headers.add(name: "Content-Length", value: String(body.count))
        }
        let head = HTTPRequestHead(version: .http1_1, method: method, uri: path, headers: headers)
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        if let body { channel.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(bytes: body))), promise: nil) }
        try await channel.writeAndFlush(HTTPClientRequestPart.end(nil))
        defer { channel.close(promise: nil) }
        return try await promise.futureResult.get()
    }
}

public enum AdminClientError: Error, CustomStringConvertible, Equatable {
    case unreachable(String)
    case refused(status: Int, message: String)
    case unexpectedAnswer(String)

    public var description: String {
        switch self {
        case .unreachable(let message): return message
        case .refused(_, let message): return message
        case .unexpectedAnswer(let message): return "unexpected answer from the admin API: \(message)"
        }
    }
}

/// Collects one response (or streams its body parts) and completes the promise at its end.
private final class AdminResponseHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart

    private let promise: EventLoopPromise<(Int, [UInt8])>
    private let onBodyPart: (@Sendable (ByteBuffer) -> Void)?
    private let sizeBytesMax: Int
    private var status = 0
    private var body: [UInt8] = []

    init(promise: EventLoopPromise<(Int, [UInt8])>, onBodyPart: (@Sendable (ByteBuffer) -> Void)?, sizeBytesMax: Int) {
        self.promise = promise
        self.onBodyPart = onBodyPart
        self.sizeBytesMax = sizeBytesMax
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            self.status = Int(head.status.code)
        case .body(let part):
            // Only a successful stream is handed out as it comes; errors are collected and decoded.
            if let onBodyPart, (200..<300).contains(self.status) {
                onBodyPart(part)
                return
            }
            guard self.body.count + part.readableBytes <= self.sizeBytesMax else {
                self.promise.fail(AdminClientError.unexpectedAnswer("answer over \(self.sizeBytesMax) bytes"))
                context.close(promise: nil)
                return
            }
            self.body.append(contentsOf: part.readableBytesView)
        case .end:
            self.promise.succeed((self.status, self.body))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.promise.fail(AdminClientError.unexpectedAnswer("the connection closed before the answer ended"))
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        self.promise.fail(error)
        context.close(promise: nil)
    }
}
