import RecordFormat
import SluiceModel

/// The sparse time index of one segment: `<20-digit base offset>.timeindex`. Byte format, entries back to
/// back, no header, all big-endian:
///
/// ```
/// offset size field
///      0    8 timestamp        the largest record timestamp (ms) in the segment up to this batch (Int64)
///      8    4 relativeOffset   base offset, minus the segment's base, of the batch that first reached it (UInt32)
/// ```
///
/// Written alongside the offset index (same interval), but only when the timestamp is greater than the last
/// entry's, so timestamps strictly increase even when producers' clocks do not. Because each entry holds the
/// running maximum, every batch before an entry's offset has timestamps at most the entry's; a search for the
/// first record at or after T can therefore start at the last entry whose timestamp is below T. When a segment
/// rolls, a final entry records its largest timestamp, which time-based retention reads back after a restart.
final class TimeIndex {
    static let entrySizeBytes = 12

    let baseOffset: Offset
    private let storage: MappedIndexFile

    init(path: String, baseOffset: Offset, entryCountMax: Int, fileIO: FileIO) throws(StorageError) {
        self.baseOffset = baseOffset
        self.storage = try MappedIndexFile(
            path: path, entrySizeBytes: Self.entrySizeBytes, entryCountMax: entryCountMax, fileIO: fileIO
        )
    }

    var entryCount: Int { self.storage.entryCount }
    var isFull: Bool { self.storage.isFull }
    var path: String { self.storage.path }

    func entry(_ index: Int) -> (timestampMs: Int64, offset: Offset) {
        let bytes = self.storage.entry(index)
        let timestampMs = bytes.readBigEndian(Int64.self, at: 0)
        let relativeOffset = bytes.readBigEndian(UInt32.self, at: 8)
        return (timestampMs, self.baseOffset + Int64(relativeOffset))
    }

    /// The last entry's timestamp, or nil when the index is empty.
    var lastTimestampMs: Int64? {
        self.entryCount == 0 ? nil : self.entry(self.entryCount - 1).timestampMs
    }

    /// Appends an entry when `timestampMs` is greater than the last one (otherwise does nothing), room allowing.
    func appendIfGreater(timestampMs: Int64, offset: Offset) {
        if let last = self.lastTimestampMs, timestampMs <= last { return }
        guard !self.isFull else { return }
        let relativeOffset = offset - self.baseOffset
        precondition(relativeOffset >= 0 && relativeOffset <= Int64(UInt32.max), "offset outside the segment")
        self.storage.append { bytes in
            bytes.writeBigEndian(timestampMs, at: 0)
            bytes.writeBigEndian(UInt32(relativeOffset), at: 8)
        }
    }

    /// The offset of the last entry whose timestamp is below `timestampMs`, where a search for the first record
    /// at or after `timestampMs` may start (the segment's base when there is none).
    func lookupStart(forTimestampMs timestampMs: Int64) -> Offset {
        var low = 0
        var high = self.entryCount
        // Invariant: entries before `low` are below the target; entries from `high` on are not.
        while low < high {
            let middle = (low + high) / 2
            if self.entry(middle).timestampMs < timestampMs {
                low = middle + 1
            } else {
                high = middle
            }
        }
        return low == 0 ? self.baseOffset : self.entry(low - 1).offset
    }

    /// Checks what was read from disk: whole entries, timestamps strictly increasing, offsets not decreasing
    /// and below `nextOffset` (the segment's end). Returns why the index cannot be trusted, or nil.
    func sanityProblem(nextOffset: Offset) -> String? {
        guard self.storage.hasTrustworthySize else { return "size is not that of a trimmed index" }
        var previous: (timestampMs: Int64, offset: Offset)?
        for index in 0..<self.entryCount {
            let current = self.entry(index)
            if current.offset >= nextOffset {
                return "entry \(index) points past the end of the segment"
            }
            if let previous, current.timestampMs <= previous.timestampMs || current.offset < previous.offset {
                return "entry \(index) does not increase"
            }
            previous = current
        }
        return nil
    }

    /// Forgets the entries of batches at or after `offset` (the log was truncated there).
    func truncate(toOffset offset: Offset) {
        var count = self.entryCount
        while count > 0 && self.entry(count - 1).offset >= offset {
            count -= 1
        }
        self.storage.truncate(toEntryCount: count)
    }

    func removeAll() {
        self.storage.truncate(toEntryCount: 0)
    }

    func preallocate() throws(StorageError) {
        try self.storage.preallocate()
    }

    /// Gives `additionalEntries` more entries real blocks (see `MappedIndexFile.reserve`).
    func reserve(additionalEntries: Int) throws(StorageError) {
        try self.storage.reserve(additionalEntries: additionalEntries)
    }

    func trim() throws(StorageError) {
        try self.storage.trim()
    }
}
