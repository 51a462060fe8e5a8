/// Pending timers, earliest first (a binary min-heap on time). The same (key, time) asked twice is kept
/// once, so a batch replayed after a crash does not double its timers.
struct TimerHeap: Sendable {
    private(set) var timers: [OperatorTimer] = []
    private var present: Set<OperatorTimer> = []

    init(_ timers: [OperatorTimer] = []) {
        timers.forEach { self.insert($0) }
    }

    var count: Int { self.timers.count }
    var isEmpty: Bool { self.timers.isEmpty }
    var earliestTimeMs: Int64? { self.timers.first?.timeMs }

    mutating func insert(_ timer: OperatorTimer) {
        guard self.present.insert(timer).inserted else { return }
        self.timers.append(timer)
        var child = self.timers.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard self.timers[child].timeMs < self.timers[parent].timeMs else { break }
            self.timers.swapAt(child, parent)
            child = parent
        }
    }

    /// Removes and returns up to `countMax` timers due at `nowMs`, earliest first.
    mutating func popDue(nowMs: Int64, countMax: Int) -> [OperatorTimer] {
        var due: [OperatorTimer] = []
        while due.count < countMax, let first = self.timers.first, first.timeMs <= nowMs {
            due.append(self.popFirst())
        }
        return due
    }

    private mutating func popFirst() -> OperatorTimer {
        let first = self.timers[0]
        self.present.remove(first)
        let last = self.timers.removeLast()
        if !self.timers.isEmpty {
            self.timers[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1
                let right = left + 1
                var smallest = parent
                if left < self.timers.count && self.timers[left].timeMs < self.timers[smallest].timeMs { smallest = left }
                if right < self.timers.count && self.timers[right].timeMs < self.timers[smallest].timeMs { smallest = right }
                if smallest == parent { break }
                self.timers.swapAt(parent, smallest)
                parent = smallest
            }
        }
        return first
    }
}
