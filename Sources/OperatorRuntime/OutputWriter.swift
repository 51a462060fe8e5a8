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

    init(targets: [Target]) {
        self.targets = targets
    }

    /// Resolves the streams in `logs`; each must exist.
    init(streams: [String], logs: LogManager) throws {
        self.targets = try streams.map { stream in
            guard let info = logs.topic(stream) else { throw OutputError(message: "output stream \(stream) does not exist") }
            let partitions = (0..<info.partitionCount).compactMap {
                logs.partition(TopicPartition(topic: stream, partition: PartitionID(Int32($0))))
            }
            guard partitions.count == info.partitionCount else { throw OutputError(message: "stream \(stream) is not open") }
            return Target(stream: stream, logs: partitions)
        }
    }

    /// Appends the outputs of `result`; returns the number appended and, per log whose fsync policy is
    /// `always`, the end offset to wait for.
    mutating func append(_ result: BatchResultMessage, timestampMs: Int64) throws -> (count: Int, durability: [(PartitionLog, Offset)]) {
        guard result.outputCount > 0 else { return (0, []) }
        if self.builders.isEmpty { self.makeBuilders() }
        var finished: [(target: Int, partition: Int, bytes: [UInt8])] = []
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
            // Mutated in place in the array: a copy out and back would copy the batch buffer per record.
            if !self.builders[slot].isEmpty && self.builders[slot].uncompressedSizeBytes + recordSizeBytes > batchSizeBytesMax {
                finished.append((outputIndex, partition, try self.builders[slot].finish()))
            }
            // Most records have no headers: skip decoding them.
            let headers = encodedHeaders.count <= 2
                ? [] : BatchResultMessage.decodeHeaders(encodedHeaders).map { RecordHeader(key: $0.key, value: $0.value) }
            try self.builders[slot].append(
                timestampMs: timestampMs, key: key.map { Array($0) }, value: value.map { Array($0) }, headers: headers
            )
        }
        for target in self.targets.indices {
            for partition in self.targets[target].logs.indices {
                let slot = self.builderSlots[target] + partition
                if !self.builders[slot].isEmpty { finished.append((target, partition, try self.builders[slot].finish())) }
            }
        }
        return (result.outputCount, try self.appendBatches(finished))
    }

    /// One builder per partition of every target, kept across batches so their buffers are reused.
    private mutating func makeBuilders() {
        var slot = 0
        self.builderSlots = []
        for target in self.targets {
            self.builderSlots.append(slot)
            slot += target.logs.count
        }
        self.builders = Array(repeating: RecordBatchBuilder(), count: slot)
    }

    /// Appends one record (a dead letter) to output `target`.
    mutating func appendOne(
        target: Int, timestampMs: Int64, key: [UInt8]?, value: [UInt8]?, headers: [RecordHeader]
    ) throws -> [(PartitionLog, Offset)] {
        let partition = key.map { KeyPartitioner.partition(forKey: $0, partitionCount: self.targets[target].logs.count) }
            .map { Int($0.rawValue) } ?? self.nextRoundRobin(target)
        var builder = RecordBatchBuilder()
        try builder.append(timestampMs: timestampMs, key: key, value: value, headers: headers)
        return try self.appendBatches([(target, partition, try builder.finish())])
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

    private func appendBatches(_ batches: [(target: Int, partition: Int, bytes: [UInt8])]) throws -> [(PartitionLog, Offset)] {
        var durability: [(PartitionLog, Offset)] = []
        for (target, partition, bytes) in batches {
            let log = self.targets[target].logs[partition]
            let result = try bytes.withUnsafeBytes { try log.append($0) }
            if log.config.fsyncPolicy == .always {
                durability.append((log, result.lastOffset + 1))
            }
        }
        return durability
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
