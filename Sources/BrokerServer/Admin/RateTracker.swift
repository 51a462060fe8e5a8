import SluiceModel
import Synchronization

/// Turns counters that only grow (a stream's end offset sum, an operator's records out) into rates per
/// second. Nothing in the broker stores rates, so the admin API samples the counters whenever it builds
/// a topology and keeps, per counter, the samples of the last `windowNs`: the rate is the counter's
/// growth between the oldest and the newest kept sample.
///
/// Shared by all admin requests (it lives in `AdminContext`), hence the lock.
final class RateTracker: Sendable {
    struct Sample: Equatable {
        var timeNs: UInt64
        var counter: Int64
    }

    /// How far back a rate looks: long enough to smooth batches, short enough to show a pause quickly.
    static let defaultWindowNs: UInt64 = 5_000_000_000
    /// Samples kept per counter; at one poll a second the window needs far fewer.
    static let samplesPerCounterMax = 64
    /// Counters tracked at most (streams plus three per operator); beyond it the stalest are dropped.
    static let countersMax = 100_000

    private struct State {
        var samples: [String: [Sample]] = [:]
        var lastObservationNs: UInt64?
    }

    let clock: SluiceClock
    let windowNs: UInt64
    private let state = Mutex(State())

    init(clock: SluiceClock, windowNs: UInt64 = RateTracker.defaultWindowNs) {
        precondition(windowNs > 0, "a rate needs a window")
        self.clock = clock
        self.windowNs = windowNs
    }

    /// Whether no sample is recent enough to measure against: the caller should observe, wait a moment
    /// and observe again, or every rate of a first request would read 0.
    var needsBaseline: Bool {
        let nowNs = self.clock.monotonicNs()
        return self.state.withLock { state in
            guard let last = state.lastObservationNs else { return true }
            return nowNs &- last > self.windowNs
        }
    }

    /// Records the counters' current values (one sample each, at the same instant) and forgets counters
    /// that are no longer reported, so deleted streams and killed operators do not pile up.
    func observe(_ counters: [String: Int64]) {
        let nowNs = self.clock.monotonicNs()
        self.state.withLock { state in
            state.samples = state.samples.filter { counters[$0.key] != nil }
            for (key, counter) in counters.prefix(Self.countersMax) {
                state.samples[key] = self.appending(Sample(timeNs: nowNs, counter: counter), to: state.samples[key] ?? [])
            }
            state.lastObservationNs = nowNs
        }
    }

    /// Records per second of the counter over the window, or 0 when it has fewer than two samples.
    func ratePerSecond(_ key: String) -> Double {
        self.state.withLock { state in
            guard let samples = state.samples[key], let first = samples.first, let last = samples.last,
                  last.timeNs > first.timeNs
            else { return 0 }
            let seconds = Double(last.timeNs - first.timeNs) / 1_000_000_000
            return Double(last.counter - first.counter) / seconds
        }
    }

    /// Adds a sample and drops those no longer needed. A counter starts over when it went down (a stream
    /// deleted and made again, a runtime counter reset) or when its last sample is older than the window
    /// (a rate averaged over an idle minute would mislead). Samples older than the window go, except the
    /// newest of them, which still marks where the window starts.
    private func appending(_ sample: Sample, to samples: [Sample]) -> [Sample] {
        if let last = samples.last, sample.counter < last.counter || sample.timeNs &- last.timeNs > self.windowNs {
            return [sample]
        }
        var kept = samples
        kept.append(sample)
        let windowStartNs = sample.timeNs >= self.windowNs ? sample.timeNs - self.windowNs : 0
        while kept.count > 2, kept[1].timeNs <= windowStartNs { kept.removeFirst() }
        if kept.count > Self.samplesPerCounterMax { kept.removeFirst(kept.count - Self.samplesPerCounterMax) }
        return kept
    }
}
