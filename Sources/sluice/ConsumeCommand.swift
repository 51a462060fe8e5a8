import ArgumentParser
import Foundation
import NIOCore
import RecordFormat
import SluiceClient
import SluiceModel

/// `sluice consume TOPIC`: prints records, one per line, from a starting point in every partition
/// (or one), until COUNT records were printed or, without a count, until interrupted (`--exit-at-end`
/// stops once every partition is read to the end offset it had when the command started).
struct ConsumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consume",
        abstract: "Print a topic's records, one per line."
    )

    @OptionGroup var brokerOption: BrokerOption
    @Argument(help: "Topic name.") var topic: String
    @Option(help: "Where to start: earliest, latest, an offset, or an ISO-8601 time (2026-11-25T10:00:00Z).")
    var from: String = "earliest"
    @Option(name: [.customShort("n"), .long], help: "Stop after COUNT records.") var count: Int?
    @Option(help: "Read only this partition.") var partition: Int32?
    @Flag(name: .customLong("exit-at-end"), help: "Stop at the end of the log instead of waiting for more.")
    var exitAtEnd = false
    @Flag(name: .customLong("print-key"), help: "Print KEY<separator>VALUE.") var printKey = false
    @Flag(name: .customLong("print-offset"), help: "Prefix each line with partition:offset:timestamp.")
    var printOffset = false
    @Option(name: .customLong("key-separator"), help: "Separator printed between key and value.")
    var keySeparator: String = "\t"

    func run() async throws {
        let start = try StartPosition(parsing: self.from)
        if let count, count < 0 { throw ValidationError("-n must not be negative") }
        try await withClient(self.brokerOption) { client in
            try await self.consume(client: client, start: start)
        }
    }

    private func consume(client: KafkaClient, start: StartPosition) async throws {
        let partitionCount = try await client.partitionCount(of: self.topic)
        let partitions = try self.selectedPartitions(partitionCount: partitionCount)
        var positions = try await start.offsets(client: client, topic: self.topic, partitions: partitions)
        let endOffsets = try await client.listOffsets(topic: self.topic, partitions: partitions, spec: .latest)
        var output = RecordPrinter(printKey: self.printKey, printOffset: self.printOffset, keySeparator: self.keySeparator)
        var printed = 0
        while self.count.map({ printed < $0 }) ?? true {
            if self.exitAtEnd && positions.allSatisfy({ $0.value >= endOffsets[$0.key] ?? 0 }) { break }
            let fetched = try await client.fetch(topic: self.topic, offsets: positions)
            for partitionData in fetched {
                try output.visitBatches(in: partitionData, from: positions[partitionData.partition] ?? 0) { offset in
                    positions[partitionData.partition] = offset + 1
                    printed += 1
                    return self.count.map { printed < $0 } ?? true
                }
                if let count, printed >= count { break }
            }
            output.flush()
        }
        output.flush()
    }

    private func selectedPartitions(partitionCount: Int) throws -> [PartitionID] {
        guard let partition else { return (0..<Int32(partitionCount)).map { PartitionID($0) } }
        guard (0..<Int32(partitionCount)).contains(partition) else {
            throw CommandFailure("topic \(self.topic) has no partition \(partition) (it has \(partitionCount))")
        }
        return [PartitionID(partition)]
    }
}

/// Where `consume` starts in each partition.
enum StartPosition: Equatable {
    case earliest
    case latest
    case offset(Int64)
    case time(millisecondsSinceEpoch: Int64)

    init(parsing text: String) throws {
        switch text {
        case "earliest", "beginning": self = .earliest
        case "latest", "end": self = .latest
        default:
            if let offset = Int64(text), offset >= 0 {
                self = .offset(offset)
            } else if let milliseconds = Self.parseTime(text) {
                self = .time(millisecondsSinceEpoch: milliseconds)
            } else {
                throw ValidationError("--from must be earliest, latest, an offset or an ISO-8601 time, not '\(text)'")
            }
        }
    }

    static func parseTime(_ text: String) -> Int64? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return Int64((date.timeIntervalSince1970 * 1000).rounded()) }
        formatter.formatOptions = [.withInternetDateTime]
        if let date = formatter.date(from: text) { return Int64((date.timeIntervalSince1970 * 1000).rounded()) }
        return nil
    }
}

/// Formats records as lines into a buffer written to standard output in large chunks.
struct RecordPrinter {
    let printKey: Bool
    let printOffset: Bool
    let keySeparator: String
    private var buffer: [UInt8] = []

    init(printKey: Bool, printOffset: Bool, keySeparator: String) {
        self.printKey = printKey
        self.printOffset = printOffset
        self.keySeparator = keySeparator
        self.buffer.reserveCapacity(1 << 16)
    }

    /// Prints the records at or after `from` in the fetched batches; `onRecord` gets each printed
    /// offset and returns false to stop.
    mutating func visitBatches(
        in fetched: KafkaClient.FetchedPartition, from: Int64, onRecord: (Int64) -> Bool
    ) throws {
        var keepGoing = true
        try fetched.records.withUnsafeReadableBytes { bytes in
            let (ranges, _) = try RecordBatchSplitter.split(bytes)
            for range in ranges where keepGoing {
                try RecordBatchDecoder.forEachRecord(inBatch: UnsafeRawBufferPointer(rebasing: bytes[range])) { record in
                    guard record.offset >= from else { return .continueVisiting }
                    self.append(record, partition: fetched.partition)
                    keepGoing = onRecord(record.offset)
                    return keepGoing ? .continueVisiting : .stopVisiting
                }
            }
        }
        if self.buffer.count >= 1 << 16 { self.flush() }
    }

    private mutating func append(_ record: RecordView, partition: PartitionID) {
        if self.printOffset {
            self.buffer.append(contentsOf: "\(partition):\(record.offset):\(record.timestampMs)\t".utf8)
        }
        if self.printKey {
            if let key = record.key { self.buffer.append(contentsOf: key) }
            self.buffer.append(contentsOf: self.keySeparator.utf8)
        }
        if let value = record.value { self.buffer.append(contentsOf: value) }
        self.buffer.append(UInt8(ascii: "\n"))
    }

    mutating func flush() {
        guard !self.buffer.isEmpty else { return }
        self.buffer.withUnsafeBytes { bytes in _ = fwrite(bytes.baseAddress, 1, bytes.count, stdout) }
        fflush(stdout)
        self.buffer.removeAll(keepingCapacity: true)
    }
}

func printToStandardError(_ message: String) {
    fputs(message + "\n", stderr)
}
