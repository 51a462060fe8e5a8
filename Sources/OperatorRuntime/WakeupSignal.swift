import Synchronization

/// A level-triggered wake-up for one waiter: `signal` from any thread (append listeners, timers, commands)
/// makes the next or current `wait` return. Signals while nobody waits collapse into one.
final class WakeupSignal: Sendable {
    private struct State {
        var isSignaled = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    func signal() {
        let waiter = self.state.withLock { state -> CheckedContinuation<Void, Never>? in
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.isSignaled = true
            return nil
        }
        waiter?.resume()
    }

    func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = self.state.withLock { state -> Bool in
                if state.isSignaled {
                    state.isSignaled = false
                    return true
                }
                precondition(state.waiter == nil, "one waiter at a time")
                state.waiter = continuation
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }
}
