import KafkaWire
import NIOCore
import NIOPosix
import NIOSSL
import SluiceModel
import SluiceSecurity

/// One TCP connection to a Kafka-protocol broker. Requests may be pipelined; responses come back in
/// request order, as Kafka guarantees, and are matched to their requests by correlation id. On
/// connect it asks the broker's API versions so each request is sent at the highest version both
/// sides speak.
public final class KafkaConnection: Sendable {
    private let channel: Channel
    private let handler: NIOLoopBound<KafkaClientHandler>
    public let brokerAddress: HostPort
    /// The broker's version range for each API it advertises.
    public let brokerVersions: [Int16: ClosedRange<Int16>]

    private init(
        channel: Channel, handler: NIOLoopBound<KafkaClientHandler>, brokerAddress: HostPort,
        brokerVersions: [Int16: ClosedRange<Int16>]
    ) {
        self.channel = channel
        self.handler = handler
        self.brokerAddress = brokerAddress
        self.brokerVersions = brokerVersions
    }

    /// Connects (through TLS when `security` says so), negotiates API versions and logs in (SASL) when the
    /// listener wants it.
    public static func connect(
        to address: HostPort, clientId: String = "sluice", group: EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        connectTimeoutMs: Int64 = 10_000, security: ClientSecurity = .plaintext
    ) async throws -> KafkaConnection {
        // SNI and name checks take a host name; for an IP address NIOSSL checks the certificate's IP entries.
        let serverHostname = security.verifiesHostName && !address.host.isIPAddressLiteral ? address.host : nil
        let channel = try await ClientBootstrap(group: group)
            .connectTimeout(.milliseconds(connectTimeoutMs))
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls = security.tls {
                        try channel.pipeline.syncOperations.addHandler(
                            try NIOSSLClientHandler(context: tls, serverHostname: serverHostname)
                        )
                    } else {
                        try channel.pipeline.syncOperations.addHandler(TLSAnswerDetector())
                    }
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(KafkaFrameDecoder(maximumFrameSizeBytes: Limits.responseFrameSizeBytesMax))
                    )
                    try channel.pipeline.syncOperations.addHandler(KafkaClientHandler(clientId: clientId, eventLoop: channel.eventLoop))
                }
            }
            .connect(host: address.host, port: address.port)
            .get()
        let handler = try await channel.eventLoop.submit {
            NIOLoopBound(try channel.pipeline.syncOperations.handler(type: KafkaClientHandler.self), eventLoop: channel.eventLoop)
        }.get()
        let versions = try await Self.negotiateVersions(channel: channel, handler: handler)
        let connection = KafkaConnection(channel: channel, handler: handler, brokerAddress: address, brokerVersions: versions)
        if let login = security.sasl {
            do {
                try await connection.logIn(login)
            } catch {
                await connection.close()
                throw error
            }
        }
        return connection
    }

    /// SaslHandshake, then SaslAuthenticate rounds: one for PLAIN, two for SCRAM (whose last answer proves the
    /// broker knows the credential too).
    private func logIn(_ login: ClientSecurity.SaslLogin) async throws {
        let handshake = try await self.send(SaslHandshakeRequest(mechanism: login.mechanism.name))
        guard handshake.errorCode == .none else {
            throw KafkaClientError.brokerError(
                handshake.errorCode, "SASL login", "the listener offers \(handshake.mechanisms.joined(separator: ", "))")
        }
        switch login.mechanism {
        case .plain:
            _ = try await self.authenticate(Array("\u{0}\(login.username)\u{0}\(login.password)".utf8))
        case .scram(let mechanism):
            var exchange = ScramClientExchange(mechanism: mechanism, user: login.username, password: login.password)
            let serverFirst = try await self.authenticate(exchange.clientFirst)
            let serverFinal = try await self.authenticate(try exchange.respond(toServerFirst: serverFirst))
            try exchange.verify(serverFinal: serverFinal)
        }
    }

    private func authenticate(_ token: [UInt8]) async throws -> [UInt8] {
        let response = try await self.send(SaslAuthenticateRequest(authBytes: ByteBuffer(bytes: token)))
        guard response.errorCode == .none else {
            throw KafkaClientError.brokerError(response.errorCode, "SASL login", response.errorMessage)
        }
        return Array(response.authBytes.readableBytesView)
    }

    private static func negotiateVersions(
        channel: Channel, handler: NIOLoopBound<KafkaClientHandler>
    ) async throws -> [Int16: ClosedRange<Int16>] {
        let request = ApiVersionsRequest(clientSoftwareName: "sluice", clientSoftwareVersion: "0.1.0")
        let response: ApiVersionsResponse = try await Self.send(request, version: 3, channel: channel, handler: handler)
        guard response.errorCode == .none else {
            throw KafkaClientError.brokerError(response.errorCode, "ApiVersions")
        }
        var versions: [Int16: ClosedRange<Int16>] = [:]
        for api in response.apiKeys where api.minVersion <= api.maxVersion {
            versions[api.apiKey] = api.minVersion...api.maxVersion
        }
        return versions
    }

    /// The version to send `Request` at: the highest both this client and the broker support.
    public func version<Request: KafkaRequestMessage>(for type: Request.Type) throws -> Int16 {
        guard let ours = SupportedApis.range(for: Request.apiKey),
              let theirs = self.brokerVersions[Request.apiKey.rawValue]
        else {
            throw KafkaClientError.unsupportedByBroker("\(Request.apiKey)")
        }
        let version = min(ours.maxVersion, theirs.upperBound)
        guard version >= max(ours.minVersion, theirs.lowerBound) else {
            throw KafkaClientError.unsupportedByBroker("\(Request.apiKey) (no common version)")
        }
        return version
    }

    /// Sends `request` at the negotiated version and waits for its response.
    public func send<Request: KafkaRequestMessage>(_ request: Request) async throws -> Request.Response {
        try await Self.send(request, version: try self.version(for: Request.self), channel: self.channel, handler: self.handler)
    }

    /// Queues `request` behind those already sent and returns its response's future without waiting,
    /// so a caller can pipeline: requests queued from one task go out in the order they were queued.
    public func enqueue<Request: KafkaRequestMessage>(_ request: Request) throws -> EventLoopFuture<Request.Response> {
        let version = try self.version(for: Request.self)
        let handler = self.handler
        return self.channel.eventLoop.flatSubmit { handler.value.send(request, version: version) }
    }

    /// Sends a request that gets no response (a produce with acks=0).
    public func sendWithoutResponse<Request: KafkaRequestMessage>(_ request: Request) async throws {
        let version = try self.version(for: Request.self)
        let handler = self.handler
        try await self.channel.eventLoop.flatSubmit {
            handler.value.sendWithoutResponse(request, version: version)
        }.get()
    }

    private static func send<Request: KafkaRequestMessage>(
        _ request: Request, version: Int16, channel: Channel, handler: NIOLoopBound<KafkaClientHandler>
    ) async throws -> Request.Response {
        try await channel.eventLoop.flatSubmit {
            handler.value.send(request, version: version)
        }.get()
    }

    public func close() async {
        try? await self.channel.close()
    }
}

/// Errors of the client, with what the broker said.
public enum KafkaClientError: Error, CustomStringConvertible, Equatable {
    /// The broker answered `ErrorCode` to the operation named by the string, with its message if any.
    case brokerError(ErrorCode, String, String? = nil)
    case unsupportedByBroker(String)
    case connectionClosed
    case unexpectedResponse(String)
    case invalidArgument(String)

    public var description: String {
        switch self {
        case .brokerError(let code, let context, let message):
            return "\(context): \(message ?? "the broker answered") (\(code))"
        case .unsupportedByBroker(let api): return "the broker does not support \(api)"
        case .connectionClosed: return "the connection to the broker closed"
        case .unexpectedResponse(let detail): return "unexpected response: \(detail)"
        case .invalidArgument(let detail): return detail
        }
    }
}

/// On a plaintext connection, recognises a TLS record as the broker's first answer (a TLS listener answers a
/// Kafka request with an alert), so that the user is told to configure TLS rather than shown a "frame size"
/// that is really a record header.
private final class TLSAnswerDetector: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = self.unwrapInboundIn(data)
        if let contentType = bytes.getInteger(at: bytes.readerIndex, as: UInt8.self),
           let major = bytes.getInteger(at: bytes.readerIndex + 1, as: UInt8.self),
           contentType == 0x15 || contentType == 0x16, major == 0x03 {
            context.fireErrorCaught(KafkaClientError.invalidArgument(
                "the listener speaks TLS: connect with --client-config (security.protocol=SSL or SASL_SSL)"))
            context.close(promise: nil)
            return
        }
        context.fireChannelRead(data)
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }
}
