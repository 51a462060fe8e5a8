/// What an operator's code may do while it handles a record or a timer: produce records to its declared outputs
/// and set timers. It also tells which instance this process is.
///
/// Everything produced goes straight into the BatchResult frame being built (one reusable buffer), and reaches
/// the runtime only if the whole batch succeeds.
public struct Context {
    /// The operator's name as the runtime knows it (from Hello).
    public let operatorName: String
    /// This instance's id, stable across restarts (from Hello).
    public let instanceId: String
    /// This instance's position among `instanceCount` instances (from Hello).
    public let instanceIndex: Int
    public let instanceCount: Int

    /// The declared outputs, in order: a stream's position is its output index.
    let outputStreams: [String]

    /// The BatchResult frame being built: header, then the outputs produced so far.
    var result = ByteWriter(capacity: 1024 * 1024)
    var outputCount: UInt32 = 0
    /// The timers set so far, encoded; appended after the outputs when the batch ends.
    var timers = ByteWriter(capacity: 1024)
    var timerCount: UInt32 = 0

    /// The `traceparent` header value of the record being processed: every record produced while processing it
    /// inherits it (unless it sets its own), so the next operator continues the trace (`Docs/tracing.md`).
    var inheritedTraceparent: [UInt8]?
    static let traceparentKey = "traceparent"

    /// False during `initialize`, where `produce` is refused.
    private var inBatch = false

    /// Where the output count of the frame being built is (after length, type and batch id).
    private static let outputCountPosition = 4 + 1 + 8

    init(hello: Hello, outputs: [String]) {
        self.operatorName = hello.operatorName
        self.instanceId = hello.instanceId
        self.instanceIndex = Int(hello.instanceIndex)
        self.instanceCount = Int(hello.instanceCount)
        self.outputStreams = outputs
    }

    /// Appends a record to `stream`, which must be one of the declared outputs. The record's timestamp will be
    /// the broker's clock when it is appended; a keyed record goes to the partition of its key's murmur2 hash.
    ///
    /// Throws `.undeclaredStream` for a stream not declared in `metadata()`, `.notInBatch` in `initialize`
    /// (outputs must belong to a batch), and `.tooLarge` when the record would take the BatchResult past the
    /// 64 MiB frame limit (the runtime then retries it in a batch of its own).
    public mutating func produce(stream: String, key: [UInt8]? = nil, value: [UInt8]?, headers: [Header] = []) throws {
        guard let index = self.outputStreams.firstIndex(of: stream) else {
            throw OperatorError(
                .undeclaredStream, "produce to \"\(stream)\", which is not a declared output (\(self.outputStreams))"
            )
        }
        guard self.inBatch else {
            throw OperatorError(
                .notInBatch, "produce is allowed in processRecord and processTimer only, not in initialize"
            )
        }
        var size = 2 + 4 + (key?.count ?? 0) + 4 + (value?.count ?? 0) + 2
        let inherited = self.inheritedTraceparent.flatMap { value in
            headers.contains { $0.key == Self.traceparentKey } ? nil : Header(key: Self.traceparentKey, value: value)
        }
        if let inherited { size += 2 + Self.traceparentKey.utf8.count + 4 + (inherited.value?.count ?? 0) }
        if !headers.isEmpty {
            guard headers.count + (inherited == nil ? 0 : 1) <= OperatorLimits.listCountMax else {
                throw OperatorError(.tooLarge, "\(headers.count) headers, more than 65,535")
            }
            for header in headers {
                let keySize = header.key.utf8.count
                guard keySize <= OperatorLimits.stringLengthMax else {
                    throw OperatorError(.tooLarge, "a header key of \(keySize) bytes, over 65,535")
                }
                size += 2 + keySize + 4 + (header.value?.count ?? 0)
            }
        }
        try self.checkRoom(for: size, what: "a record of \(size) bytes")
        self.result.append(UInt16(truncatingIfNeeded: index))
        self.result.appendBytes(key)
        self.result.appendBytes(value)
        if let inherited {
            self.result.appendHeaders(headers + [inherited])
        } else {
            self.result.appendHeaders(headers)
        }
        self.outputCount += 1
    }

    /// Asks the runtime for a call to `processTimer(key:timeMs:)` at or after `timeMs` (ms since the epoch). A key
    /// has at most one pending timer (nil is one key): setting it again replaces it, the last one set winning.
    /// Allowed in `initialize` too, where a source sets its first timer.
    /// Throws `.tooLarge` only if the key would take the frame past the 64 MiB limit.
    public mutating func setTimer(key: [UInt8]?, timeMs: Int64) throws {
        try self.checkRoom(for: 4 + (key?.count ?? 0) + 8, what: "a timer")
        self.timers.appendBytes(key)
        self.timers.append(timeMs)
        self.timerCount += 1
    }

    /// Asks for a timer without key: `processTimer` gets `key: nil`.
    public mutating func setTimer(timeMs: Int64) throws {
        try self.setTimer(key: nil, timeMs: timeMs)
    }

    /// `what` is an autoclosure: the text is built only on the rare throw, never on the per-record path.
    private func checkRoom(for size: Int, what: @autoclosure () -> String) throws {
        // The frame's length field counts everything after itself; the timer count is still to come. Outside a
        // batch (in initialize) the frame is Ready, whose header is the length and the type byte.
        let headerSize = self.inBatch ? self.result.count : OperatorLimits.frameLengthFieldSize + 1
        let length = headerSize + self.timers.count + size + 4 - OperatorLimits.frameLengthFieldSize
        guard length <= OperatorLimits.frameLengthMax else {
            throw OperatorError(.tooLarge, "\(what()) would take the BatchResult past the 64 MiB frame limit")
        }
    }

    // MARK: - Batches (driven by OperatorSession)

    /// Starts the BatchResult of batch `id`, dropping whatever an earlier (failed) batch left.
    mutating func beginBatch(id: UInt64) {
        self.result.removeAll()
        _ = self.result.beginFrame(type: MessageType.batchResult)
        self.result.append(id)
        self.result.append(UInt32(0))
        self.outputCount = 0
        self.timers.removeAll()
        self.timerCount = 0
        self.inheritedTraceparent = nil
        self.inBatch = true
    }

    /// Completes the BatchResult frame; `frame` holds it until the next `beginBatch`.
    mutating func finishBatch() {
        precondition(self.inBatch, "finishBatch without beginBatch")
        self.result.patch(self.outputCount, at: Self.outputCountPosition)
        self.result.append(self.timerCount)
        self.result.append(contentsOf: self.timers)
        self.result.endFrame(startingAt: 0)
        self.inBatch = false
    }

    /// Builds the Ready frame in `frame`: the timers set during `initialize` (no batch is open then).
    mutating func finishInitialize() {
        precondition(!self.inBatch, "finishInitialize inside a batch")
        precondition(self.outputCount == 0, "initialize cannot produce")
        self.result.removeAll()
        let start = self.result.beginFrame(type: MessageType.ready)
        self.result.append(self.timerCount)
        self.result.append(contentsOf: self.timers)
        self.result.endFrame(startingAt: start)
        self.timers.removeAll()
        self.timerCount = 0
    }

    /// The frame built by `finishBatch` or `finishInitialize`.
    var frame: ByteWriter { self.result }
}
