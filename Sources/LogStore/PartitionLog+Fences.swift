import RecordFormat
import SluiceModel

/// Damage found after opening, by a read or the scrubber: recorded as a fence on its segment (under the lock,
/// so reads see it at once), counted for `/metrics` and reported as an error. And the scrubber's step: re-verify
/// the CRCs of sealed segments, a bounded number of bytes at a time.
extension PartitionLog {
    /// Where the scrubber is in this partition: a batch boundary of a segment, and the base offset of the batch
    /// that should start there.
    struct ScrubPosition: Equatable, Sendable {
        var segmentBaseOffset: Offset
        var positionBytes: Int64
        var expectedOffset: Offset

        static func start(of segmentBaseOffset: Offset) -> ScrubPosition {
            ScrubPosition(segmentBaseOffset: segmentBaseOffset, positionBytes: 0, expectedOffset: segmentBaseOffset)
        }
    }

    /// Adds `fence` to the segment starting at `segmentBaseOffset` (gone already: nothing to do); returns whether
    /// it is new. New fences are counted and reported at error level.
    @discardableResult
    func recordFence(_ fence: FencedRange, segmentBaseOffset: Offset, foundBy finder: String) -> Bool {
        let isNew = self.state.withLock { state -> Bool in
            guard let segment = state.segments.first(where: { $0.baseOffset == segmentBaseOffset }),
                  fence.endOffset <= segment.nextOffset, fence.endPositionBytes <= segment.sizeBytes
            else { return false }
            return segment.addFence(fence)
        }
        if isNew {
            self.fencedRangesCount.add(1, ordering: .relaxed)
            self.onError(
                "\(self.topicPartition): corrupt data in segment \(segmentBaseOffset) found by \(finder), fenced off "
                    + "(kept, not served): \(fence)"
            )
        }
        return isNew
    }

    /// How far before a read's first batch the check may start to keep a segment's verified prefix contiguous;
    /// a read further ahead checks only what it returns (and extends nothing).
    static let verifyGapBytesMax: Int64 = 1024 * 1024

    enum VerifyOutcome {
        case intact
        /// The batch at `positionBytes` failed; `fence` is recorded.
        case damaged(positionBytes: Int64, fence: FencedRange)
    }

    /// Checks the CRC-32C of the batches a read returns, `first` up to `endBytes`, where they lie beyond the
    /// segment's verified prefix: each byte of a segment is checked once per start by reads (or by recovery, an
    /// append or the scrubber before them), so damage is never served and re-reads cost nothing. The bytes still
    /// go out by sendfile; the check is a positional read from the page cache plus hardware CRC-32C.
    func verifyOnce(from first: StoredBatch, to endBytes: Int64, start: ScanStart) throws(StorageError) -> VerifyOutcome {
        var from = (positionBytes: first.positionBytes, offset: first.baseOffset)
        let verified = start.verifiedEnd
        // Start at the verified prefix's end when it lies in this read's fence-free range, inside what the read
        // returns or close before it (the caller only asks when the read ends past it).
        if verified.positionBytes >= start.positionBytes && verified.positionBytes != first.positionBytes
            && first.positionBytes - verified.positionBytes <= Self.verifyGapBytesMax
        {
            from = verified
        }
        var scanner = BatchScanner(
            file: start.file, fromPositionBytes: from.positionBytes, toPositionBytes: endBytes, validating: true,
            batchSizeBytesMax: self.config.batchSizeBytesMax, chunkSizeBytes: 256 * 1024
        )
        var expectedOffset = from.offset
        while true {
            var damage: (positionBytes: Int64, reason: String)?
            switch try scanner.next() {
            case .batch(let batch):
                if batch.baseOffset == expectedOffset {
                    expectedOffset = batch.nextOffset
                    continue
                }
                damage = (batch.positionBytes, "batch base offset \(batch.baseOffset) where \(expectedOffset) was expected")
            case .end:
                self.markVerified(
                    segmentBaseOffset: start.segmentBaseOffset, fromPositionBytes: from.positionBytes,
                    toPositionBytes: endBytes, nextOffset: expectedOffset
                )
                return .intact
            case .invalid(let positionBytes, let reason):
                damage = (positionBytes, reason)
            }
            guard let damage else { continue }
            let fence = try Segment.damagedRange(
                in: start.file, at: damage.positionBytes, expectedOffset: expectedOffset,
                searchEndOffset: start.segmentEndOffset, endOffset: start.segmentEndOffset,
                endPositionBytes: start.segmentSizeBytes, batchSizeBytesMax: self.config.batchSizeBytesMax,
                reason: damage.reason
            )
            self.recordFence(fence, segmentBaseOffset: start.segmentBaseOffset, foundBy: "a read")
            self.markVerified(
                segmentBaseOffset: start.segmentBaseOffset, fromPositionBytes: from.positionBytes,
                toPositionBytes: damage.positionBytes, nextOffset: expectedOffset
            )
            return .damaged(positionBytes: damage.positionBytes, fence: fence)
        }
    }

    func markVerified(segmentBaseOffset: Offset, fromPositionBytes: Int64, toPositionBytes: Int64, nextOffset: Offset) {
        self.state.withLock { state in
            state.segments.first { $0.baseOffset == segmentBaseOffset }?.markVerified(
                fromPositionBytes: fromPositionBytes, toPositionBytes: toPositionBytes, nextOffset: nextOffset
            )
        }
    }

    static func fencedError(_ fence: FencedRange, offset: Offset, in topicPartition: TopicPartition) -> StorageError {
        StorageError(
            code: .corruptMessage,
            message: "\(topicPartition) offset \(offset) is in a corrupt, fenced-off range: \(fence)"
        )
    }

    /// Verifies up to about `bytesMax` bytes (whole batches) of sealed segments from `position` (nil: the first
    /// sealed segment), fencing what fails. Returns the bytes verified and where to go on, or nil once the last
    /// sealed segment is done. Reads the file outside the lock: sealed segments never change, and retention
    /// deleting one meanwhile leaves its descriptor readable.
    func scrub(from position: ScrubPosition?, bytesMax: Int) throws(StorageError) -> (bytes: Int, next: ScrubPosition?) {
        typealias Target = (
            segment: Segment, start: ScrubPosition, fences: [FencedRange], endOffset: Offset, sizeBytes: Int64,
            followingBaseOffset: Offset
        )
        let target = self.state.withLock { state -> Target? in
            let sealed = state.segments.dropLast()
            let from = position ?? .start(of: sealed.first?.baseOffset ?? .zero)
            guard let index = sealed.firstIndex(where: { $0.baseOffset >= from.segmentBaseOffset }) else { return nil }
            let segment = state.segments[index]
            let start = segment.baseOffset == from.segmentBaseOffset ? from : .start(of: segment.baseOffset)
            return (
                segment, start, segment.fences, segment.nextOffset, segment.sizeBytes,
                state.segments[index + 1].baseOffset
            )
        }
        guard let (segment, start, fences, segmentEndOffset, sizeBytes, followingBaseOffset) = target else {
            return (0, nil)
        }
        var position = start
        var verifiedBytes = 0
        while position.positionBytes < sizeBytes && verifiedBytes < bytesMax {
            if let fence = fences.first(where: { $0.positionBytes <= position.positionBytes
                && position.positionBytes < $0.endPositionBytes })
            {
                position.positionBytes = fence.endPositionBytes
                position.expectedOffset = fence.endOffset
                continue
            }
            let stopBytes = fences.first { $0.positionBytes > position.positionBytes }?.positionBytes ?? sizeBytes
            var scanner = BatchScanner(
                file: segment.file, fromPositionBytes: position.positionBytes, toPositionBytes: stopBytes,
                validating: true, batchSizeBytesMax: self.config.batchSizeBytesMax, chunkSizeBytes: 256 * 1024
            )
            var damage: (positionBytes: Int64, reason: String)?
            scanning: while verifiedBytes < bytesMax {
                switch try scanner.next() {
                case .batch(let batch):
                    guard batch.baseOffset == position.expectedOffset else {
                        damage = (batch.positionBytes, "batch base offset \(batch.baseOffset) where "
                            + "\(position.expectedOffset) was expected")
                        break scanning
                    }
                    verifiedBytes += batch.sizeBytes
                    position.positionBytes = batch.endPositionBytes
                    position.expectedOffset = batch.nextOffset
                case .end:
                    // Up to a fence (skipped at the top of the loop) or the end of the segment.
                    if stopBytes == sizeBytes { position.positionBytes = sizeBytes }
                    break scanning
                case .invalid(let positionBytes, let reason):
                    damage = (positionBytes, reason)
                    break scanning
                }
            }
            guard let damage else { continue }
            let fence = try Segment.damagedRange(
                in: segment.file, at: damage.positionBytes, expectedOffset: position.expectedOffset,
                searchEndOffset: segmentEndOffset, endOffset: segmentEndOffset, endPositionBytes: stopBytes,
                batchSizeBytesMax: self.config.batchSizeBytesMax, reason: damage.reason
            )
            self.recordFence(fence, segmentBaseOffset: segment.baseOffset, foundBy: "the scrubber")
            verifiedBytes += Int(fence.endPositionBytes - fence.positionBytes)
            position.positionBytes = fence.endPositionBytes
            position.expectedOffset = fence.endOffset
        }
        self.markVerified(
            segmentBaseOffset: segment.baseOffset, fromPositionBytes: start.positionBytes,
            toPositionBytes: position.positionBytes, nextOffset: position.expectedOffset
        )
        if position.positionBytes >= sizeBytes {
            // This segment is done: the next call starts at the following segment, if it is sealed by then.
            return (verifiedBytes, ScrubPosition.start(of: followingBaseOffset))
        }
        return (verifiedBytes, position)
    }
}
