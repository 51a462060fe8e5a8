import RecordFormat
import SluiceModel

/// One segment of a partition's log: `<20-digit base offset>.log`, with its `.index` and `.timeindex`.
///
/// The `.log` file is record batches back to back, each stored byte-for-byte as the producer sent it except
/// for its first 8 bytes (the base offset, outside the CRC), which the broker stamps. There is no file header:
///
/// ```
/// position   content
///        0   batch (61-byte v2 header with baseOffset = segment base offset, then the records)
///        n   batch (baseOffset = previous batch's last offset + 1)
///      ...
/// ```
///
/// Offsets are contiguous across batches and across segments: a segment's base offset is the offset of its
/// first batch and the previous segment's end. Only the last (active) segment is appended to; its indexes are
/// preallocated and mapped. `seal()` turns it into a read-only segment when the log rolls or closes.
///
/// Not synchronized: used only under its partition's lock, except `file`, which readers keep by reference.
final class Segment {
    let baseOffset: Offset
    let file: SegmentFileHandle
    let offsetIndex: OffsetIndex
    let timeIndex: TimeIndex
    let directory: String
    /// Bytes of whole batches in the file; appends go here.
    private(set) var sizeBytes: Int64
    /// The offset the next batch appended here gets.
    private(set) var nextOffset: Offset
    /// The largest record timestamp in the segment (-1 when empty or unknown), for retention and time lookups.
    private(set) var maxTimestampMs: Int64 = -1
    /// The batch that first reached `maxTimestampMs`, for time index entries.
    private var offsetOfMaxTimestamp: Offset
    private var bytesSinceLastIndexEntry = 0
    /// Monotonic time of the first append since the segment was created or reopened (age-based rolling).
    private(set) var firstAppendMonotonicNs: UInt64?
    /// A failed write could not be cut back: the file holds bytes past `sizeBytes` that are not batches.
    private(set) var isPoisoned = false
    /// `seal()` finished: indexes trimmed, everything synced, no appends. Also true of the last segment of a
    /// log whose roll sealed it but could not create the next one (a full disk): the next append retries.
    private(set) var isSealed = false
    /// Bytes known to be on disk (fdatasync'ed).
    private(set) var syncedSizeBytes: Int64
    /// Damaged ranges kept in the file but never served (`Segment+Fences.swift`), sorted by offset. Almost always
    /// empty, so a read pays one emptiness check for them.
    private(set) var fences: [FencedRange] = []
    /// The prefix of the file whose batches passed a CRC-32C check since the log was opened (by recovery, an
    /// append's validation, the scrubber or a read), as a batch boundary and the offset of the batch there.
    /// Reads verify what they return beyond it once, so damage is never served twice and clean data is checked
    /// once per start, not per read.
    private(set) var verifiedEnd: (positionBytes: Int64, offset: Offset)

    var isEmpty: Bool { self.sizeBytes == 0 }
    var logPath: String { self.file.path }

    /// Opens (creating when missing) the three files of the segment starting at `baseOffset`. The caller then
    /// either trusts and checks the indexes or rebuilds them (`Segment+Recovery.swift`).
    init(directory: String, baseOffset: Offset, fileIO: FileIO) throws(StorageError) {
        self.directory = directory
        self.baseOffset = baseOffset
        let stem = directory + "/" + Self.fileStem(baseOffset)
        self.file = try SegmentFileHandle(path: stem + ".log", create: true, fileIO: fileIO)
        let entryCountMax = Limits.indexEntriesPerSegmentMax
        self.offsetIndex = try OffsetIndex(
            path: stem + ".index", baseOffset: baseOffset, entryCountMax: entryCountMax, fileIO: fileIO
        )
        self.timeIndex = try TimeIndex(
            path: stem + ".timeindex", baseOffset: baseOffset, entryCountMax: entryCountMax, fileIO: fileIO
        )
        self.sizeBytes = try self.file.sizeBytes()
        self.syncedSizeBytes = self.sizeBytes
        self.nextOffset = baseOffset
        self.offsetOfMaxTimestamp = baseOffset
        self.verifiedEnd = (0, baseOffset)
    }

    /// The 20-digit, zero-padded base offset that names the segment's files (so names sort as offsets do).
    static func fileStem(_ baseOffset: Offset) -> String {
        precondition(baseOffset.rawValue >= 0, "offsets are not negative")
        let digits = String(baseOffset.rawValue)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits
    }

    /// Whether an append of `appendSizeBytes` ending at `lastOffset` must go into a new segment instead.
    func mustRoll(appendSizeBytes: Int, lastOffset: Offset, config: LogConfig, nowMonotonicNs: UInt64) -> Bool {
        guard !self.isEmpty else { return false }
        if self.sizeBytes + Int64(appendSizeBytes) > config.segmentSizeBytes { return true }
        // Index entries hold 32-bit relative offsets; Kafka keeps them within Int32 too.
        if lastOffset - self.baseOffset > Int64(Int32.max) { return true }
        if self.offsetIndex.isFull || self.timeIndex.isFull { return true }
        if let firstAppendNs = self.firstAppendMonotonicNs, config.segmentAgeMs >= 0 {
            let ageNs = nowMonotonicNs &- firstAppendNs
            if nowMonotonicNs >= firstAppendNs && ageNs >= UInt64(config.segmentAgeMs) * 1_000_000 { return true }
        }
        return false
    }

    /// Appends validated, offset-stamped batches with one positional write, then indexes them. Index room
    /// is reserved first, so a full disk fails the append before any byte is written. On a failed write
    /// (ENOSPC part-way, EIO) the file is cut back to its previous size so no partial batch stays behind and
    /// the segment takes appends again; only when that cut fails is the segment poisoned.
    func append(
        _ batches: UnsafeRawBufferPointer, indexIntervalBytes: Int, nowMonotonicNs: UInt64
    ) throws(StorageError) {
        precondition(batches.count > 0, "append of nothing")
        precondition(!self.isSealed, "append to a sealed segment")
        try self.reserveIndexRoom(batchCount: Self.batchCount(in: batches))
        do {
            try self.file.writeAll(batches, at: self.sizeBytes)
        } catch {
            do {
                try self.file.truncate(toSizeBytes: self.sizeBytes)
            } catch {
                self.isPoisoned = true
            }
            throw error
        }
        if self.firstAppendMonotonicNs == nil { self.firstAppendMonotonicNs = nowMonotonicNs }
        var position = 0
        while position < batches.count {
            let bytes = UnsafeRawBufferPointer(rebasing: batches[position...])
            let baseOffset = bytes.readBigEndian(Int64.self, at: 0)
            let batch = StoredBatch(
                positionBytes: self.sizeBytes + Int64(position),
                sizeBytes: Int(bytes.readBigEndian(Int32.self, at: 8)) + RecordBatchHeader.logOverheadBytes,
                baseOffset: Offset(baseOffset),
                lastOffset: Offset(baseOffset + Int64(bytes.readBigEndian(Int32.self, at: 23))),
                maxTimestampMs: bytes.readBigEndian(Int64.self, at: RecordBatchHeader.maxTimestampOffset)
            )
            self.index(batch, indexIntervalBytes: indexIntervalBytes)
            position += batch.sizeBytes
        }
        precondition(position == batches.count, "appended bytes end on a batch boundary")
        // Appends are validated (CRC included) before they are written: a verified prefix grows with them.
        if self.verifiedEnd.positionBytes == self.sizeBytes {
            self.verifiedEnd = (self.sizeBytes + Int64(batches.count), self.nextOffset)
        }
        self.sizeBytes += Int64(batches.count)
    }

    /// How many batches `batches` (validated, back to back) holds: each adds at most one entry to each index.
    static func batchCount(in batches: UnsafeRawBufferPointer) -> Int {
        var position = 0
        var count = 0
        while position < batches.count {
            position += Int(batches.readBigEndian(Int32.self, at: position + 8)) + RecordBatchHeader.logOverheadBytes
            count += 1
        }
        return count
    }

    /// Gives both indexes blocks for the entries `batchCount` more batches may add, plus the time index's
    /// final entry at `seal()`, so sealing never needs new space. Throws `diskFull` when there is no room.
    func reserveIndexRoom(batchCount: Int) throws(StorageError) {
        // An active segment opened on a full disk has indexes not yet mapped for writing (see `activate`).
        try self.offsetIndex.preallocate()
        try self.timeIndex.preallocate()
        try self.offsetIndex.reserve(additionalEntries: batchCount)
        try self.timeIndex.reserve(additionalEntries: batchCount + 1)
    }

    /// Accounts for one batch now in the file: offsets, timestamps, and a sparse index entry when due.
    func index(_ batch: StoredBatch, indexIntervalBytes: Int) {
        precondition(batch.baseOffset == self.nextOffset, "batches are contiguous")
        if batch.maxTimestampMs > self.maxTimestampMs {
            self.maxTimestampMs = batch.maxTimestampMs
            self.offsetOfMaxTimestamp = batch.baseOffset
        }
        if self.bytesSinceLastIndexEntry >= indexIntervalBytes && batch.positionBytes > 0 {
            self.offsetIndex.append(offset: batch.baseOffset, positionBytes: batch.positionBytes)
            self.timeIndex.appendIfGreater(timestampMs: self.maxTimestampMs, offset: self.offsetOfMaxTimestamp)
            self.bytesSinceLastIndexEntry = 0
        }
        self.bytesSinceLastIndexEntry += batch.sizeBytes
        self.nextOffset = batch.nextOffset
    }

    /// Flushes appended bytes to disk (fdatasync). Returns without a system call when nothing is new.
    func sync() throws(StorageError) {
        let sizeBytes = self.sizeBytes
        guard sizeBytes > self.syncedSizeBytes else { return }
        try self.file.sync(dataOnly: true)
        self.syncedSizeBytes = max(self.syncedSizeBytes, sizeBytes)
    }

    /// What `sync()` would flush, for syncing outside the partition lock: the handle and the size covered.
    var pendingSync: (file: SegmentFileHandle, sizeBytes: Int64)? {
        self.sizeBytes > self.syncedSizeBytes ? (self.file, self.sizeBytes) : nil
    }

    func markSynced(upToSizeBytes sizeBytes: Int64) {
        self.syncedSizeBytes = max(self.syncedSizeBytes, sizeBytes)
    }

    /// Makes the indexes appendable (allocated, mapped): the segment becomes the active one. Throws
    /// `diskFull` when the disk has no room for the first chunk of index entries; the next
    /// `reserveIndexRoom` (an append) tries again.
    func activate() throws(StorageError) {
        try self.reserveIndexRoom(batchCount: 0)
        self.isSealed = false
    }

    /// Ends appends: records the largest timestamp in the time index, trims the indexes to their entries,
    /// and syncs everything, so the files of a sealed segment never need recovery.
    func seal() throws(StorageError) {
        guard !self.isSealed else { return }
        if !self.isEmpty {
            self.timeIndex.appendIfGreater(timestampMs: self.maxTimestampMs, offset: self.offsetOfMaxTimestamp)
        }
        try self.offsetIndex.trim()
        try self.timeIndex.trim()
        try self.file.truncate(toSizeBytes: self.sizeBytes)
        try self.sync()
        self.isSealed = true
    }

    /// Creates the segment starting at `baseOffset` and activates it, for a roll or a new partition. On any
    /// failure (a full disk while allocating its indexes) its files are removed again, so nothing is left
    /// that a later roll to the same offset would trip over.
    static func create(directory: String, baseOffset: Offset, fileIO: FileIO) throws(StorageError) -> Segment {
        do {
            let segment = try Segment(directory: directory, baseOffset: baseOffset, fileIO: fileIO)
            try segment.activate()
            return segment
        } catch {
            let stem = directory + "/" + Self.fileStem(baseOffset)
            for suffix in [".log", ".index", ".timeindex"] {
                try? fileIO.unlink(stem + suffix)
            }
            throw error
        }
    }

    /// Removes the segment's files: the log first, so a crash part-way leaves stray index files (removed at the
    /// next open) rather than a log without its indexes being resurrected.
    func deleteFiles(fileIO: FileIO) throws(StorageError) {
        try fileIO.unlink(self.file.path)
        try? fileIO.unlink(self.offsetIndex.path)
        try? fileIO.unlink(self.timeIndex.path)
        let stem = String(self.file.path.dropLast(".log".count))
        if fileIO.fileExists(stem + ".txnindex") { try? fileIO.unlink(stem + ".txnindex") }
    }

    /// Records `fence` unless one already covers its start; returns whether it is new. Fences found after
    /// opening (by a read or the scrubber) lie inside the segment's offsets and bytes, so nothing else moves.
    @discardableResult
    func addFence(_ fence: FencedRange) -> Bool {
        precondition(fence.firstOffset >= self.baseOffset && fence.endOffset <= self.nextOffset, "fence inside")
        guard !self.fences.contains(where: { $0.overlaps(fence) }) else { return false }
        self.fences.append(fence)
        self.fences.sort { $0.firstOffset < $1.firstOffset }
        return true
    }

    /// Recovery's scan met `fence` where it expected `nextOffset`: the segment goes on after it, and the first
    /// batch after it gets an index entry so that reads past the fence can start there.
    func skipDuringScan(_ fence: FencedRange, indexIntervalBytes: Int) {
        precondition(fence.firstOffset == self.nextOffset && fence.positionBytes == self.sizeBytes, "fence in order")
        self.fences.append(fence)
        self.sizeBytes = fence.endPositionBytes
        self.nextOffset = fence.endOffset
        self.bytesSinceLastIndexEntry = indexIntervalBytes
    }

    /// Batches from the start of the file up to `positionBytes` (where a batch with base offset `offset` starts,
    /// or the end) passed a CRC check, fenced ranges aside; a check of a range that does not touch the verified
    /// prefix extends nothing.
    func markVerified(fromPositionBytes startBytes: Int64, toPositionBytes endBytes: Int64, nextOffset: Offset) {
        guard startBytes <= self.verifiedEnd.positionBytes, endBytes > self.verifiedEnd.positionBytes else { return }
        self.verifiedEnd = (endBytes, nextOffset)
    }

    /// Recovery's scan accepted the batches up to `sizeBytes`, already in the file.
    func setSizeAfterScan(_ sizeBytes: Int64) {
        precondition(sizeBytes >= self.sizeBytes, "a scan only moves forward")
        self.sizeBytes = sizeBytes
    }

    /// Restores the state recovery or index checks computed (see `Segment+Recovery.swift`).
    func restore(sizeBytes: Int64, nextOffset: Offset, maxTimestampMs: Int64, offsetOfMaxTimestamp: Offset,
                 bytesSinceLastIndexEntry: Int)
    {
        self.sizeBytes = sizeBytes
        self.syncedSizeBytes = min(self.syncedSizeBytes, sizeBytes)
        self.nextOffset = nextOffset
        self.maxTimestampMs = maxTimestampMs
        self.offsetOfMaxTimestamp = offsetOfMaxTimestamp
        self.bytesSinceLastIndexEntry = bytesSinceLastIndexEntry
        self.fences.removeAll()
        self.verifiedEnd = (0, self.baseOffset)
    }
}
