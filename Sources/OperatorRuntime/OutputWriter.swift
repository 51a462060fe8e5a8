import LogStore
import RecordFormat
import SluiceModel

/// Appends an operator's outputs to its output streams: one `RecordBatchBuilder` per target partition,
/// keyed records to the key's murmur2 partition, unkeyed ones round-robin, batches cut below the log's batch
/// size limit. Returns what must be durable before the inputs are committed.
struct OutputWriter {
    struct Target {
        var stream: String
        var logs: [PartitionLog]
        var nextPartition = 0
    }

    /// Thrown for an output the runtime cannot append (an undeclared index, a record too large): the batch
    /// is then treated like one the operator failed.
    struct OutputError: Error, CustomStringConvertible {
        var message: String
        var description: String { self.message }
    }

    /// Room left in a log batch for its header and the varints of one record.
    private static let batchOverheadBytes = 256

    private(set) var targets: [Target]
    private var builders: [RecordBatchBuilder] = []
    /// The index in `builders` of each target's partition 0.
    private var builderSlots: [Int] = []

    init(targets: [Target], producerId: Int64 = -1) {
        self.targets = targets
        self.producerId = producerId
    }

    /// Resolves the streams in `logs`; each must exist. `producerId` as for `init(targets:producerId:)`.
    init(streams: [String], logs: LogManager, producerId: Int64 = -1) throws {
        self.producerId = producerId
        self.targets = try streams.map { stream in
            guard let info = logs.topic(stream) else { throw OutputError(message: "output stream \(stream) does not exist") }
            let partitions = (0..<info.partitionCount).compactMap {
                logs.partition(TopicPartition(topic: stream, partition: PartitionID(Int32($0))))
            }
            guard partitions.count == info.partitionCount else { throw OutputError(message: "stream \(stream) is not open") }
            return Target(stream: stream, logs: partitions)
        }
    }

    /// A batch's outputs built into record batches, not yet appended: what `prepare` returns, so the
    /// batch's intent can be made durable before any of them reaches a log.
    struct PreparedOutputs {
        struct Batch {
            var target: Int
            var partition: Int
            var bytes: [UInt8]
            var recordCount: Int
        }

        var batches: [Batch] = []
        /// Per output partition that gets (or, in a replay, already got) records: the intent's `out`.
        var ranges: [OutputIntent.OutputRange] = []
        /// Where each output stream's round-robin stood before this batch: the intent's `rr`.
        var roundRobinStarts: [String: Int] = [:]
        /// Outputs to append (a replay's already landed ones excluded).
        var count = 0
    }

    /// The producer id on every batch this writer appends (-1: not idempotent, for tests), and per
    /// output partition the sequence of its next record, so that after a crash the log can tell how many of a
    /// batch's records landed (`OutputIntent`).
    let producerId: Int64
    private var nextSequences: [Int32] = []

    /// Builds the outputs of `result` into record batches. In a `replay`, unkeyed records follow the
    /// round-robin of the first attempt and the outputs that attempt already landed are dropped.
    mutating func prepare(
        _ result: BatchResultMessage, timestampMs: Int64, replay: OutputReplay? = nil
    ) throws -> PreparedOutputs {
        var prepared = PreparedOutputs()
        guard result.outputCount > 0 || replay != nil else { return prepared }
        if self.builders.isEmpty { self.makeBuilders() }
        for target in self.targets.indices {
            let stream = self.targets[target].stream
            if let start = replay?.intent.roundRobinStarts[stream] {
                self.targets[target].nextPartition = start % self.targets[target].logs.count
            }
            prepared.roundRobinStarts[stream] = self.targets[target].nextPartition
        }
        var counts = Array(repeating: 0, count: self.builders.count)
        var skips = Array(repeating: 0, count: self.builders.count)
        let slots = self.slots()
        if let replay { for (slot, _, outputSlot) in slots { skips[slot] = replay.skips[outputSlot] ?? 0 } }
        var pendingSequences = self.nextSequences
        try result.forEachOutput { outputIndex, key, value, encodedHeaders in
            guard outputIndex < self.targets.count else {
                throw OutputError(message: "output index \(outputIndex) is not a declared output")
            }
            let partition = self.partition(for: outputIndex, key: key)
            let log = self.targets[outputIndex].logs[partition]
            let recordSizeBytes = (key?.count ?? 0) + (value?.count ?? 0) + encodedHeaders.count + 32
            let batchSizeBytesMax = log.config.batchSizeBytesMax - Self.batchOverheadBytes
            guard recordSizeBytes <= batchSizeBytesMax else {
                throw OutputError(message: "an output record of \(recordSizeBytes) bytes is larger than \(self.targets[outputIndex].stream)'s batch limit")
            }
            let slot = self.builderSlots[outputIndex] + partition
            if counts[slot] < skips[slot] {
                counts[slot] += 1
                return
            }
            counts[slot] += 1
            // Mutated in place in the array: a copy out and back would copy the batch buffer per record.
            if !self.builders[slot].isEmpty && self.builders[slot].uncompressedSizeBytes + recordSizeBytes > batchSizeBytesMax {
                prepared.batches.append(try self.finish(slot, target: outputIndex, partition: partition, sequences: &pendingSequences))
            }
            // Most records have no headers: skip decoding them.
            let headers = encodedHeaders.count <= 2
                ? [] : BatchResultMessage.decodeHeaders(encodedHeaders).map { RecordHeader(key: $0.key, value: $0.value) }
            try self.builders[slot].append(
                timestampMs: timestampMs, key: key.map { Array($0) }, value: value.map { Array($0) }, headers: headers
            )
        }
        for (slot, target, outputSlot) in slots {
            if !self.builders[slot].isEmpty {
                prepared.batches.append(
                    try self.finish(slot, target: target, partition: Int(outputSlot.partition), sequences: &pendingSequences)
                )
            }
            let appended = max(counts[slot] - skips[slot], 0)
            prepared.count += appended
            if appended > 0 || skips[slot] > 0 {
                prepared.ranges.append(OutputIntent.OutputRange(
                    slot: outputSlot, skip: skips[slot], baseSequence: self.nextSequences[slot], count: appended
                ))
            }
        }
        return prepared
    }

    /// Appends what `prepare` built; returns, per log whose fsync policy is `always`, the end offset to wait for.
    mutating func append(_ prepared: PreparedOutputs) throws -> [(PartitionLog, Offset)] {
        var durability: [(PartitionLog, Offset)] = []
        for batch in prepared.batches {
            let log = self.targets[batch.target].logs[batch.partition]
            let result = try batch.bytes.withUnsafeBytes { try log.append($0) }
            // Advanced only once the batch is in: a failed append leaves the sequence for the retry.
            let slot = self.builderSlots[batch.target] + batch.partition
            self.nextSequences[slot] = IdempotentSequence.advance(self.nextSequences[slot], by: batch.recordCount)
            if log.config.fsyncPolicy == .always {
                durability.append((log, result.lastOffset + 1))
            }
        }
        return durability
    }

    /// Builds and appends the outputs of `result` in one step (no intent: used where nothing is committed
    /// after, such as a timers batch or the init batch).
    mutating func append(_ result: BatchResultMessage, timestampMs: Int64) throws -> (count: Int, durability: [(PartitionLog, Offset)]) {
        let prepared = try self.prepare(result, timestampMs: timestampMs)
        return (prepared.count, try self.append(prepared))
    }

    /// Finishes `slot`'s batch, numbered from the slot's pending sequence.
    private mutating func finish(
        _ slot: Int, target: Int, partition: Int, sequences: inout [Int32]
    ) throws -> PreparedOutputs.Batch {
        let recordCount = self.builders[slot].count
        if self.producerId >= 0 {
            self.builders[slot].baseSequence = sequences[slot]
            sequences[slot] = IdempotentSequence.advance(sequences[slot], by: recordCount)
        }
        return PreparedOutputs.Batch(target: target, partition: partition, bytes: try self.builders[slot].finish(), recordCount: recordCount)
    }

    /// Every builder slot with its target and the output partition it writes.
    private func slots() -> [(slot: Int, target: Int, outputSlot: OutputIntent.OutputSlot)] {
        var slots: [(slot: Int, target: Int, outputSlot: OutputIntent.OutputSlot)] = []
        for target in self.targets.indices {
            for partition in self.targets[target].logs.indices {
                let outputSlot = OutputIntent.OutputSlot(stream: self.targets[target].stream, partition: Int32(partition))
                slots.append((self.builderSlots[target] + partition, target, outputSlot))
            }
        }
        return slots
    }

    /// One builder per partition of every target, kept across batches so their buffers are reused.
    private mutating func makeBuilders() {
        var slot = 0
        self.builderSlots = []
        for target in self.targets {
            self.builderSlots.append(slot)
            slot += target.logs.count
        }
        let builder = RecordBatchBuilder(producerId: self.producerId, producerEpoch: self.producerId >= 0 ? 0 : -1)
        self.builders = Array(repeating: builder, count: slot)
        self.nextSequences = Array(repeating: 0, count: slot)
    }

    /// Builds one record (a dead letter) for output `target`, numbered like any output, so that its intent
    /// can be made durable before `append` and a crash cannot put it there twice.
    mutating func prepareOne(
        target: Int, timestampMs: Int64, key: [UInt8]?, value: [UInt8]?, headers: [RecordHeader]
    ) throws -> PreparedOutputs {
        if self.builders.isEmpty { self.makeBuilders() }
        let partition = key.map { KeyPartitioner.partition(forKey: $0, partitionCount: self.targets[target].logs.count) }
            .map { Int($0.rawValue) } ?? self.nextRoundRobin(target)
        let slot = self.builderSlots[target] + partition
        try self.builders[slot].append(timestampMs: timestampMs, key: key, value: value, headers: headers)
        var sequences = self.nextSequences
        var prepared = PreparedOutputs()
        prepared.batches = [try self.finish(slot, target: target, partition: partition, sequences: &sequences)]
        prepared.count = 1
        prepared.ranges = [OutputIntent.OutputRange(
            slot: OutputIntent.OutputSlot(stream: self.targets[target].stream, partition: Int32(partition)),
            skip: 0, baseSequence: self.nextSequences[slot], count: 1
        )]
        return prepared
    }

    private mutating func partition(for target: Int, key: UnsafeRawBufferPointer?) -> Int {
        if let key {
            return Int(KeyPartitioner.partition(forKey: key, partitionCount: self.targets[target].logs.count).rawValue)
        }
        return self.nextRoundRobin(target)
    }

    private mutating func nextRoundRobin(_ target: Int) -> Int {
        let partition = self.targets[target].nextPartition
        self.targets[target].nextPartition = (partition + 1) % self.targets[target].logs.count
        return partition
    }
}

/// Kafka's sequence numbers: Int32s that wrap to 0 after Int32.max.
enum IdempotentSequence {
    static func advance(_ sequence: Int32, by count: Int) -> Int32 {
        Int32((Int64(sequence) + Int64(count)) % (Int64(1) << 31))
    }
}

extension PartitionLog {
    /// `whenDurable` for async callers.
    func waitUntilDurable(upTo endOffset: Offset) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, Error>) in
            self.whenDurable(upTo: endOffset) { result in continuation.resume(with: result.mapError { $0 }) }
        }
    }
}
