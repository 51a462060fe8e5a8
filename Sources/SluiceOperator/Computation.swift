/// An operator: a stateless program the broker runs as a child process, fed batches of records from its input
/// streams and answering with the records it produces and the timers it sets.
///
/// Implement `metadata()` and `processRecord`; the other requirements default to doing nothing. Hand an
/// instance to `serve(_:)`. Each call runs on the one thread that called `serve`, one at a time.
///
/// - A throw from `processRecord` or `processTimer` fails the batch: the runtime is told which record (or timer)
///   and the SDK keeps serving; the runtime retries and, in the end, sends the record to `<operator>.dlq`.
/// - A throw from `initialize` is reported as Failed (batch 0) and the process exits with status 1.
/// - Nothing a batch produced reaches the runtime unless the whole batch succeeds.
public protocol Computation {
    /// The operator's name and streams. Called once, after Hello.
    func metadata() -> Metadata

    /// Called once, before the first batch. Outputs produced and timers set here reach the runtime with the
    /// first BatchResult (a source operator, one without inputs, sets its first timer here).
    mutating func initialize(_ context: inout Context) throws

    /// Called for each record of a batch, in order.
    mutating func processRecord(_ context: inout Context, _ record: Record) throws

    /// Called for each timer that is due; `key` is nil for a timer set without key.
    mutating func processTimer(_ context: inout Context, key: [UInt8]?, timeMs: Int64) throws

    /// Called once when the runtime asks the operator to stop, or when the runtime goes away.
    mutating func destroy()
}

extension Computation {
    public mutating func initialize(_ context: inout Context) throws {}
    public mutating func processTimer(_ context: inout Context, key: [UInt8]?, timeMs: Int64) throws {}
    public mutating func destroy() {}
}

/// What an operator declares: its name, the streams it reads (each with a grouping) and the streams it writes.
public struct Metadata: Equatable, Sendable {
    public var name: String
    public var inputs: [Input]
    public var outputs: [String]

    public init(name: String, inputs: [Input], outputs: [String]) {
        self.name = name
        self.inputs = inputs
        self.outputs = outputs
    }
}

/// An input stream and how its records are spread over the operator's instances.
public struct Input: Equatable, Sendable, ExpressibleByStringLiteral {
    public var stream: String
    public var grouping: Grouping

    public init(_ stream: String, grouping: Grouping = .shuffle) {
        self.stream = stream
        self.grouping = grouping
    }

    public init(stringLiteral stream: String) {
        self.init(stream)
    }
}

/// How the records of an input are spread over the operator's instances.
public enum Grouping: UInt8, Equatable, Sendable {
    /// Any instance may get any record.
    case shuffle = 0
    /// All records with the same key go to the same instance.
    case groupByKey = 1
}

/// A record header: a UTF-8 key and a value that may be null.
public struct Header: Equatable, Sendable {
    public var key: String
    public var value: [UInt8]?

    public init(key: String, value: [UInt8]?) {
        self.key = key
        self.value = value
    }
}

/// One input record, as handed to `processRecord`.
public struct Record: Equatable, Sendable {
    /// The input stream it was read from (one of the declared inputs).
    public var stream: String
    public var partition: Int32
    public var offset: Int64
    /// Milliseconds since the epoch.
    public var timestampMs: Int64
    public var key: [UInt8]?
    public var value: [UInt8]?
    public var headers: [Header]

    public init(
        stream: String, partition: Int32, offset: Int64, timestampMs: Int64, key: [UInt8]?, value: [UInt8]?,
        headers: [Header] = []
    ) {
        self.stream = stream
        self.partition = partition
        self.offset = offset
        self.timestampMs = timestampMs
        self.key = key
        self.value = value
        self.headers = headers
    }
}
