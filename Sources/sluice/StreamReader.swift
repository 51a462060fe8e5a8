import KafkaWire
import NIOCore
import RecordFormat
import SluiceClient
import SluiceModel

/// Reads one stream's partitions from chosen positions through a `KafkaClient`, as owning records, for
/// `tail` and `compare`. The position of a partition moves past every batch the broker returns, even one
/// holding no record at or after it (a control batch, a batch emptied by compaction), so a read always
/// advances.
struct StreamReader {
    let client: KafkaClient
    let stream: String
    /// The next offset to read in each partition.
    private(set) var positions: [PartitionID: Int64]

    init(client: KafkaClient, stream: String, positions: [PartitionID: Int64]) {
        self.client = client
        self.stream = stream
        self.positions = positions
    }

    /// The records one fetch returns, per partition in partition order.
    struct Fetched {
        var partition: PartitionID
        var records: [Record]
    }

    /// One fetch, waiting up to `maxWaitMs` for data: the records at or after each position, which then
    /// moves past them.
    mutating func fetchNext(maxWaitMs: Int32) async throws -> [Fetched] {
        guard !self.positions.isEmpty else { return [] }
        let fetched = try await self.client.fetch(topic: self.stream, offsets: self.positions, maxWaitMs: maxWaitMs)
        var result: [Fetched] = []
        for partitionData in fetched.sorted(by: { $0.partition < $1.partition }) {
            guard var position = self.positions[partitionData.partition] else { continue }
            // Retention may have removed what we were about to read; go on from what is left.
            position = max(position, partitionData.logStartOffset)
            let records = try Self.decode(partitionData.records, from: &position)
            self.positions[partitionData.partition] = position
            if !records.isEmpty { result.append(Fetched(partition: partitionData.partition, records: records)) }
        }
        return result
    }

    /// Reads every partition from its position up to (not including) its offset in `ends`, handing each
    /// record to `body` in partition order until it returns false or the task is cancelled; records
    /// appended after `ends` were taken are left unread.
    mutating func read(
        until ends: [PartitionID: Int64], _ body: (PartitionID, Record) throws -> Bool
    ) async throws {
        while !Task.isCancelled {
            self.positions = self.positions.filter { partition, position in position < ends[partition] ?? 0 }
            if self.positions.isEmpty { return }
            for fetched in try await self.fetchNext(maxWaitMs: 500) {
                let end = ends[fetched.partition] ?? 0
                for record in fetched.records where record.offset < end {
                    guard try body(fetched.partition, record) else { return }
                }
            }
        }
    }

    /// Decodes the complete batches in `bytes`, keeping the records at or after `position` and moving
    /// `position` past the last batch.
    private static func decode(_ bytes: ByteBuffer, from position: inout Int64) throws -> [Record] {
        var records: [Record] = []
        var next = position
        try bytes.withUnsafeReadableBytes { buffer in
            let (ranges, _) = try RecordBatchSplitter.split(buffer)
            for range in ranges {
                let batch = UnsafeRawBufferPointer(rebasing: buffer[range])
                let header = try RecordBatchHeader(parsing: batch)
                // Control batches hold transaction markers, not records a user wrote.
                if !header.attributes.isControl {
                    try RecordBatchDecoder.forEachRecord(inBatch: batch) { view in
                        if view.offset >= position { records.append(view.makeRecord()) }
                        return .continueVisiting
                    }
                }
                next = max(next, header.baseOffset + Int64(header.lastOffsetDelta) + 1)
            }
        }
        position = next
        return records
    }
}

/// Looking up a stream before reading it.
enum StreamLookup {
    /// The stream's partitions, or only `partition` when given; a missing stream or partition is one
    /// clear line.
    static func partitions(of stream: String, client: KafkaClient, only partition: Int32? = nil) async throws
        -> [PartitionID]
    {
        let partitionCount: Int
        do {
            partitionCount = try await client.partitionCount(of: stream)
        } catch KafkaClientError.brokerError(let code, _, _) where code == .unknownTopicOrPartition {
            throw CommandFailure("stream \(stream) does not exist")
        } catch KafkaClientError.brokerError(let code, _, _) where code == .invalidTopicException {
            throw CommandFailure("'\(stream)' is not a valid stream name")
        }
        guard let partition else { return (0..<Int32(partitionCount)).map { PartitionID($0) } }
        guard (0..<Int32(partitionCount)).contains(partition) else {
            throw CommandFailure("stream \(stream) has no partition \(partition) (it has \(partitionCount))")
        }
        return [PartitionID(partition)]
    }

    /// The first offset still stored and the end offset (one past the last record) of each partition.
    static func bounds(of stream: String, partitions: [PartitionID], client: KafkaClient) async throws
        -> [PartitionID: Range<Int64>]
    {
        let starts = try await client.listOffsets(topic: stream, partitions: partitions, spec: .earliest)
        let ends = try await client.listOffsets(topic: stream, partitions: partitions, spec: .latest)
        var bounds: [PartitionID: Range<Int64>] = [:]
        for partition in partitions {
            let end = max(ends[partition] ?? 0, 0)
            bounds[partition] = min(max(starts[partition] ?? 0, 0), end)..<end
        }
        return bounds
    }
}
