import Dispatch
import SluiceModel
import Synchronization

/// How fast the background scrubber re-verifies sealed segments.
public struct ScrubberConfiguration: Sendable, Equatable {
    /// The default rate: a 1 TiB log is re-read in about a day and a half, at a cost below 1% of one disk's
    /// sequential bandwidth.
    public static let defaultBytesPerSecond = 8 * 1024 * 1024

    /// Bytes of sealed segments verified per second of the clock; 0 turns the scrubber off.
    public var bytesPerSecond: Int
    /// How often the timer runs a step; each verifies `bytesPerSecond` times the time since the previous one.
    public var tickMs: Int
    /// False: no timer; the owner calls `LogManager.scrubber.tick()` itself (tests, with a manual clock).
    public var runsTimer: Bool

    public init(bytesPerSecond: Int = Self.defaultBytesPerSecond, tickMs: Int = 100, runsTimer: Bool = true) {
        self.bytesPerSecond = bytesPerSecond
        self.tickMs = tickMs
        self.runsTimer = runsTimer
    }
}

/// Re-verifies the CRC-32C of every batch of every sealed segment, partition after partition, round and round, at
/// a bounded rate, so that damage in data nobody has read lately (bit rot, a bad sector, a stray write) is found
/// and fenced off before a consumer needs it, and not only at the next unclean restart. Clients do not check
/// CRCs by default (librdkafka's `check.crcs=false`): without this, damage is served silently.
///
/// Rate: each `tick()` verifies `bytesPerSecond` times the clock time since the previous tick (at most one
/// second's worth, so a stalled timer does not turn into a burst). The timer runs on its own queue, never on the
/// flusher's (an fsync must not wait behind a scrub read) nor on an event loop.
public final class SegmentScrubber: @unchecked Sendable {
    // @unchecked: mutable state is behind `state` (a Mutex); the timer and counters are thread-safe.
    struct Cursor {
        var topicPartition: TopicPartition
        var position: PartitionLog.ScrubPosition?
    }

    struct State {
        var cursor: Cursor?
        var lastTickMonotonicNs: UInt64
    }

    static let tickBytesCapSeconds: UInt64 = 1
    static let idleStepsMax = 10_000

    public let configuration: ScrubberConfiguration
    private let clock: SluiceClock
    private let partitions: @Sendable () -> [PartitionLog]
    private let onError: StorageEventHandler
    private let state: Mutex<State>
    private let verifiedBytesCount = Atomic<Int64>(0)
    private let completedPassesCount = Atomic<Int64>(0)
    private let queue = DispatchQueue(label: "sluice.logstore.scrubber")
    private let timer: DispatchSourceTimer?

    /// Bytes verified since the broker started.
    public var verifiedBytes: Int64 { self.verifiedBytesCount.load(ordering: .relaxed) }
    /// Times every sealed segment of every partition has been verified since the broker started.
    public var completedPasses: Int64 { self.completedPassesCount.load(ordering: .relaxed) }

    init(
        configuration: ScrubberConfiguration, clock: SluiceClock, onError: @escaping StorageEventHandler,
        partitions: @escaping @Sendable () -> [PartitionLog]
    ) {
        precondition(configuration.bytesPerSecond >= 0 && configuration.tickMs > 0, "a valid scrub rate")
        self.configuration = configuration
        self.clock = clock
        self.onError = onError
        self.partitions = partitions
        self.state = Mutex(State(lastTickMonotonicNs: clock.monotonicNs()))
        if configuration.runsTimer && configuration.bytesPerSecond > 0 {
            let timer = DispatchSource.makeTimerSource(queue: self.queue)
            timer.schedule(
                deadline: .now() + .milliseconds(configuration.tickMs), repeating: .milliseconds(configuration.tickMs)
            )
            self.timer = timer
            timer.setEventHandler { [weak self] in _ = self?.tick() }
            timer.resume()
        } else {
            self.timer = nil
        }
    }

    deinit {
        self.timer?.cancel()
    }

    /// Stops the timer and waits for a running step to finish.
    func shutdown() {
        self.timer?.cancel()
        self.queue.sync {}
    }

    /// Verifies what the rate allows for the clock time since the last tick; returns the bytes verified.
    @discardableResult
    public func tick() -> Int {
        let nowNs = self.clock.monotonicNs()
        let elapsedNs = self.state.withLock { state -> UInt64 in
            let elapsedNs = nowNs >= state.lastTickMonotonicNs ? nowNs - state.lastTickMonotonicNs : 0
            state.lastTickMonotonicNs = nowNs
            return min(elapsedNs, Self.tickBytesCapSeconds * 1_000_000_000)
        }
        let budgetBytes = Int(UInt64(self.configuration.bytesPerSecond) * elapsedNs / 1_000_000_000)
        return self.scrub(bytesMax: budgetBytes)
    }

    /// Verifies about `bytesMax` bytes (whole batches) from where the last call stopped, moving on through the
    /// partitions (sorted by topic and partition); at most one pass over everything per call.
    @discardableResult
    public func scrub(bytesMax: Int) -> Int {
        guard bytesMax > 0 else { return 0 }
        let partitions = self.partitions().sorted {
            ($0.topicPartition.topic, $0.topicPartition.partition.rawValue)
                < ($1.topicPartition.topic, $1.topicPartition.partition.rawValue)
        }
        guard !partitions.isEmpty else { return 0 }
        let cursor = self.state.withLock { $0.cursor }
        var index = 0
        var position: PartitionLog.ScrubPosition?
        if let cursor, let found = partitions.firstIndex(where: { $0.topicPartition == cursor.topicPartition }) {
            index = found
            position = cursor.position
        }
        var verifiedBytes = 0
        var partitionsFinished = 0
        var idleSteps = 0
        // Each step either verifies bytes or moves to another segment or partition; the idle bound is a backstop.
        while verifiedBytes < bytesMax && partitionsFinished <= partitions.count && idleSteps <= Self.idleStepsMax {
            let partition = partitions[index]
            var next: PartitionLog.ScrubPosition?
            do {
                let step = try partition.scrub(from: position, bytesMax: bytesMax - verifiedBytes)
                verifiedBytes += step.bytes
                idleSteps = step.bytes == 0 ? idleSteps + 1 : 0
                next = step.next
            } catch {
                self.onError("\(partition.topicPartition): the scrubber could not read a segment: \(error)")
            }
            if let next {
                position = next
                continue
            }
            partitionsFinished += 1
            position = nil
            index += 1
            if index == partitions.count {
                index = 0
                self.completedPassesCount.add(1, ordering: .relaxed)
            }
        }
        let stop = Cursor(topicPartition: partitions[index].topicPartition, position: position)
        self.state.withLock { $0.cursor = stop }
        self.verifiedBytesCount.add(Int64(verifiedBytes), ordering: .relaxed)
        return verifiedBytes
    }
}
