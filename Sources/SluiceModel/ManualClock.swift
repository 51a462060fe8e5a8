import Synchronization

/// A clock that only moves when told to; for tests of anything time-driven.
public final class ManualClock: SluiceClock {
    private struct State {
        var wallTimeMs: Int64
        var monotonicNs: UInt64
    }

    private let state: Mutex<State>

    public init(wallTimeMs: Int64 = 1_700_000_000_000, monotonicNs: UInt64 = 1_000_000_000) {
        self.state = Mutex(State(wallTimeMs: wallTimeMs, monotonicNs: monotonicNs))
    }

    public func wallTimeMs() -> Int64 {
        self.state.withLock { $0.wallTimeMs }
    }

    public func monotonicNs() -> UInt64 {
        self.state.withLock { $0.monotonicNs }
    }

    /// Moves both the wall clock and the monotonic clock forward.
    public func advance(byMs milliseconds: Int64) {
        precondition(milliseconds >= 0, "a manual clock only moves forward")
        self.state.withLock { state in
            state.wallTimeMs += milliseconds
            state.monotonicNs += UInt64(milliseconds) * 1_000_000
        }
    }
}
