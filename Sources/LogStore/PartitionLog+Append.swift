import RecordFormat
import SluiceModel

/// The per-request work of an append, kept to one pass over batch headers (plus the CRC) and one copy.
extension PartitionLog {
    /// What validation learned about an append.
    struct ValidatedAppend {
        /// How many offsets the batches take.
        var offsetSpan: Int64
        /// The producer fields of the append's batch when it is idempotent (then it is the only batch).
        var idempotentBatch: IdempotentBatch?
        /// The transaction marker when the append is one (only `appendTransactionMarker` writes them).
        var marker: ControlBatch?
    }

    /// Validates every batch in `batches` and returns how many offsets they take. Checks the size limit first
    /// so an oversized batch is reported as too large rather than corrupt. An idempotent batch (producerId >= 0)
    /// must be alone, as in Kafka's produce v3+, so the producer check stays one lookup per append.
    /// With CreateTime, each batch's timestamps must be within the topic's bounds of `nowMs` (`invalidTimestamp`).
    /// A control batch (a transaction marker) is refused unless `allowingControlBatch`, and must then be alone.
    static func validate(
        _ batches: UnsafeRawBufferPointer, batchSizeBytesMax: Int,
        timestampPolicy: LogConfig.TimestampPolicy = LogConfig.TimestampPolicy(), nowMs: Int64 = 0,
        allowingControlBatch: Bool = false
    ) throws -> ValidatedAppend {
        guard batches.count > 0 else {
            throw RecordFormatError.truncated(neededBytes: RecordBatchHeader.sizeBytes, availableBytes: 0)
        }
        var position = 0
        var offsetSpan: Int64 = 0
        var batchCount = 0
        var idempotentBatch: IdempotentBatch?
        var marker: ControlBatch?
        while position < batches.count {
            let remaining = UnsafeRawBufferPointer(rebasing: batches[position...])
            if remaining.count >= RecordBatchHeader.logOverheadBytes {
                let totalSizeBytes = Int64(remaining.readBigEndian(Int32.self, at: 8))
                    + Int64(RecordBatchHeader.logOverheadBytes)
                if totalSizeBytes > Int64(batchSizeBytesMax) {
                    throw StorageError(
                        code: .recordBatchTooLarge,
                        message: "batch of \(totalSizeBytes) bytes is over the limit of \(batchSizeBytesMax)"
                    )
                }
            }
            let header = try RecordBatchValidator.validate(remaining, batchSizeBytesMax: batchSizeBytesMax)
            if let problem = timestampPolicy.problem(
                baseTimestampMs: header.baseTimestamp, maxTimestampMs: header.maxTimestamp, nowMs: nowMs
            ) {
                throw StorageError(code: .invalidTimestamp, message: problem)
            }
            offsetSpan += Int64(header.lastOffsetDelta) + 1
            position += header.totalSizeBytes
            batchCount += 1
            if header.attributes.isControl {
                guard allowingControlBatch else {
                    throw ProducerStateError(
                        code: .invalidControlBatch, message: "control batches (transaction markers) are written by the broker only"
                    )
                }
                marker = try ControlBatch(parsing: remaining)
            } else if header.attributes.isTransactional && header.producerId < 0 {
                throw ProducerStateError(
                    code: .invalidControlBatch, message: "a transactional batch must carry a producer id"
                )
            } else if header.producerId >= 0 {
                guard header.baseSequence >= 0 else {
                    throw ProducerStateError(
                        code: .invalidIdempotentBatch,
                        message: "batch of producer \(header.producerId) has sequence \(header.baseSequence)"
                    )
                }
                idempotentBatch = IdempotentBatch(
                    producerId: header.producerId, producerEpoch: header.producerEpoch,
                    baseSequence: header.baseSequence, lastOffsetDelta: header.lastOffsetDelta,
                    isTransactional: header.attributes.isTransactional
                )
            }
            if (idempotentBatch != nil || marker != nil) && batchCount > 1 {
                throw ProducerStateError(
                    code: .invalidIdempotentBatch,
                    message: "an idempotent producer's batch must be the only batch of its partition in a request"
                )
            }
        }
        return ValidatedAppend(offsetSpan: offsetSpan, idempotentBatch: idempotentBatch, marker: marker)
    }

    /// Copies validated batches into `scratch` (grown when needed) and stamps each one's base offset, starting
    /// at `firstOffset`. One copy buys one contiguous write (one system call) without touching the caller's bytes.
    /// With `logAppendTimeMs` (a LogAppendTime topic), each batch also gets Kafka's append-time stamp: the
    /// timestamp-type attribute set, the max timestamp set to that time, and its CRC recomputed (both fields are
    /// inside the CRC; the base offset is not).
    static func copyStampingOffsets(
        _ batches: UnsafeRawBufferPointer, firstOffset: Offset, logAppendTimeMs: Int64? = nil,
        into scratch: inout UnsafeMutableRawBufferPointer
    ) -> UnsafeRawBufferPointer {
        if scratch.count < batches.count {
            scratch.deallocate()
            let capacity = max(batches.count, 64 * 1024)
            scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 8)
        }
        let target = UnsafeMutableRawBufferPointer(rebasing: scratch[0..<batches.count])
        target.copyMemory(from: batches)
        var position = 0
        var nextOffset = firstOffset
        while position < target.count {
            let batch = UnsafeMutableRawBufferPointer(rebasing: target[position...])
            RecordBatchValidator.setBaseOffset(nextOffset.rawValue, in: batch)
            if let logAppendTimeMs {
                let attributes = batch.readBigEndian(Int16.self, at: RecordBatchHeader.attributesOffset)
                batch.writeBigEndian(attributes | RecordBatchAttributes.logAppendTimeFlag, at: RecordBatchHeader.attributesOffset)
                batch.writeBigEndian(logAppendTimeMs, at: RecordBatchHeader.maxTimestampOffset)
                RecordBatchValidator.stampChecksum(batch)
            }
            nextOffset = nextOffset + (Int64(batch.readBigEndian(Int32.self, at: 23)) + 1)
            position += Int(batch.readBigEndian(Int32.self, at: 8)) + RecordBatchHeader.logOverheadBytes
        }
        return UnsafeRawBufferPointer(target)
    }
}
