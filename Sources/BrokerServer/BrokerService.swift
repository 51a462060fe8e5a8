import GroupCoordinator
import KafkaWire
import Logging
import LogStore
import NIOCore
import NIOPosix
import NIOSSL
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
            let metrics = BrokerMetrics(logs: logs, groups: groups, clientLimits: ClientLimits(config: self.config))
            // One allocator for the data directory: InitProducerId and the operator runtime both take ids from it.
            let producerIds = logs.makeProducerIdAllocator()
            runtime = try await self.startOperatorRuntime(
                logs: logs, groups: groups, producerIds: producerIds, metrics: metrics
            )
            let traceExport = self.startTraceExport(runtime!, metrics: metrics)
            defer { traceExport?.cancel() }
            let logger = self.logger
            let credentials = try ScramCredentialStore(
                dataDirectory: self.config.dataDirectory, onError: { message in logger.error("\(message)") }
            )
            let acls = try AclStore(
                dataDirectory: self.config.dataDirectory, isEnabled: self.config.authorization,
                superUsers: Set(self.config.superUsers), onError: { message in logger.error("\(message)") }
            )
            let transactions = try self.openTransactionCoordinator(logs: logs, groups: groups, producerIds: producerIds)
            let transactionTimer = group.next().scheduleRepeatedTask(initialDelay: .seconds(1), delay: .seconds(1)) { _ in
                transactions.tick()
            }
            defer { transactionTimer.cancel() }
            let router = KafkaRequestRouter(
                logs: logs, groups: groups, producerIds: producerIds, credentials: credentials, acls: acls, config: self.config,
                clock: self.clock, logger: self.logger, operators: runtime, transactions: transactions
            )
            let tls = try self.loadTLS()
            var channels: [Channel] = []
            var boundListeners: [BoundListener] = []
            for listener in self.config.effectiveListeners {
                let (channel, bound) = try await self.bind(
                    listener, group: group, router: router, tls: tls, connections: metrics.connections,
                    limits: metrics.clientLimits
                )
                channels.append(channel)
                boundListeners.append(bound)
            }
            let adminChannel = try await AdminServer.bind(
                group: group, address: self.config.admin,
                context: AdminContext(
                    control: RuntimeOperatorControl(runtime: runtime!), logs: logs, groups: groups, clock: self.clock,
                    metrics: metrics
                ),
                gate: self.makeAdminGate(credentials: credentials, acls: acls),
                tls: self.config.adminTLS ? try self.loadTLS(forAdmin: true)?.serverContext : nil,
                logger: self.logger
            )
            for bound in boundListeners {
                self.logger.info("listening on \(bound.bound)", metadata: [
                    "listener": "\(bound.name)", "protocol": "\(bound.securityProtocol.rawValue)", "advertised": "\(bound.advertised)",
                ])
            }
            self.logger.info("admin API on \(self.config.adminTLS ? "https" : "http")://\(self.config.admin.host):\(adminChannel.localAddress?.port ?? self.config.admin.port)", metadata: [
                "data_dir": "\(self.config.dataDirectory)", "fsync": "\(self.config.fsync)",
            ])
            self.onListening(boundListeners[0].bound)
            await self.runUntilShutdown(logs: logs)
            self.logger.info("shutting down")
            try? await adminChannel.close()
            for channel in channels { try? await channel.close() }
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

    /// The admin API's gate (tokens, and SCRAM users by HTTP Basic when it has TLS), and the log lines that say
    /// how the admin API is protected: a warning when it is open beyond loopback (`--admin-insecure`), a notice
    /// when it needs tokens and none exist yet.
    private func makeAdminGate(credentials: ScramCredentialStore, acls: AclStore) -> AdminGate {
        let tokens = AdminTokenCache(store: AdminTokenStore(dataDirectory: self.config.dataDirectory))
        if self.config.adminAuth {
            switch tokens.records() {
            case .success(let records) where records.isEmpty:
                self.logger.notice("""
                    the admin API requires a token and none exists yet: sluice token create NAME --role admin \
                    --data-dir \(self.config.dataDirectory)
                    """)
            case .success(let records):
                self.logger.info("the admin API requires a bearer token (\(records.count) tokens)")
            case .failure(let error):
                self.logger.error("the admin API refuses every credential: \(error.message)")
            }
        } else if !self.config.admin.isLoopback {
            self.logger.warning("""
                INSECURE: the admin API on \(self.config.admin) has NO AUTHENTICATION (--admin-insecure): anyone \
                who reaches it can deploy operators, that is run any code as this user, and delete streams
                """)
        }
        var gate = AdminGate(
            authenticationRequired: self.config.adminAuth, bodyBytesMax: Int(self.config.adminBodyBytesMax),
            checkToken: { token in tokens.check(token: token) }
        )
        if self.config.adminTLS {
            // Passwords only where they cannot be read on the way: HTTP Basic needs the admin API's TLS.
            let clock = self.clock
            let passwords = AdminPasswordCheck(credentials: credentials, acls: acls, nowMs: { Int64(clock.monotonicNs() / 1_000_000) })
            gate.checkPassword = { user, password, host in passwords.check(user: user, password: password, host: host) }
        }
        return gate
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

    /// The transaction coordinator and its log `__transaction_state`, fsynced as the data is: a commit's decision
    /// must be on disk before its markers under `fsync = always`. Open transactions found there are aborted.
    private func openTransactionCoordinator(
        logs: LogManager, groups: GroupCoordinator, producerIds: ProducerIdAllocator
    ) throws -> TransactionCoordinator {
        var configuration = TransactionCoordinatorConfiguration()
        configuration.logConfig.fsyncPolicy = logs.defaultConfig.fsyncPolicy
        let logger = self.logger
        return try TransactionCoordinator(
            logs: logs, offsetStore: groups.offsetStore, producerIds: producerIds, clock: self.clock,
            configuration: configuration, onEvent: { message in logger.notice("\(message)") }
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

    /// The TLS context of the SSL and SASL_SSL listeners, when there are any.
    private func loadTLS(forAdmin: Bool = false) throws -> TLSSettings? {
        guard forAdmin || self.config.effectiveListeners.contains(where: \.securityProtocol.usesTLS) else { return nil }
        return try TLSSettings.load(
            certificatePath: self.config.tlsCertificatePath, keyPath: self.config.tlsKeyPath,
            clientCAPath: self.config.tlsClientCAPath.isEmpty ? nil : self.config.tlsClientCAPath
        )
    }

    /// Binds one listener: TLS first on SSL and SASL_SSL listeners, then the frame reader (request memory
    /// budget, receive timeout), the idle clock and the connection handler, which carries the listener's
    /// session rules (SASL before anything else). Connections over the limits are closed as accepted;
    /// accepting backs off while descriptors run out (`Docs/security.md`, "Client resource limits").
    private func bind(
        _ listener: Listener, group: EventLoopGroup, router: KafkaRequestRouter, tls: TLSSettings?,
        connections: KafkaConnectionCounter, limits: ClientLimits
    ) async throws -> (Channel, BoundListener) {
        let logger = self.logger
        let clock = self.clock
        // Filled in once bound (the port may have been 0); a connection accepted before that sees the configured one.
        let boundListener = BoundListenerBox(BoundListener(
            name: listener.name, securityProtocol: listener.securityProtocol,
            advertised: listener.advertised ?? listener.address, bound: listener.address
        ))
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 256)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .serverChannelInitializer { serverChannel in
                serverChannel.eventLoop.makeCompletedFuture {
                    try serverChannel.pipeline.syncOperations.addHandler(ListenerAcceptBackoff(
                        listenerName: listener.name, logger: logger, nowNs: { clock.monotonicNs() },
                        onBackoff: { limits.countAcceptBackoff() }
                    ))
                }
            }
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            // At most 4 reads of at most 256 KiB each time a connection is read: what one connection can add
            // beyond the request memory budget before it is paused (1 MiB), and still few system calls per MiB.
            .childChannelOption(ChannelOptions.maxMessagesPerRead, value: 4)
            .childChannelOption(ChannelOptions.recvAllocator, value: AdaptiveRecvByteBufferAllocator(
                minimum: 1024, initial: 64 * 1024, maximum: 256 * 1024
            ))
            .childChannelInitializer { channel in
                let address = channel.remoteAddress?.ipAddress ?? "unknown"
                guard Self.admit(channel, address: address, limits: limits, clock: clock, logger: logger) else {
                    return channel.eventLoop.makeFailedFuture(ConnectionRefused())  // NIO closes it
                }
                connections.opened()
                channel.closeFuture.whenComplete { _ in
                    connections.closed()
                    limits.connections.release(address: address)
                }
                return channel.eventLoop.makeCompletedFuture {
                    try self.addConnectionHandlers(
                        to: channel, listener: listener, session: ConnectionSession(listener: boundListener.value),
                        tls: tls, router: router, limits: limits
                    )
                }
            }
            .bind(host: listener.address.host, port: listener.address.port)
            .get()
        let bound = HostPort(host: listener.address.host, port: channel.localAddress?.port ?? listener.address.port)
        let advertised = listener.advertised ?? bound
        boundListener.value = BoundListener(
            name: listener.name, securityProtocol: listener.securityProtocol, advertised: advertised, bound: bound
        )
        return (channel, boundListener.value)
    }

    /// The handlers of one Kafka connection, front to back.
    private func addConnectionHandlers(
        to channel: Channel, listener: Listener, session: ConnectionSession, tls: TLSSettings?,
        router: KafkaRequestRouter, limits: ClientLimits
    ) throws {
        let pipeline = channel.pipeline.syncOperations
        if listener.securityProtocol.usesTLS, let tls {
            try pipeline.addHandler(NIOSSLServerHandler(context: tls.context(for: listener.securityProtocol)))
        }
        try pipeline.addHandler(KafkaFrameReader(
            maximumFrameSizeBytes: Int(self.config.requestSizeBytesMax), pool: limits.requestMemory,
            receiveTimeoutMs: limits.requestReceiveTimeoutMs, logger: self.logger,
            onReceiveTimeout: { limits.countReceiveTimeout() }
        ))
        try pipeline.addHandler(IdleConnectionCloser(
            connectionsMaxIdleMs: limits.connectionsMaxIdleMs, logger: self.logger,
            onClose: { limits.countIdleClose() }
        ))
        try pipeline.addHandler(KafkaConnectionHandler(router: router, logger: self.logger, session: session))
    }

    /// Counts a new connection in, or logs (rate-limited) why it is refused.
    private static func admit(
        _ channel: Channel, address: String, limits: ClientLimits, clock: SluiceClock, logger: Logger
    ) -> Bool {
        let reason: String
        switch limits.connections.admit(address: address) {
        case .admitted: return true
        case .refusedTotal(let limit): reason = "\(limit) connections are open (server.max_connections)"
        case .refusedPerAddress(let limit): reason = "\(limit) connections are open from \(address) (server.max_connections_per_ip)"
        }
        if case .write(let leftOut) = limits.admitRefusalLogLine(nowNs: clock.monotonicNs()) {
            logger.warning("refusing a connection", metadata: [
                "remote": "\(channel.remoteAddress?.description ?? address)", "reason": "\(reason)",
                "similar_lines_left_out": "\(leftOut)",
            ])
        }
        return false
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

/// Why a connection over the limits is closed as soon as it is accepted.
struct ConnectionRefused: Error {}
