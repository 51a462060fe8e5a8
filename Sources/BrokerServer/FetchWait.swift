import LogStore
import NIOCore
import Synchronization

/// A fetch waiting for data: listens for appends on the partitions it asked for and for its timeout,
/// whichever comes first. Its mutable state lives on its event loop; append listeners run on the
/// appending thread and only set a flag and hop over, coalescing a burst of appends into one re-read.
final class FetchWait: Sendable {
    private let eventLoop: EventLoop
    private let isSatisfied: @Sendable () -> FetchReadResult?
    private let finish: @Sendable (FetchReadResult?) -> Void
    private let state: NIOLoopBoundBox<State>
    /// Set by an append listener when a re-read is already queued on the event loop.
    private let checkQueued = Atomic<Bool>(false)

    private struct State {
        var finished = false
        var listeners: [(PartitionLog, AppendListenerToken)] = []
        var timeout: Scheduled<Void>?
    }

    private init(
        eventLoop: EventLoop, isSatisfied: @escaping @Sendable () -> FetchReadResult?,
        finish: @escaping @Sendable (FetchReadResult?) -> Void
    ) {
        self.eventLoop = eventLoop
        self.isSatisfied = isSatisfied
        self.finish = finish
        self.state = NIOLoopBoundBox(State(), eventLoop: eventLoop)
    }

    /// Starts waiting; must be called on `eventLoop`. `isSatisfied` re-reads and returns a result when
    /// the fetch can be answered; `finish` answers it (with nil on timeout, meaning "read once more").
    static func start(
        eventLoop: EventLoop, partitions: [PartitionLog], timeoutMs: Int64,
        isSatisfied: @escaping @Sendable () -> FetchReadResult?,
        finish: @escaping @Sendable (FetchReadResult?) -> Void
    ) {
        eventLoop.preconditionInEventLoop()
        let wait = FetchWait(eventLoop: eventLoop, isSatisfied: isSatisfied, finish: finish)
        for partition in partitions {
            let token = partition.addAppendListener { _ in wait.appendHappened() }
            wait.state.value.listeners.append((partition, token))
        }
        wait.state.value.timeout = eventLoop.scheduleTask(in: .milliseconds(timeoutMs)) {
            wait.complete(with: nil)
        }
        // An append may have landed between the first read and the listeners' registration.
        wait.check()
    }

    private func appendHappened() {
        guard !self.checkQueued.exchange(true, ordering: .acquiringAndReleasing) else { return }
        self.eventLoop.execute { self.check() }
    }

    private func check() {
        self.checkQueued.store(false, ordering: .releasing)
        guard !self.state.value.finished else { return }
        if let result = self.isSatisfied() {
            self.complete(with: result)
        }
    }

    private func complete(with result: FetchReadResult?) {
        guard !self.state.value.finished else { return }
        self.state.value.finished = true
        self.state.value.timeout?.cancel()
        for (partition, token) in self.state.value.listeners {
            partition.removeAppendListener(token)
        }
        self.state.value.listeners = []
        self.finish(result)
    }
}
