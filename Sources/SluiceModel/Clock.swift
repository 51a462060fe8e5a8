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
