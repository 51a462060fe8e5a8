import OperatorRuntime
import Synchronization

/// The broker-wide state of the client resource limits (`Docs/security.md`, "Client resource limits"):
/// the request memory pool, the connection counts, and totals of what the limits did, for `/metrics`.
/// One per broker, shared by every listener's connections.
final class ClientLimits: Sendable {
    let requestMemory: RequestMemoryPool
    let connections: ConnectionLimiter
    let connectionsMaxIdleMs: Int64
    let requestReceiveTimeoutMs: Int64
    private let idleClosedCount = Atomic<Int64>(0)
    private let receiveTimeoutCount = Atomic<Int64>(0)
    private let acceptBackoffCount = Atomic<Int64>(0)
    /// Refused connections are logged at most a few times a minute: a client retrying in a loop would
    /// otherwise fill the log.
    private let refusalLog = Mutex(LogLineLimiter(linesPerWindowMax: 5, windowMs: 60_000))

    init(config: BrokerConfig) {
        self.requestMemory = RequestMemoryPool(budgetBytes: Int(config.requestMemoryBytesMax))
        self.connections = ConnectionLimiter(
            connectionsMax: Int(config.maxConnections), connectionsPerAddressMax: Int(config.maxConnectionsPerIP)
        )
        self.connectionsMaxIdleMs = config.connectionsMaxIdleMs
        self.requestReceiveTimeoutMs = config.requestReceiveTimeoutMs
    }

    func countIdleClose() { self.idleClosedCount.add(1, ordering: .relaxed) }
    func countReceiveTimeout() { self.receiveTimeoutCount.add(1, ordering: .relaxed) }
    func countAcceptBackoff() { self.acceptBackoffCount.add(1, ordering: .relaxed) }

    /// Whether to log this refused connection, and how many refusals went unlogged before it.
    func admitRefusalLogLine(nowNs: UInt64) -> LogLineLimiter.Verdict {
        self.refusalLog.withLock { $0.admit(nowNs: nowNs) }
    }

    /// The numbers `/metrics` shows.
    var totals: ClientLimitTotals {
        ClientLimitTotals(
            requestMemoryUsedBytes: Int64(self.requestMemory.usedBytes),
            requestMemoryBudgetBytes: Int64(self.requestMemory.budgetBytes),
            connectionsPausedForMemory: Int64(self.requestMemory.waitingCount),
            memoryPauses: self.requestMemory.pauseCount,
            refusedOverTotal: self.connections.refusedTotalCount,
            refusedOverPerAddress: self.connections.refusedPerAddressCount,
            closedIdle: self.idleClosedCount.load(ordering: .relaxed),
            closedReceiveTimeout: self.receiveTimeoutCount.load(ordering: .relaxed),
            acceptFailures: self.acceptBackoffCount.load(ordering: .relaxed)
        )
    }
}

/// What the client limits have done, as one scrape reads it.
struct ClientLimitTotals: Sendable, Equatable {
    var requestMemoryUsedBytes: Int64
    var requestMemoryBudgetBytes: Int64
    var connectionsPausedForMemory: Int64
    var memoryPauses: Int64
    var refusedOverTotal: Int64
    var refusedOverPerAddress: Int64
    var closedIdle: Int64
    var closedReceiveTimeout: Int64
    var acceptFailures: Int64
}
