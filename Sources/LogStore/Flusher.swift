import Dispatch
import SluiceModel
import Synchronization

/// The one background flusher of a `LogManager`: a serial dispatch queue (not a thread per partition) that
///
/// - runs the flushes `whenDurable` asks for; since the queue is serial and a partition schedules at most one
///   flush at a time, waiters that arrive during an fsync all share the next one (group commit);
/// - every `tickMs`, fsyncs the partitions whose `interval` policy is due (by the injected clock), and calls
///   `onTick` (the manager writes its recovery-point checkpoint from there).
final class Flusher: @unchecked Sendable {
    // @unchecked: `partitions` is behind a Mutex; the queue and timer are thread-safe.
    private let queue = DispatchQueue(label: "sluice.logstore.flusher")
    private let timer: DispatchSourceTimer
    private let clock: SluiceClock
    private let partitions = Mutex<[ObjectIdentifier: PartitionLog]>([:])

    init(clock: SluiceClock, tickMs: Int, onTick: @escaping @Sendable () -> Void) {
        precondition(tickMs > 0, "the flusher ticks")
        self.clock = clock
        self.timer = DispatchSource.makeTimerSource(queue: self.queue)
        self.timer.schedule(deadline: .now() + .milliseconds(tickMs), repeating: .milliseconds(tickMs))
        self.timer.setEventHandler { [weak self] in
            self?.flushDuePartitions()
            onTick()
        }
        self.timer.resume()
    }

    deinit {
        self.timer.cancel()
    }

    func register(_ partition: PartitionLog) {
        self.partitions.withLock { $0[ObjectIdentifier(partition)] = partition }
    }

    func unregister(_ partition: PartitionLog) {
        _ = self.partitions.withLock { $0.removeValue(forKey: ObjectIdentifier(partition)) }
    }

    /// Queues a flush of `partition`; errors reach its waiters, so nothing is thrown here.
    func requestFlush(of partition: PartitionLog) {
        self.queue.async {
            try? partition.flush()
        }
    }

    /// Stops the timer and forgets the partitions (which hold this flusher: forgetting them breaks the
    /// reference cycle). With `waitingForQueuedFlushes`, also waits for queued flushes to finish; that must
    /// not be asked from the flusher's own queue (a deinit may run there), hence the choice.
    func shutdown(waitingForQueuedFlushes: Bool) {
        self.timer.cancel()
        if waitingForQueuedFlushes { self.queue.sync {} }
        self.partitions.withLock { $0.removeAll() }
    }

    private func flushDuePartitions() {
        let nowNs = self.clock.monotonicNs()
        let partitions = self.partitions.withLock { Array($0.values) }
        for partition in partitions {
            partition.flushIfIntervalElapsed(nowMonotonicNs: nowNs)
        }
    }
}
