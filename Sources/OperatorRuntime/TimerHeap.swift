/// An operator's pending timers: at most one per key (the null key is one key), as the protocol says, so a
/// timer set again for a key replaces the pending one and re-running init does not add a second tick.
///
/// A binary min-heap on time gives the due timers in order; replaced timers stay in the heap as stale
/// entries, skipped when they surface and swept when they outnumber the live ones.
struct TimerHeap: Sendable {
    /// key → time of the pending timer: the truth (what is persisted).
    private(set) var pending: [[UInt8]?: Int64] = [:]
    private var heap: [OperatorTimer] = []

    init(_ timers: [OperatorTimer] = []) {
        timers.forEach { self.set($0) }
    }

    var count: Int { self.pending.count }
    var isEmpty: Bool { self.pending.isEmpty }

    /// The pending timers, for persisting.
    var timers: [OperatorTimer] {
        self.pending.map { OperatorTimer(key: $0.key, timeMs: $0.value) }.sorted { $0.timeMs < $1.timeMs }
    }

    var earliestTimeMs: Int64? {
        mutating get {
            self.dropStaleTop()
            return self.heap.first?.timeMs
        }
    }

    /// Sets (or replaces) the timer of `timer.key`.
    mutating func set(_ timer: OperatorTimer) {
        guard self.pending[timer.key] != timer.timeMs else { return }
        self.pending[timer.key] = timer.timeMs
        self.push(timer)
        if self.heap.count > 2 * self.pending.count + 1024 { self.rebuild() }
    }

    /// The timers due at `nowMs`, earliest first, at most `countMax`. They stay pending until `retire`
    /// (their batch was answered) or go back with `restore` (it failed or died).
    mutating func takeDue(nowMs: Int64, countMax: Int) -> [OperatorTimer] {
        var due: [OperatorTimer] = []
        while due.count < countMax {
            self.dropStaleTop()
            guard let first = self.heap.first, first.timeMs <= nowMs else { break }
            due.append(self.popFirst())
        }
        return due
    }

    /// The delivered timers' batch was answered: they are done, unless set again since.
    mutating func retire(_ delivered: [OperatorTimer]) {
        for timer in delivered where self.pending[timer.key] == timer.timeMs {
            self.pending[timer.key] = nil
        }
    }

    /// The delivered timers' batch failed: they are due again.
    mutating func restore(_ delivered: [OperatorTimer]) {
        for timer in delivered where self.pending[timer.key] == timer.timeMs { self.push(timer) }
    }

    /// A heap entry whose key has been set to another time (or retired) is stale.
    private mutating func dropStaleTop() {
        while let first = self.heap.first, self.pending[first.key] != first.timeMs {
            _ = self.popFirst()
        }
    }

    private mutating func rebuild() {
        self.heap.removeAll(keepingCapacity: true)
        for (key, timeMs) in self.pending { self.push(OperatorTimer(key: key, timeMs: timeMs)) }
    }

    private mutating func push(_ timer: OperatorTimer) {
        self.heap.append(timer)
        var child = self.heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard self.heap[child].timeMs < self.heap[parent].timeMs else { break }
            self.heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func popFirst() -> OperatorTimer {
        let first = self.heap[0]
        let last = self.heap.removeLast()
        if !self.heap.isEmpty {
            self.heap[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1
                let right = left + 1
                var smallest = parent
                if left < self.heap.count && self.heap[left].timeMs < self.heap[smallest].timeMs { smallest = left }
                if right < self.heap.count && self.heap[right].timeMs < self.heap[smallest].timeMs { smallest = right }
                if smallest == parent { break }
                self.heap.swapAt(parent, smallest)
                parent = smallest
            }
        }
        return first
    }
}
