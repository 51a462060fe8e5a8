import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import SluiceModel

/// The HTTP/JSON admin API (`--admin HOST:PORT`): deploy, swap, pause, resume, roll back, kill and
/// follow the logs of operators. Control plane only, so each request may take its time; it runs on
/// the broker's event loops but does its work in tasks.
enum AdminServer {
    /// Uploads carry operator code (a Swift executable is tens of MiB, base64 adds a third).
    static let bodySizeBytesMax = 256 * 1024 * 1024

    static func bind(
        group: EventLoopGroup, address: HostPort, context: AdminContext, logger: Logger
    ) async throws -> Channel {
        try await ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline(withErrorHandling: true).flatMapThrowing {
                    try channel.pipeline.syncOperations.addHandler(
                        AdminHTTPHandler(context: context, logger: logger, bodySizeBytesMax: Self.bodySizeBytesMax)
                    )
                }
            }
            .bind(host: address.host, port: address.port)
            .get()
    }
}
