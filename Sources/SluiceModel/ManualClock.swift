import Synchronization

/// A clock that only moves when told to; for tests of anything time-driven. `sleep(untilMonotonicNs:)`
/// returns when `advance` moves the clock to or past the deadline, never on its own.
public final class ManualClock: SluiceClock {
    private struct Sleeper {
        var deadlineNs: UInt64
        var continuation: CheckedContinuation<Void, Never>
    }

    private struct State {
        var wallTimeMs: Int64
        var monotonicNs: UInt64
        var sleepers: [Sleeper] = []
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

    /// How many tasks are sleeping on this clock (tests wait for a backoff to be scheduled).
    public var sleeperCount: Int {
        self.state.withLock { $0.sleepers.count }
    }

    public func sleep(untilMonotonicNs deadlineNs: UInt64) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let isDue = self.state.withLock { state -> Bool in
                if state.monotonicNs >= deadlineNs { return true }
                state.sleepers.append(Sleeper(deadlineNs: deadlineNs, continuation: continuation))
                return false
            }
            if isDue { continuation.resume() }
        }
    }

    /// Moves both the wall clock and the monotonic clock forward, waking the sleepers now due.
    public func advance(byMs milliseconds: Int64) {
        precondition(milliseconds >= 0, "a manual clock only moves forward")
        let due = self.state.withLock { state -> [Sleeper] in
            state.wallTimeMs += milliseconds
            state.monotonicNs += UInt64(milliseconds) * 1_000_000
            let nowNs = state.monotonicNs
            let due = state.sleepers.filter { $0.deadlineNs <= nowNs }
            state.sleepers.removeAll { $0.deadlineNs <= nowNs }
            return due
        }
        for sleeper in due { sleeper.continuation.resume() }
    }
}
