import Synchronization

/// Counts the open Kafka connections, in all and per client IP, and admits a new one only under
/// `server.max_connections` and `server.max_connections_per_ip` (Kafka's `max.connections` and
/// `max.connections.per.ip`). A refused connection is closed at once, before any handler is added, so it
/// costs one accept and one close; the connections already open are not touched.
final class ConnectionLimiter: Sendable {
    enum Admission: Equatable, Sendable {
        case admitted
        case refusedTotal(limit: Int)
        case refusedPerAddress(limit: Int)
    }

    private struct State {
        var openCount = 0
        var openCountByAddress: [String: Int] = [:]
        var refusedTotalCount: Int64 = 0
        var refusedPerAddressCount: Int64 = 0
    }

    /// Most connections open at once; 0 sets no limit.
    let connectionsMax: Int
    /// Most connections open at once from one IP address; 0 sets no limit.
    let connectionsPerAddressMax: Int
    private let state = Mutex(State())

    init(connectionsMax: Int, connectionsPerAddressMax: Int) {
        precondition(connectionsMax >= 0 && connectionsPerAddressMax >= 0, "a connection limit is 0 (none) or more")
        self.connectionsMax = connectionsMax
        self.connectionsPerAddressMax = connectionsPerAddressMax
    }

    var openCount: Int { self.state.withLock { $0.openCount } }
    var refusedTotalCount: Int64 { self.state.withLock { $0.refusedTotalCount } }
    var refusedPerAddressCount: Int64 { self.state.withLock { $0.refusedPerAddressCount } }

    /// Admits a connection from `address` (an IP address), counting it open, or says which limit refuses it.
    /// Every admitted connection must be released exactly once when it closes.
    func admit(address: String) -> Admission {
        self.state.withLock { state in
            if self.connectionsMax > 0, state.openCount >= self.connectionsMax {
                state.refusedTotalCount += 1
                return .refusedTotal(limit: self.connectionsMax)
            }
            let fromAddress = state.openCountByAddress[address, default: 0]
            if self.connectionsPerAddressMax > 0, fromAddress >= self.connectionsPerAddressMax {
                state.refusedPerAddressCount += 1
                return .refusedPerAddress(limit: self.connectionsPerAddressMax)
            }
            state.openCount += 1
            state.openCountByAddress[address] = fromAddress + 1
            return .admitted
        }
    }

    func release(address: String) {
        self.state.withLock { state in
            let fromAddress = state.openCountByAddress[address, default: 0]
            precondition(state.openCount > 0 && fromAddress > 0, "a connection released that was not admitted")
            state.openCount -= 1
            state.openCountByAddress[address] = fromAddress == 1 ? nil : fromAddress - 1
        }
    }
}
