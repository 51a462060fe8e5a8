import ArgumentParser
import Foundation
import RecordFormat
import SluiceClient
import SluiceModel
import Synchronization

/// `sluice tail STREAM`: the debugging view of a stream. Like `tail`, it shows the last few records of
/// each partition and stops; `--follow` keeps printing new ones; `--from` picks another start. Each
/// line is `PARTITION:OFFSET TIME key=K value=V headers: k=v …` (see `RecordText`).
struct TailCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tail",
        abstract: "Print a stream's records with partition, offset, time, key, value and headers.",
        discussion: """
            By default shows the last 10 records of each partition and stops. Keys, values and headers are \
            shown as "quoted text" when they are printable UTF-8, else as 0x hex; long ones are shortened \
            with a (N bytes) note unless --full. Ctrl-C stops a --follow cleanly.
            """
    )

    @OptionGroup var brokerOption: BrokerOption
    @Argument(help: "The stream (topic) to read.") var stream: String
    @Option(help: """
        Where to start in each partition: earliest, latest, an offset, or an ISO-8601 time \
        (2026-11-25T10:00:00Z, found with the time index). Default: the last --lines records.
        """)
    var from: String?
    @Option(
        name: [.customShort("n"), .customLong("lines")],
        help: "Without --from: how many of the last records of each partition to show."
    )
    var lines: Int = 10
    @Flag(name: .shortAndLong, help: "Keep printing records as they arrive, until interrupted.") var follow = false
    @Option(help: "Read only this partition.") var partition: Int32?
    @Option(help: "Stop after this many records in all.") var max: Int?
    @Flag(help: "Show long keys, values and headers whole instead of shortened.") var full = false

    func validate() throws {
        if self.lines < 0 { throw ValidationError("--lines must not be negative") }
        if let max = self.max, max <= 0 { throw ValidationError("--max must be positive") }
    }

    func run() async throws {
        let start = try self.from.map { try StartPosition(parsing: $0) }
        LineOutput.ignoreBrokenPipes()
        let command = self
        try await withClient(self.brokerOption) { client in
            try await runUntilInterrupted { try await command.tail(client: client, start: start) }
        }
    }

    private func tail(client: KafkaClient, start: StartPosition?) async throws {
        let partitions = try await StreamLookup.partitions(of: self.stream, client: client, only: self.partition)
        let bounds = try await StreamLookup.bounds(of: self.stream, partitions: partitions, client: client)
        let positions = try await self.startPositions(start, bounds: bounds, client: client)
        var reader = StreamReader(client: client, stream: self.stream, positions: positions)
        var printer = TailPrinter(recordsMax: self.max, length: self.full ? .full : .shortened)
        if self.follow {
            while !Task.isCancelled && printer.wantsMore {
                for fetched in try await reader.fetchNext(maxWaitMs: 500) where printer.wantsMore {
                    for record in fetched.records where printer.wantsMore {
                        printer.show(partition: fetched.partition, record: record)
                    }
                }
                printer.output.flush()
            }
        } else {
            try await reader.read(until: bounds.mapValues(\.upperBound)) { partition, record in
                printer.show(partition: partition, record: record)
                return printer.wantsMore
            }
        }
        printer.output.flush()
    }

    /// Where each partition starts: the last `lines` records by default, else `--from`, kept between the
    /// first stored offset and the end (an offset past the end waits there for new records).
    private func startPositions(
        _ start: StartPosition?, bounds: [PartitionID: Range<Int64>], client: KafkaClient
    ) async throws -> [PartitionID: Int64] {
        guard let start else {
            return bounds.mapValues { range in Swift.max(range.lowerBound, range.upperBound - Int64(self.lines)) }
        }
        let wanted = try await start.offsets(client: client, topic: self.stream, partitions: Array(bounds.keys))
        return bounds.reduce(into: [:]) { positions, entry in
            let (partition, range) = entry
            let offset = wanted[partition] ?? range.upperBound
            positions[partition] = Swift.min(Swift.max(offset, range.lowerBound), range.upperBound)
        }
    }
}

/// Prints tail lines and counts them against `--max`; stops wanting more when the reader of standard
/// output went away.
private struct TailPrinter {
    let recordsMax: Int?
    let length: RecordText.Length
    var output = LineOutput()
    private var printed = 0

    init(recordsMax: Int?, length: RecordText.Length) {
        self.recordsMax = recordsMax
        self.length = length
    }

    var wantsMore: Bool {
        !self.output.isClosed && self.recordsMax.map { self.printed < $0 } ?? true
    }

    mutating func show(partition: PartitionID, record: Record) {
        self.output.append(line: RecordText.line(partition: partition.rawValue, record: record, length: self.length))
        self.printed += 1
    }
}

/// Standard output for commands that print until stopped: lines gathered into large writes, and a reader
/// that went away (a closed pipe, `| head`) noticed as `isClosed` instead of killing the process by SIGPIPE.
struct LineOutput {
    private static let flushSizeBytes = 1 << 16
    private var buffer: [UInt8] = []
    private(set) var isClosed = false

    /// Makes a write to a closed pipe fail with EPIPE rather than end the process.
    static func ignoreBrokenPipes() {
        signal(SIGPIPE, SIG_IGN)
    }

    mutating func append(line: String) {
        guard !self.isClosed else { return }
        self.buffer.append(contentsOf: line.utf8)
        self.buffer.append(UInt8(ascii: "\n"))
        if self.buffer.count >= Self.flushSizeBytes { self.flush() }
    }

    mutating func flush() {
        defer { self.buffer.removeAll(keepingCapacity: true) }
        guard !self.isClosed else { return }
        var written = 0
        while written < self.buffer.count {
            let result = self.buffer.withUnsafeBytes { bytes in
                write(STDOUT_FILENO, bytes.baseAddress! + written, bytes.count - written)
            }
            if result < 0 && errno == EINTR { continue }
            guard result > 0 else {
                self.isClosed = true
                return
            }
            written += result
        }
    }
}

/// Runs `body` until it returns, or until SIGINT or SIGTERM cancel it: the body sees `Task.isCancelled`
/// between fetches, so output is flushed and the connection closed rather than cut mid-line. A second
/// signal exits at once, in case the broker stopped answering.
func runUntilInterrupted(_ body: @escaping @Sendable () async throws -> Void) async throws {
    let task = Task { try await body() }
    let signalCount = SignalCounter()
    let sources = [SIGINT, SIGTERM].map { number in
        signal(number, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
        source.setEventHandler {
            if signalCount.increment() > 1 { exit(128 + number) }
            task.cancel()
        }
        source.resume()
        return source
    }
    defer { sources.forEach { $0.cancel() } }
    try await task.value
}

/// Counts stop signals, from the signal sources' handlers.
private final class SignalCounter: Sendable {
    private let count = Atomic<Int>(0)

    func increment() -> Int {
        self.count.wrappingAdd(1, ordering: .relaxed).newValue
    }
}
