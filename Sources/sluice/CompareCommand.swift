import ArgumentParser
import Foundation
import RecordFormat
import SluiceClient
import SluiceModel

extension StreamComparison.Pairing: ExpressibleByArgument {}

/// `sluice compare STREAM_A STREAM_B`: reads both streams from their first record to the end they had
/// when the command started and says how many records match, differ, or are only in one of them; made to
/// compare a live operator's output with its canary's shadow stream. Exit status, like `cmp`: 0 when
/// everything matches, 1 when anything differs or is missing, 2 when the comparison could not be made.
struct CompareCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare two streams record by record: how many match, differ, or are missing.",
        discussion: """
            By default records are paired by key: the n-th record of key K in STREAM_A with the n-th of K \
            in STREAM_B, comparing values (not timestamps, offsets or headers). Records without a key are \
            paired by equal value. --key-by offset pairs the n-th record of each partition instead, \
            comparing keys and values. STREAM_A is held in memory: meant for streams of up to a few million \
            records (--max-records). Exit status: 0 all match, 1 some differ or are missing, 2 error.
            """
    )

    @OptionGroup var brokerOption: BrokerOption
    @Argument(help: "The reference stream (say, the live output).") var streamA: String
    @Argument(help: "The stream compared with it (say, the canary's shadow stream <stream>@<version>).")
    var streamB: String
    @Option(name: .customLong("key-by"), help: "Pair records by key (default) or by partition and position (offset).")
    var pairing: StreamComparison.Pairing = .key
    @Flag(help: "Print the result as one JSON object.") var json = false
    @Option(name: .customLong("max-records"), help: "Refuse to hold more than this many records of STREAM_A.")
    var storedRecordsMax = 10_000_000
    @Option(name: .customLong("show"), help: "How many differences of each kind to list.")
    var differencesMax = 5

    func validate() throws {
        if self.storedRecordsMax <= 0 { throw ValidationError("--max-records must be positive") }
        if self.differencesMax < 0 { throw ValidationError("--show must not be negative") }
    }

    func run() async throws {
        let comparison: StreamComparison
        do {
            comparison = try await withClient(self.brokerOption) { client in try await self.compare(client: client) }
        } catch {
            // 1 means "the streams differ", so a comparison that could not be made exits 2, like cmp(1).
            fputs("Error: \(error)\n", stderr)
            throw ExitCode(2)
        }
        let report = CompareReport(streamA: self.streamA, streamB: self.streamB, comparison: comparison)
        print(self.json ? report.json() : report.text(), terminator: "")
        if !comparison.counts.allMatch { throw ExitCode(1) }
    }

    private func compare(client: KafkaClient) async throws -> StreamComparison {
        let partitionsA = try await StreamLookup.partitions(of: self.streamA, client: client)
        let partitionsB = try await StreamLookup.partitions(of: self.streamB, client: client)
        // Both ends are taken before reading either, so records appended meanwhile are left out of both.
        let boundsA = try await StreamLookup.bounds(of: self.streamA, partitions: partitionsA, client: client)
        let boundsB = try await StreamLookup.bounds(of: self.streamB, partitions: partitionsB, client: client)
        var comparison = StreamComparison(
            pairing: self.pairing, storedRecordsMax: self.storedRecordsMax, differencesMax: self.differencesMax)
        do {
            try await Self.read(self.streamA, bounds: boundsA, client: client) { try comparison.addA($0) }
            try await Self.read(self.streamB, bounds: boundsB, client: client) { try comparison.addB($0) }
        } catch let error as StreamComparison.TooManyRecords {
            throw CommandFailure(
                "more than \(error.storedRecordsMax) records to hold in memory; raise --max-records if there is room")
        }
        comparison.finish()
        return comparison
    }

    /// Reads one partition after another, each from its first stored record to its end, so every key's
    /// records come in the same order on every run.
    private static func read(
        _ stream: String, bounds: [PartitionID: Range<Int64>], client: KafkaClient,
        _ body: (StreamComparison.StoredRecord) throws -> Void
    ) async throws {
        for (partition, range) in bounds.sorted(by: { $0.key < $1.key }) where !range.isEmpty {
            var reader = StreamReader(client: client, stream: stream, positions: [partition: range.lowerBound])
            try await reader.read(until: [partition: range.upperBound]) { partition, record in
                try body(StreamComparison.StoredRecord(
                    partition: partition.rawValue, offset: record.offset, key: record.key, value: record.value))
                return true
            }
        }
    }
}

/// What `compare` prints: a small table, or one JSON object.
struct CompareReport {
    let streamA: String
    let streamB: String
    let comparison: StreamComparison

    func text() -> String {
        let counts = self.comparison.counts
        let rows: [(String, Int)] = [
            ("match", counts.matched), ("differ", counts.differ),
            ("only in \(self.streamA)", counts.onlyInA), ("only in \(self.streamB)", counts.onlyInB),
        ]
        let labelWidth = rows.map(\.0.count).max() ?? 0
        var text = "\(self.streamA): \(counts.recordsA) records, \(self.streamB): \(counts.recordsB) records, "
        text += "paired by \(self.comparison.pairing.rawValue)\n"
        for (label, count) in rows {
            text += label.padding(toLength: labelWidth, withPad: " ", startingAt: 0) + "  \(count)\n"
        }
        if !self.comparison.differences.isEmpty { text += "first differences:\n" }
        for difference in self.comparison.differences {
            text += "  " + self.describe(difference) + "\n"
        }
        return text
    }

    func json() -> String {
        let counts = self.comparison.counts
        let document = Document(
            streamA: self.streamA, streamB: self.streamB, keyBy: self.comparison.pairing.rawValue,
            recordsA: counts.recordsA, recordsB: counts.recordsB, matched: counts.matched, differ: counts.differ,
            onlyInA: counts.onlyInA, onlyInB: counts.onlyInB,
            differences: self.comparison.differences.map { difference in
                let key = self.pairedKey(of: difference).map(Document.Bytes.init)
                return Document.Difference(
                    kind: difference.outcome, sequence: difference.sequence, key: key?.text, keyHex: key?.hex,
                    a: difference.a.map(Document.Side.init), b: difference.b.map(Document.Side.init))
            }
        )
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding plain strings and integers cannot fail.
        return String(decoding: try! encoder.encode(document), as: UTF8.self) + "\n"
    }

    private func describe(_ difference: StreamComparison.Difference) -> String {
        let kind: String
        switch difference.outcome {
        case .differ: kind = "differ"
        case .onlyInA: kind = "only in \(self.streamA)"
        case .onlyInB: kind = "only in \(self.streamB)"
        }
        var parts = [kind]
        if let key = self.pairedKey(of: difference) {
            parts.append("key=\(RecordText.bytes(key)) #\(difference.sequence)")
        }
        if let a = difference.a { parts.append("\(self.streamA) \(Self.describe(a))") }
        if let b = difference.b { parts.append("\(self.streamB) \(Self.describe(b))") }
        return parts.joined(separator: "  ")
    }

    /// The key the pair shares under key pairing (a keyless record has none); offset pairing names none.
    private func pairedKey(of difference: StreamComparison.Difference) -> [UInt8]? {
        guard self.comparison.pairing == .key else { return nil }
        return (difference.a ?? difference.b)?.key
    }

    private static func describe(_ record: StreamComparison.StoredRecord) -> String {
        "\(record.partition):\(record.offset) key=\(RecordText.optionalBytes(record.key)) "
            + "value=\(RecordText.optionalBytes(record.value))"
    }

    /// The `--json` layout. Keys and values that are UTF-8 are JSON strings (`key`, `value`), others hex
    /// (`keyHex`, `valueHex`); a null has neither.
    private struct Document: Encodable {
        struct Bytes {
            var text: String?
            var hex: String?

            init(_ bytes: [UInt8]) {
                self.text = String(validating: bytes, as: UTF8.self)
                self.hex = self.text == nil ? RecordText.hexDigits(bytes) : nil
            }
        }

        struct Side: Encodable {
            var partition: Int32
            var offset: Int64
            var key: String?
            var keyHex: String?
            var value: String?
            var valueHex: String?

            init(_ record: StreamComparison.StoredRecord) {
                self.partition = record.partition
                self.offset = record.offset
                let key = record.key.map(Bytes.init)
                let value = record.value.map(Bytes.init)
                (self.key, self.keyHex) = (key?.text, key?.hex)
                (self.value, self.valueHex) = (value?.text, value?.hex)
            }
        }

        struct Difference: Encodable {
            var kind: StreamComparison.Outcome
            var sequence: Int
            var key: String?
            var keyHex: String?
            var a: Side?
            var b: Side?
        }

        var streamA: String
        var streamB: String
        var keyBy: String
        var recordsA: Int
        var recordsB: Int
        var matched: Int
        var differ: Int
        var onlyInA: Int
        var onlyInB: Int
        var differences: [Difference]
    }
}
