import RecordFormat
import SluiceModel

/// A damaged stretch of a segment: bytes that are not the valid, contiguous batches they should be (a flipped
/// bit, a zeroed page, a torn header). Sluice keeps those bytes and every batch around them, and fences the
/// offsets they held: a fetch at a fenced offset gets CORRUPT_MESSAGE, a fetch before it stops at the fence, a
/// fetch after it is served as usual. Nothing is truncated or deleted (see `Docs/durability.md`).
///
/// Fences live in memory only: recovery, the first read or the scrubber find the damage again after a restart.
struct FencedRange: Equatable, Sendable, CustomStringConvertible {
    /// The first offset the damaged bytes held.
    var firstOffset: Offset
    /// The first offset after them: the base offset of the next intact batch (or of the next segment). Equal to
    /// `firstOffset` for bytes that hold no offset (garbage after a sealed segment's last batch).
    var endOffset: Offset
    /// Where the damaged bytes start in the `.log` file.
    var positionBytes: Int64
    /// Where the next intact batch starts (or the end of the file). Equal to `positionBytes` for offsets whose
    /// bytes are missing altogether (a hole between two segments).
    var endPositionBytes: Int64
    /// What was wrong, for the error report.
    var reason: String

    func contains(_ offset: Offset) -> Bool { offset >= self.firstOffset && offset < self.endOffset }

    /// Whether the two share a byte or an offset, or are the same empty range (two finders of one damage).
    func overlaps(_ other: FencedRange) -> Bool {
        let sharesBytes = self.positionBytes < other.endPositionBytes && other.positionBytes < self.endPositionBytes
        let sharesOffsets = self.firstOffset < other.endOffset && other.firstOffset < self.endOffset
        let isSameStart = self.firstOffset == other.firstOffset && self.positionBytes == other.positionBytes
        return sharesBytes || sharesOffsets || isSameStart
    }

    var description: String {
        "offsets [\(self.firstOffset), \(self.endOffset)) at bytes [\(self.positionBytes), \(self.endPositionBytes))"
            + ": \(self.reason)"
    }
}

extension Segment {
    /// Where a read starting at `offset` may scan: from the later of the offset index's entry and the end of
    /// any fence before `offset` (with the base offset of the batch there), up to the first fence after that.
    /// Nil when `offset` is fenced.
    func readableRange(
        from offset: Offset, indexEntry: (offset: Offset, positionBytes: Int64)
    ) -> (startBytes: Int64, startOffset: Offset, endBytes: Int64)? {
        var startBytes = indexEntry.positionBytes
        var startOffset = indexEntry.offset
        var endBytes = self.sizeBytes
        for fence in self.fences {
            if fence.contains(offset) { return nil }
            if fence.endOffset <= offset && fence.firstOffset < offset {
                if fence.endPositionBytes > startBytes {
                    startBytes = fence.endPositionBytes
                    startOffset = fence.endOffset
                }
            } else if fence.positionBytes >= startBytes {
                endBytes = min(endBytes, fence.positionBytes)
                break
            }
        }
        return (startBytes, startOffset, max(startBytes, endBytes))
    }

    func fence(containing offset: Offset) -> FencedRange? {
        self.fences.first { $0.contains(offset) }
    }

    /// The fence for damage found at `positionBytes`, where a batch with base offset `expectedOffset` should
    /// start: up to the next intact batch ending at or before `searchEndOffset` (nil: any), or, when none
    /// follows, to `endOffset` and `endPositionBytes`.
    static func damagedRange(
        in file: SegmentFileHandle, at positionBytes: Int64, expectedOffset: Offset, searchEndOffset: Offset?,
        endOffset: Offset, endPositionBytes: Int64, batchSizeBytesMax: Int, reason: String
    ) throws(StorageError) -> FencedRange {
        if let next = try Self.findNextIntactBatch(
            in: file, fromPositionBytes: positionBytes, toPositionBytes: endPositionBytes, after: expectedOffset,
            before: searchEndOffset, batchSizeBytesMax: batchSizeBytesMax
        ) {
            return FencedRange(
                firstOffset: expectedOffset, endOffset: next.baseOffset, positionBytes: positionBytes,
                endPositionBytes: next.positionBytes, reason: reason
            )
        }
        return FencedRange(
            firstOffset: expectedOffset, endOffset: max(expectedOffset, endOffset), positionBytes: positionBytes,
            endPositionBytes: endPositionBytes, reason: reason
        )
    }

    /// Bytes read per step of the search below.
    static let resynchronizeChunkSizeBytes = 1 << 20

    /// The first batch at or after `startBytes` that validates completely (magic, sizes, CRC-32C) and whose
    /// offsets lie in (`expectedOffset`, `endOffset`), or nil. Damage can hide a batch's length, so the search
    /// tries every position whose byte at `magicOffset` is 2; random bytes pass all checks with a chance of
    /// about 2^-40 per position. Only damaged segments pay for this search.
    static func findNextIntactBatch(
        in file: SegmentFileHandle, fromPositionBytes startBytes: Int64, toPositionBytes endBytes: Int64,
        after expectedOffset: Offset, before endOffset: Offset?, batchSizeBytesMax: Int
    ) throws(StorageError) -> StoredBatch? {
        let magicOffset = RecordBatchHeader.magicOffset
        let magic = UInt8(RecordBatchHeader.currentMagic)
        var chunk = [UInt8](repeating: 0, count: Self.resynchronizeChunkSizeBytes)
        var chunkStartBytes = startBytes
        while chunkStartBytes + Int64(RecordBatchHeader.sizeBytes) <= endBytes {
            let wantedBytes = Int(min(Int64(chunk.count), endBytes - chunkStartBytes))
            let readStart = chunkStartBytes
            let count = try chunk.withUnsafeMutableBytes { bytes in
                Result { () throws(StorageError) in
                    try file.readFully(into: UnsafeMutableRawBufferPointer(rebasing: bytes[0..<wantedBytes]), at: readStart)
                }
            }.get()
            guard count > magicOffset else { return nil }
            for index in 0..<(count - magicOffset) where chunk[index + magicOffset] == magic {
                let candidateBytes = chunkStartBytes + Int64(index)
                guard candidateBytes + Int64(RecordBatchHeader.sizeBytes) <= endBytes else { return nil }
                var scanner = BatchScanner(
                    file: file, fromPositionBytes: candidateBytes, toPositionBytes: endBytes, validating: true,
                    batchSizeBytesMax: batchSizeBytesMax, chunkSizeBytes: 4096
                )
                guard case .batch(let batch) = try scanner.next(), batch.baseOffset > expectedOffset else { continue }
                if let endOffset, batch.nextOffset > endOffset { continue }
                return batch
            }
            // The next chunk starts where the last candidate position of this one would have been, so a magic
            // byte near the chunk's end is not missed.
            chunkStartBytes += Int64(count - magicOffset)
        }
        return nil
    }
}
