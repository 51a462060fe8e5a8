import RecordFormat
import SluiceModel

/// What DescribeProducers shows of a partition's producer state (`ProducerStateTable`).
public struct ActiveProducer: Sendable, Equatable {
    public var producerId: Int64
    public var producerEpoch: Int16
    /// The sequence number of the last record the log took from this producer; -1 when it has written none
    /// (a transactional producer known from its markers only).
    public var lastSequence: Int32
    /// The offset of that last record, when there is one.
    public var lastOffset: Offset?
    /// The largest timestamp of the producer's last batch (Kafka's "last timestamp"); -1 when that batch is no
    /// longer in the log (deleted by retention or DeleteRecords) or cannot be read.
    public var lastTimestampMs: Int64
    /// The first offset of the producer's open transaction on this partition, when one is open.
    public var currentTransactionStartOffset: Offset?
}

extension PartitionLog {
    /// The idempotent producers this partition remembers, by producer id. The producer state keeps offsets and
    /// sequences only, so each producer's last timestamp is read from its last batch's header (one small read
    /// per producer: DescribeProducers is a rare admin request).
    public func activeProducers() -> [ActiveProducer] {
        let producers = self.state.withLock { state in
            state.producers.producers.map { producerId, entry in
                ActiveProducer(
                    producerId: producerId, producerEpoch: entry.epoch, lastSequence: entry.lastSequence ?? -1,
                    lastOffset: entry.batches.last?.lastOffset, lastTimestampMs: -1,
                    currentTransactionStartOffset: state.producers.ongoingTransactions[producerId]
                )
            }.sorted { $0.producerId < $1.producerId }
        }
        return producers.map { producer in
            var producer = producer
            producer.lastTimestampMs = producer.lastOffset.map { self.maxTimestampMs(ofBatchHolding: $0) } ?? -1
            return producer
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
