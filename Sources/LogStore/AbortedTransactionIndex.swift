import SluiceModel

/// One aborted transaction on one partition: what a `read_committed` consumer needs to drop its batches.
public struct AbortedTransaction: Equatable, Sendable {
    public var producerId: Int64
    /// The offset of the transaction's first batch on this partition.
    public var firstOffset: Offset
    /// The offset of its abort marker.
    public var lastOffset: Offset
    /// The partition's last stable offset just after the marker: every transaction still open then began at
    /// or after it, which is what lets a fetch stop looking (see `AbortedTransactionIndex.overlapping`).
    public var lastStableOffset: Offset

    public init(producerId: Int64, firstOffset: Offset, lastOffset: Offset, lastStableOffset: Offset) {
        self.producerId = producerId
        self.firstOffset = firstOffset
        self.lastOffset = lastOffset
        self.lastStableOffset = lastStableOffset
    }
}

/// A partition's aborted transactions in memory, in marker order (`lastOffset` increasing), as the
/// `.txnindex` files of its segments hold them (`AbortedTransactionIndexFile`). Not synchronized: it lives in
/// `PartitionLog.State`, next to the producer state whose markers feed it.
struct AbortedTransactionIndex: Equatable {
    private(set) var entries: [AbortedTransaction] = []

    var count: Int { self.entries.count }

    /// Appends the entry of a marker just written; markers come in offset order.
    mutating func append(_ entry: AbortedTransaction) {
        precondition(self.entries.last.map { $0.lastOffset < entry.lastOffset } ?? true, "markers in offset order")
        self.entries.append(entry)
    }

    /// The entries whose marker lies in `[fromOffset, toOffset)`: one segment's file.
    func entries(markersFrom fromOffset: Offset, to toOffset: Offset) -> ArraySlice<AbortedTransaction> {
        let start = self.firstIndex(lastOffsetAtLeast: fromOffset)
        let end = self.firstIndex(lastOffsetAtLeast: toOffset)
        return self.entries[start..<max(start, end)]
    }

    /// Drops the entries whose marker is below `offset` (their segments were deleted by retention).
    mutating func removeEntries(markersBelow offset: Offset) {
        let end = self.firstIndex(lastOffsetAtLeast: offset)
        if end > 0 { self.entries.removeFirst(end) }
    }

    /// Kafka's rule for a fetch returning offsets `[fromOffset, upperBound)`: the aborted transactions whose
    /// marker is at or after `fromOffset` and whose first offset is below `upperBound`, stopping at the first
    /// entry whose recorded LSO reaches `upperBound` (a transaction still open at that marker began at or after
    /// that LSO, so no later entry can start below `upperBound`). Not capped: leaving one out would show its
    /// records to a `read_committed` reader; a read spans one segment, which bounds what can overlap it.
    func overlapping(fromOffset: Offset, upperBound: Offset) -> [AbortedTransaction] {
        var found: [AbortedTransaction] = []
        var index = self.firstIndex(lastOffsetAtLeast: fromOffset)
        while index < self.entries.count {
            let entry = self.entries[index]
            if entry.firstOffset < upperBound { found.append(entry) }
            if entry.lastStableOffset >= upperBound { break }
            index += 1
        }
        return found
    }

    /// Binary search: the first entry whose marker is at or after `offset` (`count` when none).
    private func firstIndex(lastOffsetAtLeast offset: Offset) -> Int {
        var low = 0
        var high = self.entries.count
        while low < high {
            let middle = (low + high) / 2
            if self.entries[middle].lastOffset < offset {
                low = middle + 1
            } else {
                high = middle
            }
        }
        return low
    }
}
