import GroupCoordinator
import KafkaWire
import Logging
import LogStore
import NIOCore
import NIOPosix
import OperatorRuntime
import ServiceLifecycle
import SluiceModel

/// The broker as one long-running service: opens (and recovers) the data directory, listens for
/// Kafka clients, enforces retention on a timer, and on graceful shutdown stops accepting, flushes
/// every log and writes the clean-shutdown marker so the next start skips recovery.
public final class BrokerService: Service, Sendable {
    private let config: BrokerConfig
    private let logger: Logger
    private let clock: SluiceClock
    /// Called with the bound Kafka address once clients can connect (tests and the CLI banner use it).
    private let onListening: @Sendable (HostPort) -> Void

    public init(
        config: BrokerConfig, logger: Logger, clock: SluiceClock = SystemClock(),
        onListening: @escaping @Sendable (HostPort) -> Void = { _ in }
    ) {
        self.config = config
        self.logger = logger
        self.clock = clock
        self.onListening = onListening
    }

    public func run() async throws {
        Limits.assertRelations()
        try self.config.validate()
        let logs = try self.openLogs()
        let threadCount = self.config.eventLoopThreads > 0 ? Int(self.config.eventLoopThreads) : System.coreCount
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threadCount)
        var runtime: OperatorRuntime?
        do {
            let groups = try self.openGroupCoordinator(logs: logs)
            let groupTimer = self.startGroupTimers(groups, on: group.next())
            defer { groupTimer.cancel() }
            let metrics = BrokerMetrics(logs: logs, groups: groups)
            // One allocator for the data directory: InitProducerId and the operator runtime both take ids from it.
            let producerIds = logs.makeProducerIdAllocator()
            runtime = try await self.startOperatorRuntime(
                logs: logs, groups: groups, producerIds: producerIds, metrics: metrics
            )
            let traceExport = self.startTraceExport(runtime!, metrics: metrics)
            defer { traceExport?.cancel() }
            let router = KafkaRequestRouter(
                logs: logs, groups: groups, producerIds: producerIds, config: self.config, clock: self.clock,
                logger: self.logger, operators: runtime
            )
            let channel = try await self.bind(group: group, router: router, connections: metrics.connections)
            let adminChannel = try await AdminServer.bind(
                group: group, address: self.config.admin,
                context: AdminContext(
                    control: RuntimeOperatorControl(runtime: runtime!), logs: logs, groups: groups, clock: self.clock,
                    metrics: metrics
                ),
                logger: self.logger
            )
            let bound = HostPort(host: self.config.listen.host, port: channel.localAddress?.port ?? self.config.listen.port)
            self.logger.info("listening on \(bound)", metadata: [
                "admin": "\(self.config.admin.host):\(adminChannel.localAddress?.port ?? self.config.admin.port)",
                "data_dir": "\(self.config.dataDirectory)", "fsync": "\(self.config.fsync)",
            ])
            self.onListening(bound)
            await self.runUntilShutdown(logs: logs)
            self.logger.info("shutting down")
            try? await adminChannel.close()
            try? await channel.close()
            // Operators finish their in-flight batches and commit while the logs are still open.
            await runtime?.shutdown()
        } catch {
            await runtime?.shutdown()
            try? await group.shutdownGracefully()
            try? logs.close()
            throw error
        }
        try? await group.shutdownGracefully()
        try logs.close()
        self.logger.info("stopped cleanly")
    }

    /// Writes the bundled Python SDK for operators and brings deployed operators back at their offsets.
    private func startOperatorRuntime(
        logs: LogManager, groups: GroupCoordinator, producerIds: ProducerIdAllocator, metrics: BrokerMetrics
    ) async throws -> OperatorRuntime {
        var configuration = OperatorRuntimeConfiguration(dataDirectory: self.config.dataDirectory)
        configuration.metricsFactory = metrics.factory
        configuration.pythonPath = [try PythonSDKInstaller.install(dataDirectory: self.config.dataDirectory)]
        configuration.outputPartitions = Int(self.config.defaultPartitions)
        configuration.traceSampleEvery = Int(self.config.traceSampleEvery)
        configuration.limitsDefault = self.config.operatorLimits
        configuration.cgroupsEnabled = self.config.operatorCgroups != "off"
        configuration.runAsUser = self.config.operatorRunAsUser.isEmpty ? nil : self.config.operatorRunAsUser
        let logger = self.logger
        let runtime = try OperatorRuntime(
            configuration: configuration, logs: logs, groups: groups, clock: self.clock, producerIds: producerIds,
            onEvent: { message in logger.info("\(message)") },
            onError: { message in logger.error("\(message)") }
        )
        try await runtime.start()
        return runtime
    }

    /// Sends the operators' spans to the configured OTLP endpoint until the returned task is cancelled.
    private func startTraceExport(_ runtime: OperatorRuntime, metrics: BrokerMetrics) -> Task<Void, Never>? {
        guard let endpoint = OTLPEndpoint(parsing: self.config.traceOtlpEndpoint) else { return nil }
        let exporter = OTLPExporter(endpoint: endpoint, logger: self.logger)
        metrics.attach(exporter)
        runtime.traceSpans.setListener { spans in exporter.enqueue(spans) }
        self.logger.info("exporting spans to http://\(endpoint.host):\(endpoint.port)\(endpoint.path)")
        return Task { await exporter.run() }
    }

    private func openLogs() throws -> LogManager {
        let logger = self.logger
        return try LogManager(
            dataDirectory: self.config.dataDirectory,
            defaultConfig: try LogSettings.logConfig(from: self.config),
            clock: self.clock,
            minFreeBytes: self.config.minFreeBytes,
            onEvent: { message in logger.notice("\(message)") },
            onError: { message in logger.error("\(message)") },
            scrubber: ScrubberConfiguration(bytesPerSecond: Int(self.config.scrubBytesPerSecond))
        )
    }

    private func openGroupCoordinator(logs: LogManager) throws -> GroupCoordinator {
        var groupConfiguration = GroupConfiguration()
        groupConfiguration.initialRebalanceDelayMs = self.config.groupInitialRebalanceDelayMs
        var offsetConfiguration = OffsetStoreConfiguration()
        offsetConfiguration.abandonedGroupRetentionMs = self.config.groupOffsetsRetentionMs
        // Commits are as durable as every other write: fsynced before they are acknowledged under
        // `always`, with the data otherwise (an operator commits after every batch it processes).
        offsetConfiguration.logConfig.fsyncPolicy = logs.defaultConfig.fsyncPolicy
        let logger = self.logger
        let offsetStore = try OffsetStore(
            logManager: logs, configuration: offsetConfiguration, clock: self.clock,
            onEvent: { message in logger.notice("\(message)") }
        )
        return try GroupCoordinator(configuration: groupConfiguration, offsetStore: offsetStore, clock: self.clock)
    }

    /// Drives the coordinator's timers (session and rebalance timeouts) every 100 ms, and the expiry of
    /// abandoned groups' offsets every 10 minutes, on one event loop.
    private func startGroupTimers(_ groups: GroupCoordinator, on eventLoop: EventLoop) -> RepeatedTask {
        let logger = self.logger
        let ticksPerExpiry = 6000
        let tickCount = NIOLoopBoundBox.makeBoxSendingValue(0, as: Int.self, eventLoop: eventLoop)
        return eventLoop.scheduleRepeatedTask(initialDelay: .milliseconds(100), delay: .milliseconds(100)) { _ in
            groups.tick()
            tickCount.value += 1
            guard tickCount.value % ticksPerExpiry == 0 else { return }
            do {
                let expired = try groups.expireAbandonedGroups()
                if !expired.isEmpty { logger.info("expired offsets of abandoned groups: \(expired)") }
            } catch {
                logger.error("expiring abandoned groups failed: \(error)")
            }
        }
    }

    private func bind(
        group: EventLoopGroup, router: KafkaRequestRouter, connections: KafkaConnectionCounter
    ) async throws -> Channel {
        let logger = self.logger
        let frameSizeBytesMax = Int(self.config.requestSizeBytesMax)
        return try await ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 256)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(ChannelOptions.maxMessagesPerRead, value: 16)
            .childChannelOption(ChannelOptions.recvAllocator, value: AdaptiveRecvByteBufferAllocator(
                minimum: 1024, initial: 64 * 1024, maximum: 1024 * 1024
            ))
            .childChannelInitializer { channel in
                connections.opened()
                channel.closeFuture.whenComplete { _ in connections.closed() }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(KafkaFrameDecoder(maximumFrameSizeBytes: frameSizeBytesMax))
                    )
                    try channel.pipeline.syncOperations.addHandler(
                        KafkaConnectionHandler(router: router, logger: logger)
                    )
                }
            }
            .bind(host: self.config.listen.host, port: self.config.listen.port)
            .get()
    }

    /// Enforces retention every `retentionCheckIntervalMs` until graceful shutdown begins.
    private func runUntilShutdown(logs: LogManager) async {
        let intervalNs = UInt64(self.config.retentionCheckIntervalMs) * 1_000_000
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(nanoseconds: intervalNs) }
            } catch {
                return  // cancelled: graceful shutdown began
            }
            if Task.isShuttingDownGracefully { return }
            do {
                try logs.enforceRetention()
            } catch {
                self.logger.error("retention failed: \(error)")
            }
        }
    }
}
