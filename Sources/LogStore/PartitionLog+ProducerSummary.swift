import SluiceModel

/// What DescribeProducers shows of a partition's producer state (`ProducerStateTable`).
public struct ActiveProducer: Sendable, Equatable {
    public var producerId: Int64
    public var producerEpoch: Int16
    /// The sequence number of the last record the log took from this producer.
    public var lastSequence: Int32
    /// The offset of that last record.
    public var lastOffset: Offset
}

extension PartitionLog {
    /// The idempotent producers this partition remembers, by producer id.
    public func activeProducers() -> [ActiveProducer] {
        self.state.withLock { state in
            state.producers.producers.map { producerId, entry in
                ActiveProducer(
                    producerId: producerId, producerEpoch: entry.epoch, lastSequence: entry.lastSequence,
                    lastOffset: entry.batches[entry.batches.count - 1].lastOffset
                )
            }.sorted { $0.producerId < $1.producerId }
        }
    }
}
