import Synchronization

/// The broker-wide budget for request bytes that have arrived but do not yet make a whole frame
/// (`limits.request_memory_bytes_max`, Kafka's `queued.max.request.bytes`).
///
/// Bytes are charged as they arrive, never from the size a frame declares, so a client that announces
/// 100 MiB and sends 16 is charged 16 (in the capacity of the buffer that holds them). When the charges
/// reach the budget, connections in the middle of a frame stop reading (`KafkaFrameReader`) and wait here;
/// every release that brings the use back under the budget wakes them. Bytes already read are charged
/// even past the budget: they exist, and the budget is then exceeded by at most one read per connection.
final class RequestMemoryPool: Sendable {
    private struct State {
        var usedBytes = 0
        var peakUsedBytes = 0
        /// Connections waiting for the use to fall under the budget: called once, from the releasing thread.
        var waiters: [UInt64: @Sendable () -> Void] = [:]
        var nextWaiterId: UInt64 = 0
        var pauseCount: Int64 = 0
    }

    let budgetBytes: Int
    private let state = Mutex(State())

    init(budgetBytes: Int) {
        precondition(budgetBytes > 0, "a request memory budget must let some bytes in")
        self.budgetBytes = budgetBytes
    }

    var usedBytes: Int { self.state.withLock { $0.usedBytes } }
    var peakUsedBytes: Int { self.state.withLock { $0.peakUsedBytes } }
    /// Connections paused now because the budget is used up.
    var waitingCount: Int { self.state.withLock { $0.waiters.count } }
    /// How many times a connection has been paused for the budget since the broker started.
    var pauseCount: Int64 { self.state.withLock { $0.pauseCount } }
    var isExhausted: Bool { self.state.withLock { $0.usedBytes >= self.budgetBytes } }

    /// Charges (a positive delta) or returns (a negative one) bytes; a return that brings the use under the
    /// budget wakes every waiting connection.
    func adjust(byBytes delta: Int) {
        guard delta != 0 else { return }
        let woken = self.state.withLock { state -> [@Sendable () -> Void] in
            state.usedBytes += delta
            precondition(state.usedBytes >= 0, "more request bytes returned than charged")
            state.peakUsedBytes = max(state.peakUsedBytes, state.usedBytes)
            guard delta < 0, state.usedBytes < self.budgetBytes, !state.waiters.isEmpty else { return [] }
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for wake in woken { wake() }
    }

    /// Registers a paused connection, unless the budget has room again (then returns nil: read now).
    /// The returned id cancels the wait (`cancelWait`) when the connection closes first.
    func waitForRoom(_ wake: @escaping @Sendable () -> Void) -> UInt64? {
        self.state.withLock { state -> UInt64? in
            guard state.usedBytes >= self.budgetBytes else { return nil }
            state.nextWaiterId += 1
            state.waiters[state.nextWaiterId] = wake
            state.pauseCount += 1
            return state.nextWaiterId
        }
    }

    func cancelWait(_ id: UInt64) {
        _ = self.state.withLock { $0.waiters.removeValue(forKey: id) }
    }
}
