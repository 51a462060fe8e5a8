import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import SluiceModel

/// The HTTP/JSON admin API (`--admin HOST:PORT`): deploy, swap, pause, resume, roll back, kill and
/// follow the logs of operators. Control plane only, so each request may take its time; it runs on
/// the broker's event loops but does its work in tasks. Every request passes the `AdminGate` first.
/// With `tls` (`admin.tls`) it speaks HTTPS with the Kafka listeners' certificate, so tokens never cross the
/// network in clear.
enum AdminServer {
    static func bind(
        group: EventLoopGroup, address: HostPort, context: AdminContext, gate: AdminGate, tls: NIOSSLContext? = nil,
        logger: Logger
    ) async throws -> Channel {
        try await ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .serverChannelInitializer { serverChannel in
                // Out of descriptors, accepting pauses instead of spinning, as on the Kafka listeners.
                serverChannel.eventLoop.makeCompletedFuture {
                    try serverChannel.pipeline.syncOperations.addHandler(
                        ListenerAcceptBackoff(listenerName: "admin", logger: logger)
                    )
                }
            }
            .childChannelInitializer { channel in
                if let tls {
                    do {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls))
                    } catch {
                        return channel.eventLoop.makeFailedFuture(error)
                    }
                }
                return channel.pipeline.configureHTTPServerPipeline(withErrorHandling: true).flatMapThrowing {
                    try channel.pipeline.syncOperations.addHandler(
                        AdminHTTPHandler(context: context, gate: gate, logger: logger)
                    )
                }
            }
            .bind(host: address.host, port: address.port)
            .get()
    }
}
