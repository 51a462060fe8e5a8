/// The operator's side of the conversation (Docs/operator-protocol.md, "The conversation"), over two file
/// descriptors: Hello → Metadata → initialize → Ready (with init's timers), then batches until Stop → destroy →
/// Stopped.
///
/// `run()` returns after Stopped is sent. Otherwise it throws what ended the conversation:
/// - `.unsupportedVersion`, `.invalidMetadata`, `.initializeFailed`: after answering Failed (batch 0);
/// - `.malformedFrame`, `.unexpectedMessage`: without answering, since after a framing error neither side can
///   trust the stream;
/// - `.inputClosed`: the input ended between frames (the runtime is gone), after calling `destroy`;
/// - `.systemCallFailed`: a read or write failed.
/// Errors from `processRecord` / `processTimer` do not end it: they become Failed for their batch, naming the
/// record or timer, and the session goes on.
struct OperatorSession<Operator: Computation> {
    private var computation: Operator
    private let reader: FrameReader
    private let output: Int32
    private let log: (String) -> Void
    private var parser = RecordsBatchParser()
    /// For the small frames (Metadata, Failed, Stopped); Ready and BatchResult are built by `Context`.
    private var scratch = ByteWriter(capacity: 4096)

    init(_ computation: Operator, input: Int32, output: Int32, log: @escaping (String) -> Void) {
        self.computation = computation
        self.reader = FrameReader(descriptor: input)
        self.output = output
        self.log = log
    }

    mutating func run() throws {
        let hello = try self.receiveHello()
        let metadata = self.computation.metadata()
        do {
            try metadata.validate()
        } catch {
            try self.failToStart("metadata() is invalid: \(error)", error)
        }
        try self.send(.metadata(metadata))
        let inputStreams = metadata.inputs.map(\.stream)
        var context = Context(hello: hello, outputs: metadata.outputs)
        do {
            try self.computation.initialize(&context)
        } catch {
            let text = "initialize failed: \(error)"
            try self.failToStart(text, OperatorError(.initializeFailed, text))
        }
        context.finishInitialize()
        try context.frame.withUnsafeBytes { try FileDescriptorIO.writeAll(self.output, $0) }

        while true {
            guard let frame = try self.reader.next() else {
                self.log("input ended without Stop; the runtime is gone")
                self.computation.destroy()
                throw OperatorError(.inputClosed, "the runtime closed the operator's input without Stop")
            }
            switch frame.type {
            case MessageType.records:
                try self.handleRecords(frame.body, inputStreams: inputStreams, context: &context)
            case MessageType.timers:
                try self.handleTimers(frame.body, context: &context)
            case MessageType.stop:
                guard frame.body.isEmpty else {
                    throw OperatorError.malformed("Stop with a \(frame.body.count)-byte body")
                }
                self.computation.destroy()
                try self.send(.stopped)
                return
            case MessageType.hello:
                throw OperatorError(.unexpectedMessage, "a second Hello after the conversation started")
            default:
                throw OperatorError(.unexpectedMessage, "unknown message type 0x\(String(frame.type, radix: 16))")
            }
        }
    }

    /// Reads Hello. Another version is answered with Failed (batch 0) before anything after the version is read,
    /// since the rest of a Hello may be laid out differently in that version.
    private mutating func receiveHello() throws -> Hello {
        guard let frame = try self.reader.next() else {
            throw OperatorError(.inputClosed, "the runtime closed the operator's input before Hello")
        }
        guard frame.type == MessageType.hello else {
            throw OperatorError(
                .unexpectedMessage, "expected Hello (0x01) first, got message type 0x\(String(frame.type, radix: 16))"
            )
        }
        var reader = ByteReader(frame.body)
        let version = try reader.read(UInt16.self)
        guard version == OperatorLimits.protocolVersion else {
            let text = "protocol version \(version) is not supported; this SDK speaks version "
                + "\(OperatorLimits.protocolVersion)"
            try self.failToStart(text, OperatorError(.unsupportedVersion, text))
        }
        let hello = Hello(
            protocolVersion: version,
            operatorName: try reader.readString(),
            instanceId: try reader.readString(),
            instanceIndex: try reader.read(UInt32.self),
            instanceCount: try reader.read(UInt32.self)
        )
        try reader.expectEnd()
        return hello
    }

    private mutating func handleRecords(
        _ body: UnsafeRawBufferPointer, inputStreams: [String], context: inout Context
    ) throws {
        let batchId = try self.parser.parse(body, inputCount: inputStreams.count)
        context.beginBatch(id: batchId)
        for index in self.parser.slots.indices {
            let slot = self.parser.slots[index]
            let record = Record(
                stream: inputStreams[Int(slot.inputIndex)], partition: slot.partition, offset: slot.offset,
                timestampMs: slot.timestampMs,
                key: RecordsBatchParser.bytes(body, start: slot.keyStart, count: slot.keyCount),
                value: RecordsBatchParser.bytes(body, start: slot.valueStart, count: slot.valueCount),
                headers: RecordsBatchParser.headers(body, of: slot)
            )
            context.inheritedTraceparent = Self.traceparent(of: record)
            do {
                try self.computation.processRecord(&context, record)
            } catch {
                return try self.failBatch(batchId, index: index, "processRecord", error)
            }
        }
        context.finishBatch()
        try context.frame.withUnsafeBytes { try FileDescriptorIO.writeAll(self.output, $0) }
    }

    private static func traceparent(of record: Record) -> [UInt8]? {
        guard !record.headers.isEmpty else { return nil }
        return record.headers.first { $0.key == Context.traceparentKey }?.value
    }

    private mutating func handleTimers(_ body: UnsafeRawBufferPointer, context: inout Context) throws {
        var reader = ByteReader(body)
        let batchId = try reader.read(UInt64.self)
        let timers = try reader.readTimers()
        try reader.expectEnd()
        context.beginBatch(id: batchId)
        for (index, timer) in timers.enumerated() {
            do {
                try self.computation.processTimer(&context, key: timer.key, timeMs: timer.timeMs)
            } catch {
                return try self.failBatch(batchId, index: index, "processTimer", error)
            }
        }
        context.finishBatch()
        try context.frame.withUnsafeBytes { try FileDescriptorIO.writeAll(self.output, $0) }
    }

    /// Answers Failed for a batch, naming the record (or timer) whose handler threw; the batch's outputs and
    /// timers are dropped with it (the next `beginBatch` clears them).
    private mutating func failBatch(_ batchId: UInt64, index: Int, _ handler: String, _ error: Error) throws {
        self.log("batch \(batchId): \(handler) threw at item \(index); answering Failed: \(error)")
        try self.send(.failed(batchId: batchId, recordIndex: UInt32(index), error: "\(error)"))
    }

    /// Answers Failed (batch 0, no record) when the operator cannot start, and throws `error`.
    private mutating func failToStart(_ text: String, _ error: Error) throws -> Never {
        try self.send(.failed(batchId: 0, recordIndex: OperatorLimits.noRecordIndex, error: text))
        throw error
    }

    private mutating func send(_ message: OperatorMessage) throws {
        self.scratch.removeAll()
        message.encode(into: &self.scratch)
        try self.scratch.withUnsafeBytes { try FileDescriptorIO.writeAll(self.output, $0) }
    }
}
