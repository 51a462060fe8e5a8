import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import SluiceModel

/// The HTTP/JSON admin API (`--admin HOST:PORT`): deploy, swap, pause, resume, roll back, kill and
/// follow the logs of operators. Control plane only, so each request may take its time; it runs on
/// the broker's event loops but does its work in tasks. Every request passes the `AdminGate` first.
enum AdminServer {
    static func bind(
        group: EventLoopGroup, address: HostPort, context: AdminContext, gate: AdminGate, logger: Logger
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
                channel.pipeline.configureHTTPServerPipeline(withErrorHandling: true).flatMapThrowing {
                    try channel.pipeline.syncOperations.addHandler(
                        AdminHTTPHandler(context: context, gate: gate, logger: logger)
                    )
                }
            }
            .bind(host: address.host, port: address.port)
            .get()
    }
}
