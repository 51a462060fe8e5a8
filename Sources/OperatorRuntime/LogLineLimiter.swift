/// Rate-limits the log lines of repeated failures (an operator whose every answer fails, a stream that
/// cannot be written): the first `linesPerWindowMax` lines of each window are written, the rest counted, and
/// the next line written says how many were left out. The failures themselves are still counted and the
/// newest kept in the status; only the broker log and the operator log are spared. Time comes from the
/// supervisor's clock, so the limit is tested with a manual one.
public struct LogLineLimiter: Sendable {
    public enum Verdict: Equatable, Sendable {
        /// Write the line; `suppressedBefore` lines were left out since the last one written.
        case write(suppressedBefore: Int)
        case suppress
    }

    public let linesPerWindowMax: Int
    public let windowNs: UInt64
    private var windowStartNs: UInt64?
    private var linesInWindow = 0
    private var suppressed = 0

    public init(linesPerWindowMax: Int = 10, windowMs: Int64 = 10_000) {
        precondition(linesPerWindowMax >= 1 && windowMs >= 1, "a window lets a line through")
        self.linesPerWindowMax = linesPerWindowMax
        self.windowNs = UInt64(windowMs) * 1_000_000
    }

    public mutating func admit(nowNs: UInt64) -> Verdict {
        if let start = self.windowStartNs, nowNs &- start < self.windowNs {
            guard self.linesInWindow < self.linesPerWindowMax else {
                self.suppressed += 1
                return .suppress
            }
        } else {
            self.windowStartNs = nowNs
            self.linesInWindow = 0
        }
        self.linesInWindow += 1
        defer { self.suppressed = 0 }
        return .write(suppressedBefore: self.suppressed)
    }
}
