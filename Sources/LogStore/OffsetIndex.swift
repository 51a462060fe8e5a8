import RecordFormat
import SluiceModel

/// The sparse offset index of one segment: `<20-digit base offset>.index`. Byte format, entries back to
/// back, no header, all big-endian:
///
/// ```
/// offset size field
///      0    4 relativeOffset   base offset of a batch minus the segment's base offset (UInt32)
///      4    4 position         byte position of that batch in the segment's .log file (UInt32)
/// ```
///
/// An entry is added for the first batch that starts at least `indexIntervalBytes` after the batch of the
/// previous entry, so the index stays small (one entry per ~4 KiB of log) and a lookup ends with a short scan
/// of batch headers. Both fields strictly increase. A lookup returns the greatest entry whose offset is at
/// most the target: the batch holding the target starts there or later. The batch at position 0 is implicit.
final class OffsetIndex {
    static let entrySizeBytes = 8

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

    func entry(_ index: Int) -> (offset: Offset, positionBytes: Int64) {
        let bytes = self.storage.entry(index)
        let relativeOffset = bytes.readBigEndian(UInt32.self, at: 0)
        let position = bytes.readBigEndian(UInt32.self, at: 4)
        return (self.baseOffset + Int64(relativeOffset), Int64(position))
    }

    /// Records that the batch starting at `offset` is at `positionBytes`.
    func append(offset: Offset, positionBytes: Int64) {
        let relativeOffset = offset - self.baseOffset
        precondition(relativeOffset >= 0 && relativeOffset <= Int64(UInt32.max), "offset outside the segment")
        precondition(positionBytes >= 0 && positionBytes <= Int64(UInt32.max), "position outside the segment")
        if self.entryCount > 0 {
            let last = self.entry(self.entryCount - 1)
            precondition(offset > last.offset && positionBytes > last.positionBytes, "index entries increase")
        }
        self.storage.append { bytes in
            bytes.writeBigEndian(UInt32(relativeOffset), at: 0)
            bytes.writeBigEndian(UInt32(positionBytes), at: 4)
        }
    }

    /// The position of the greatest indexed batch starting at or before `offset` (0 when there is none).
    func lookup(_ offset: Offset) -> (offset: Offset, positionBytes: Int64) {
        var low = 0
        var high = self.entryCount
        // Invariant: entries before `low` start at or before `offset`; entries from `high` on start after it.
        while low < high {
            let middle = (low + high) / 2
            if self.entry(middle).offset <= offset {
                low = middle + 1
            } else {
                high = middle
            }
        }
        return low == 0 ? (self.baseOffset, 0) : self.entry(low - 1)
    }

    /// The position of the last indexed batch starting at or before `positionBytes`, or nil when there is none.
    /// Reads use it to skip over whole batches instead of reading each header on the way to `maxBytes`.
    func lastPosition(atOrBefore positionBytes: Int64) -> Int64? {
        var low = 0
        var high = self.entryCount
        // Invariant: entries before `low` start at or before the position; entries from `high` on after it.
        while low < high {
            let middle = (low + high) / 2
            if self.entry(middle).positionBytes <= positionBytes {
                low = middle + 1
            } else {
                high = middle
            }
        }
        return low == 0 ? nil : self.entry(low - 1).positionBytes
    }

    /// Checks what was read from disk: a whole number of entries, both fields strictly increasing, every
    /// position inside the log. Returns why the index cannot be trusted, or nil.
    func sanityProblem(logSizeBytes: Int64) -> String? {
        guard self.storage.hasTrustworthySize else { return "size is not that of a trimmed index" }
        var previous: (offset: Offset, positionBytes: Int64)?
        for index in 0..<self.entryCount {
            let current = self.entry(index)
            if current.positionBytes >= logSizeBytes { return "entry \(index) points past the end of the log" }
            if let previous, current.offset <= previous.offset || current.positionBytes <= previous.positionBytes {
                return "entry \(index) does not increase"
            }
            previous = current
        }
        return nil
    }

    /// Forgets the entries of batches at or after `positionBytes` (the log was truncated there).
    func truncate(toPositionBytes positionBytes: Int64) {
        var count = self.entryCount
        while count > 0 && self.entry(count - 1).positionBytes >= positionBytes {
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
