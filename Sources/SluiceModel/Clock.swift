#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where every layer gets the time, so that retention, segment rolling, session timeouts and
/// flush intervals can be tested with a clock the test moves by hand.
public protocol SluiceClock: Sendable {
    /// Wall-clock time, for record timestamps and time-based retention.
    func wallTimeMs() -> Int64
    /// Monotonic time, for intervals and timeouts; never goes backwards.
    func monotonicNs() -> UInt64
    /// Returns once `monotonicNs()` has reached `deadlineNs` (or the task is cancelled). The default sleeps
    /// for the difference on the real clock; a manual clock returns when the test moves it there, so timeouts
    /// and backoffs built on it are tested without waiting.
    func sleep(untilMonotonicNs deadlineNs: UInt64) async
}

extension SluiceClock {
    public func sleep(untilMonotonicNs deadlineNs: UInt64) async {
        let nowNs = self.monotonicNs()
        guard deadlineNs > nowNs else { return }
        try? await Task.sleep(nanoseconds: deadlineNs - nowNs)
    }
}

/// The real clock of the machine.
public struct SystemClock: SluiceClock {
    public init() {}

    public func wallTimeMs() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }

    public func monotonicNs() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }
}
