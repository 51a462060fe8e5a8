import ArgumentParser
import Foundation
import NIOCore
import RecordFormat
import SluiceClient
import SluiceModel

/// `sluice produce TOPIC`: one record per line of standard input. Keyed records go to the partition
/// of their key's murmur2 hash (as every Kafka client does); unkeyed ones fill a batch on one partition,
/// then move to the next. Batches are pipelined, a bounded number in flight.
struct ProduceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "produce",
        abstract: "Append one record per line of standard input to a topic."
    )

    @OptionGroup var brokerOption: BrokerOption
    @Argument(help: "Topic name.") var topic: String
    @Option(name: .customLong("key-separator"), help: "Split each line at the first SEP into key and value.")
    var keySeparator: String?
    @Option(help: "Compression: none, gzip, snappy, lz4 or zstd.") var compression: String = "none"
    @Option(help: "Send every record to this partition.") var partition: Int32?
    @Option(help: "Acknowledgement: -1 (all), 1 (leader) or 0 (none).") var acks: Int16 = -1
    @Option(name: .customLong("batch-bytes"), help: "Close a batch at about this many bytes.")
    var batchSizeBytes: Int = 1 << 20

    static let inFlightBatchesMax = 16

    func run() async throws {
        guard let codec = CompressionCodec(name: self.compression) else {
            throw ValidationError("unknown compression '\(self.compression)' (none, gzip, snappy, lz4, zstd)")
        }
        guard [-1, 0, 1].contains(self.acks) else { throw ValidationError("--acks must be -1, 0 or 1") }
        let produced = try await withClient(self.brokerOption) { client in
            try await self.produceLines(client: client, codec: codec)
        }
        printToStandardError("produced \(produced) record\(produced == 1 ? "" : "s") to \(self.topic)")
    }

    private func produceLines(client: KafkaClient, codec: CompressionCodec) async throws -> Int {
        let partitionCount = try await client.partitionCount(of: self.topic, allowAutoTopicCreation: true)
        if let partition, !(0..<Int32(partitionCount)).contains(partition) {
            throw CommandFailure("topic \(self.topic) has no partition \(partition) (it has \(partitionCount))")
        }
        var sender = PipelinedSender(client: client, topic: self.topic, acks: self.acks)
        var builders: [PartitionID: RecordBatchBuilder] = [:]
        var stickyPartition = PartitionID(0)
        var produced = 0
        let clock = SystemClock()
        while let line = readLine(strippingNewline: true) {
            let (key, value) = self.split(line)
            let target = self.partition.map { PartitionID($0) }
                ?? key.map { KeyPartitioner.partition(forKey: $0, partitionCount: partitionCount) }
                ?? stickyPartition
            var builder = builders[target] ?? RecordBatchBuilder(compression: codec)
            try builder.append(timestampMs: clock.wallTimeMs(), key: key, value: value)
            produced += 1
            if builder.uncompressedSizeBytes >= self.batchSizeBytes {
                try await sender.send(try builder.finish(), to: target)
                if key == nil && self.partition == nil {
                    stickyPartition = PartitionID((target.rawValue + 1) % Int32(partitionCount))
                }
            }
            builders[target] = builder
        }
        for (target, var builder) in builders.sorted(by: { $0.key < $1.key }) where !builder.isEmpty {
            try await sender.send(try builder.finish(), to: target)
        }
        try await sender.waitForAll()
        return produced
    }

    private func split(_ line: String) -> (key: [UInt8]?, value: [UInt8]) {
        guard let separator = self.keySeparator, let range = line.range(of: separator) else {
            return (nil, Array(line.utf8))
        }
        return (Array(line[..<range.lowerBound].utf8), Array(line[range.upperBound...].utf8))
    }
}

/// Keeps up to `ProduceCommand.inFlightBatchesMax` produce requests in flight, in order.
struct PipelinedSender {
    let client: KafkaClient
    let topic: String
    let acks: Int16
    private var inFlight: [EventLoopFuture<Int64>] = []

    init(client: KafkaClient, topic: String, acks: Int16) {
        self.client = client
        self.topic = topic
        self.acks = acks
    }

    mutating func send(_ batch: [UInt8], to partition: PartitionID) async throws {
        let buffer = ByteBuffer(bytes: batch)
        if self.acks == 0 {
            _ = try await self.client.produce(topic: self.topic, partition: partition, batches: buffer, acks: 0)
            return
        }
        self.inFlight.append(try self.client.enqueueProduce(
            topic: self.topic, partition: partition, batches: buffer, acks: self.acks
        ))
        if self.inFlight.count >= ProduceCommand.inFlightBatchesMax {
            _ = try await self.inFlight.removeFirst().get()
        }
    }

    mutating func waitForAll() async throws {
        for future in self.inFlight { _ = try await future.get() }
        self.inFlight = []
    }
}
