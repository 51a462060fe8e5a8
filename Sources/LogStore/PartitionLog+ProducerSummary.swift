import RecordFormat
import SluiceModel

/// What DescribeProducers shows of a partition's producer state (`ProducerStateTable`).
public struct ActiveProducer: Sendable, Equatable {
    public var producerId: Int64
    public var producerEpoch: Int16
    /// The sequence number of the last record the log took from this producer.
    public var lastSequence: Int32
    /// The offset of that last record.
    public var lastOffset: Offset
    /// The largest timestamp of the producer's last batch (Kafka's "last timestamp"); -1 when that batch is no
    /// longer in the log (deleted by retention or DeleteRecords) or cannot be read.
    public var lastTimestampMs: Int64
}

extension PartitionLog {
    /// The idempotent producers this partition remembers, by producer id. The producer state keeps offsets and
    /// sequences only, so each producer's last timestamp is read from its last batch's header (one small read
    /// per producer: DescribeProducers is a rare admin request).
    public func activeProducers() -> [ActiveProducer] {
        let producers = self.state.withLock { state in
            state.producers.producers.map { producerId, entry in
                (producerId, entry.epoch, entry.lastSequence, entry.batches[entry.batches.count - 1].lastOffset)
            }.sorted { $0.0 < $1.0 }
        }
        return producers.map { producerId, epoch, lastSequence, lastOffset in
            ActiveProducer(
                producerId: producerId, producerEpoch: epoch, lastSequence: lastSequence, lastOffset: lastOffset,
                lastTimestampMs: self.maxTimestampMs(ofBatchHolding: lastOffset)
            )
        }
    }

    /// The `maxTimestamp` field of the stored batch that holds `offset`, -1 when it cannot be read.
    private func maxTimestampMs(ofBatchHolding offset: Offset) -> Int64 {
        guard let slice = try? self.read(from: offset, maxBytes: RecordBatchHeader.sizeBytes, minOneBatch: true).slice,
              slice.sizeBytes >= RecordBatchHeader.sizeBytes
        else { return -1 }
        var header = [UInt8](repeating: 0, count: RecordBatchHeader.sizeBytes)
        let readCount = try? header.withUnsafeMutableBytes { (buffer) throws(StorageError) -> Int in
            try slice.file.readFully(into: buffer, at: slice.positionBytes)
        }
        guard readCount == RecordBatchHeader.sizeBytes else { return -1 }
        return header.withUnsafeBytes { $0.readBigEndian(Int64.self, at: RecordBatchHeader.maxTimestampOffset) }
    }
}
