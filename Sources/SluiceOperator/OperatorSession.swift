/// The operator's side of the conversation (Docs/operator-protocol.md, "The conversation"), over two file
/// descriptors: Hello → Metadata → initialize → Ready, then batches until Stop → destroy → Stopped.
///
/// `run()` returns after Stopped is sent. It throws, after telling the runtime with Failed where it still can,
/// when `initialize` throws, when Hello carries another version, when the runtime breaks the protocol and when
/// the input ends without Stop. Errors from `processRecord` / `processTimer` do not end it: they become Failed
/// for their batch and the session goes on.
struct OperatorSession<Operator: Computation> {
    private var computation: Operator
    private let reader: FrameReader
    private let output: Int32
    private var parser = RecordsBatchParser()
    /// For the small frames (Metadata, Ready, Failed, Stopped); BatchResult is built by `Context`.
    private var scratch = ByteWriter(capacity: 4096)

    init(_ computation: Operator, input: Int32, output: Int32) {
        self.computation = computation
        self.reader = FrameReader(descriptor: input)
        self.output = output
    }

    mutating func run() throws {
        let hello = try self.receiveHello()
        let metadata = self.computation.metadata()
        do {
            try metadata.validate()
        } catch {
            try self.send(.failed(batchId: 0, recordIndex: OperatorLimits.noRecordIndex, error: "\(error)"))
            throw error
        }
        try self.send(.metadata(metadata))
        let inputStreams = metadata.inputs.map(\.stream)
        var context = Context(hello: hello, outputs: metadata.outputs)
        do {
            try self.computation.initialize(&context)
        } catch {
            let text = "initialize failed: \(error)"
            try self.send(.failed(batchId: 0, recordIndex: OperatorLimits.noRecordIndex, error: text))
            throw OperatorError(.initializeFailed, text)
        }
        context.carryInitialEffects()
        try self.send(.ready)

        while true {
            guard let frame = try self.nextFrame() else {
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
                    try self.failProtocol(OperatorError.malformed("Stop with a \(frame.body.count)-byte body"))
                }
                self.computation.destroy()
                try self.send(.stopped)
                return
            default:
                try self.failProtocol(
                    OperatorError(.unexpectedMessage, "message type 0x\(String(frame.type, radix: 16)) after Ready")
                )
            }
        }
    }

    /// Reads Hello; answers Failed and throws for anything else or another protocol version.
    private mutating func receiveHello() throws -> Hello {
        guard let frame = try self.nextFrame() else {
            throw OperatorError(.inputClosed, "the runtime closed the operator's input before Hello")
        }
        guard frame.type == MessageType.hello else {
            try self.failProtocol(
                OperatorError(.unexpectedMessage, "message type 0x\(String(frame.type, radix: 16)) before Hello")
            )
        }
        var reader = ByteReader(frame.body)
        let hello: Hello
        do {
            hello = try RuntimeMessage.readHello(&reader)
            try reader.expectEnd()
        } catch {
            try self.failProtocol(error)
        }
        guard hello.protocolVersion == OperatorLimits.protocolVersion else {
            let error = OperatorError(
                .unsupportedVersion,
                "protocol version \(hello.protocolVersion) is not supported; this SDK speaks version "
                    + "\(OperatorLimits.protocolVersion)"
            )
            try self.failProtocol(error)
        }
        return hello
    }

    private mutating func handleRecords(
        _ body: UnsafeRawBufferPointer, inputStreams: [String], context: inout Context
    ) throws {
        let batchId: UInt64
        do {
            batchId = try self.parser.parse(body)
        } catch {
            try self.failProtocol(error, batchId: body.count >= 8 ? Self.batchId(of: body) : 0)
        }
        context.beginBatch(id: batchId)
        for index in self.parser.slots.indices {
            let slot = self.parser.slots[index]
            guard Int(slot.inputIndex) < inputStreams.count else {
                let text = "input index \(slot.inputIndex) but \(inputStreams.count) inputs are declared"
                try self.send(.failed(batchId: batchId, recordIndex: UInt32(index), error: text))
                return
            }
            let record = Record(
                stream: inputStreams[Int(slot.inputIndex)], partition: slot.partition, offset: slot.offset,
                timestampMs: slot.timestampMs,
                key: RecordsBatchParser.bytes(body, start: slot.keyStart, count: slot.keyCount),
                value: RecordsBatchParser.bytes(body, start: slot.valueStart, count: slot.valueCount),
                headers: RecordsBatchParser.headers(body, of: slot)
            )
            do {
                try self.computation.processRecord(&context, record)
            } catch {
                try self.send(.failed(batchId: batchId, recordIndex: UInt32(index), error: "\(error)"))
                return
            }
        }
        try FileDescriptorIO.writeAll(self.output, context.finishBatch())
    }

    /// A throw from `processTimer` is reported with the timer's position in the batch as the record index.
    private mutating func handleTimers(_ body: UnsafeRawBufferPointer, context: inout Context) throws {
        var reader = ByteReader(body)
        let batchId: UInt64
        let timers: [WireTimer]
        do {
            batchId = try reader.read(UInt64.self)
            timers = try reader.readTimers()
            try reader.expectEnd()
        } catch {
            try self.failProtocol(error, batchId: body.count >= 8 ? Self.batchId(of: body) : 0)
        }
        context.beginBatch(id: batchId)
        for (index, timer) in timers.enumerated() {
            do {
                try self.computation.processTimer(&context, key: timer.key, timeMs: timer.timeMs)
            } catch {
                try self.send(.failed(batchId: batchId, recordIndex: UInt32(index), error: "\(error)"))
                return
            }
        }
        try FileDescriptorIO.writeAll(self.output, context.finishBatch())
    }

    private static func batchId(of body: UnsafeRawBufferPointer) -> UInt64 {
        UInt64(bigEndian: body.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
    }

    /// The next frame; a bad frame length is answered with Failed before it is thrown.
    private mutating func nextFrame() throws -> Frame? {
        do {
            return try self.reader.next()
        } catch let error as OperatorError where error.code == .malformedFrame {
            try self.failProtocol(error)
        }
    }

    /// Tells the runtime the conversation cannot go on (Failed, no single record to blame) and throws `error`.
    private mutating func failProtocol(_ error: Error, batchId: UInt64 = 0) throws -> Never {
        try self.send(.failed(batchId: batchId, recordIndex: OperatorLimits.noRecordIndex, error: "\(error)"))
        throw error
    }

    private mutating func send(_ message: OperatorMessage) throws {
        self.scratch.removeAll()
        message.encode(into: &self.scratch)
        try FileDescriptorIO.writeAll(self.output, self.scratch.bytes)
    }
}
