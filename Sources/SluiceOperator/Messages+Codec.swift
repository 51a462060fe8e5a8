/// Frame encoding and decoding of every message, both directions.

extension RuntimeMessage {
    /// Appends this message as one frame.
    func encode(into writer: inout ByteWriter) {
        switch self {
        case .hello(let hello):
            let start = writer.beginFrame(type: MessageType.hello)
            writer.append(hello.protocolVersion)
            writer.appendString(hello.operatorName)
            writer.appendString(hello.instanceId)
            writer.append(hello.instanceIndex)
            writer.append(hello.instanceCount)
            writer.endFrame(startingAt: start)
        case .records(let batchId, let records):
            let start = writer.beginFrame(type: MessageType.records)
            writer.append(batchId)
            writer.append(UInt32(records.count))
            for record in records {
                writer.append(record.inputIndex)
                writer.append(record.partition)
                writer.append(record.offset)
                writer.append(record.timestampMs)
                writer.appendBytes(record.key)
                writer.appendBytes(record.value)
                writer.appendHeaders(record.headers)
            }
            writer.endFrame(startingAt: start)
        case .timers(let batchId, let timers):
            let start = writer.beginFrame(type: MessageType.timers)
            writer.append(batchId)
            writer.appendTimers(timers)
            writer.endFrame(startingAt: start)
        case .stop:
            let start = writer.beginFrame(type: MessageType.stop)
            writer.endFrame(startingAt: start)
        }
    }

    /// The message as one frame (`u32` length included). Traps if it would exceed the 64 MiB frame limit.
    public func encodedFrame() -> [UInt8] {
        var writer = ByteWriter()
        self.encode(into: &writer)
        return writer.bytes
    }

    /// Decodes one whole frame (`u32` length included), refusing anything the protocol does not allow.
    public static func decode(frame bytes: [UInt8]) throws -> RuntimeMessage {
        try bytes.withUnsafeBytes { raw in try Frame.withFrame(in: raw) { try Self.decode($0) } }
    }

    static func decode(_ frame: Frame) throws -> RuntimeMessage {
        var reader = ByteReader(frame.body)
        let message: RuntimeMessage
        switch frame.type {
        case MessageType.hello:
            message = .hello(try Self.readHello(&reader))
        case MessageType.records:
            var parser = RecordsBatchParser()
            let batchId = try parser.parse(frame.body, inputCount: Int(UInt16.max) + 1)
            return .records(
                batchId: batchId, records: parser.slots.map { RecordsBatchParser.wireRecord(frame.body, of: $0) }
            )
        case MessageType.timers:
            let batchId = try reader.read(UInt64.self)
            message = .timers(batchId: batchId, timers: try reader.readTimers())
        case MessageType.stop:
            message = .stop
        default:
            throw OperatorError(.unexpectedMessage, "unknown message type 0x\(String(frame.type, radix: 16)) from the runtime")
        }
        try reader.expectEnd()
        return message
    }

    static func readHello(_ reader: inout ByteReader) throws -> Hello {
        Hello(
            protocolVersion: try reader.read(UInt16.self),
            operatorName: try reader.readString(),
            instanceId: try reader.readString(),
            instanceIndex: try reader.read(UInt32.self),
            instanceCount: try reader.read(UInt32.self)
        )
    }
}

extension OperatorMessage {
    /// Appends this message as one frame. Metadata must have passed `Metadata.validate()`.
    func encode(into writer: inout ByteWriter) {
        switch self {
        case .metadata(let metadata):
            let start = writer.beginFrame(type: MessageType.metadata)
            writer.appendString(metadata.name)
            writer.append(UInt16(metadata.inputs.count))
            for input in metadata.inputs {
                writer.appendString(input.stream)
                writer.append(input.grouping.rawValue)
            }
            writer.append(UInt16(metadata.outputs.count))
            for output in metadata.outputs {
                writer.appendString(output)
            }
            writer.endFrame(startingAt: start)
        case .ready(let timers):
            let start = writer.beginFrame(type: MessageType.ready)
            writer.appendTimers(timers)
            writer.endFrame(startingAt: start)
        case .batchResult(let batchId, let outputs, let timers):
            let start = writer.beginFrame(type: MessageType.batchResult)
            writer.append(batchId)
            writer.append(UInt32(outputs.count))
            for output in outputs {
                writer.append(output.outputIndex)
                writer.appendBytes(output.key)
                writer.appendBytes(output.value)
                writer.appendHeaders(output.headers)
            }
            writer.appendTimers(timers)
            writer.endFrame(startingAt: start)
        case .failed(let batchId, let recordIndex, let error):
            let start = writer.beginFrame(type: MessageType.failed)
            writer.append(batchId)
            writer.append(recordIndex)
            // Cut the text so that the frame stays within the limit whatever the error said.
            let room = OperatorLimits.frameLengthMax - 1 - 8 - 4 - 4
            writer.appendBytes(error.utf8.count <= room ? Array(error.utf8) : Array(error.utf8.prefix(room)))
            writer.endFrame(startingAt: start)
        case .stopped:
            let start = writer.beginFrame(type: MessageType.stopped)
            writer.endFrame(startingAt: start)
        }
    }

    /// The message as one frame (`u32` length included). Traps if it would exceed the 64 MiB frame limit.
    public func encodedFrame() -> [UInt8] {
        var writer = ByteWriter()
        self.encode(into: &writer)
        return writer.bytes
    }

    /// Decodes one whole frame (`u32` length included), refusing anything the protocol does not allow.
    public static func decode(frame bytes: [UInt8]) throws -> OperatorMessage {
        try bytes.withUnsafeBytes { raw in try Frame.withFrame(in: raw) { try Self.decode($0) } }
    }

    static func decode(_ frame: Frame) throws -> OperatorMessage {
        var reader = ByteReader(frame.body)
        let message: OperatorMessage
        switch frame.type {
        case MessageType.metadata:
            let name = try reader.readString()
            let inputCount = try reader.readCount16(elementSizeMin: OperatorLimits.inputSizeMin, of: "inputs")
            var inputs: [Input] = []
            for _ in 0..<inputCount {
                let stream = try reader.readString()
                let groupingByte = try reader.read(UInt8.self)
                guard let grouping = Grouping(rawValue: groupingByte) else {
                    throw OperatorError.malformed("unknown grouping \(groupingByte) for input \(stream)")
                }
                inputs.append(Input(stream, grouping: grouping))
            }
            let outputCount = try reader.readCount16(elementSizeMin: OperatorLimits.streamSizeMin, of: "outputs")
            var outputs: [String] = []
            for _ in 0..<outputCount {
                outputs.append(try reader.readString())
            }
            message = .metadata(Metadata(name: name, inputs: inputs, outputs: outputs))
        case MessageType.ready:
            message = .ready(timers: try reader.readTimers())
        case MessageType.batchResult:
            let batchId = try reader.read(UInt64.self)
            let outputCount = try reader.readCount32(elementSizeMin: OperatorLimits.outputSizeMin, of: "outputs")
            var outputs: [WireOutput] = []
            outputs.reserveCapacity(outputCount)
            for _ in 0..<outputCount {
                let outputIndex = try reader.read(UInt16.self)
                let key = try reader.readBytes()
                let value = try reader.readBytes()
                let headers = try RecordsBatchParser.readHeaders(&reader)
                outputs.append(WireOutput(outputIndex: outputIndex, key: key, value: value, headers: headers))
            }
            message = .batchResult(batchId: batchId, outputs: outputs, timers: try reader.readTimers())
        case MessageType.failed:
            let batchId = try reader.read(UInt64.self)
            let recordIndex = try reader.read(UInt32.self)
            guard let text = try reader.readBytes() else {
                throw OperatorError.malformed("Failed with a null error text")
            }
            message = .failed(batchId: batchId, recordIndex: recordIndex, error: String(decoding: text, as: UTF8.self))
        case MessageType.stopped:
            message = .stopped
        default:
            throw OperatorError(.unexpectedMessage, "unknown message type 0x\(String(frame.type, radix: 16)) from the operator")
        }
        try reader.expectEnd()
        return message
    }
}

extension ByteWriter {
    /// `u32` count, then per timer `bytes` key and `i64` time.
    mutating func appendTimers(_ timers: [WireTimer]) {
        self.append(UInt32(timers.count))
        for timer in timers {
            self.appendBytes(timer.key)
            self.append(timer.timeMs)
        }
    }
}

extension ByteReader {
    mutating func readTimers() throws -> [WireTimer] {
        let count = try self.readCount32(elementSizeMin: OperatorLimits.timerSizeMin, of: "timers")
        var timers: [WireTimer] = []
        timers.reserveCapacity(count)
        for _ in 0..<count {
            let key = try self.readBytes()
            timers.append(WireTimer(key: key, timeMs: try self.read(Int64.self)))
        }
        return timers
    }
}

extension Metadata {
    /// Refuses metadata the protocol cannot carry or the runtime refuses: empty names, names over 65,535 bytes
    /// of UTF-8, more than 65,535 streams, a stream named twice among the inputs or among the outputs.
    func validate() throws {
        func check(_ name: String, _ what: String) throws {
            guard !name.isEmpty else {
                throw OperatorError(.invalidMetadata, "\(what) is empty")
            }
            guard name.utf8.count <= OperatorLimits.stringLengthMax else {
                throw OperatorError(.invalidMetadata, "\(what) is \(name.utf8.count) bytes, over 65,535")
            }
        }
        try check(self.name, "operator name")
        guard self.inputs.count <= OperatorLimits.listCountMax, self.outputs.count <= OperatorLimits.listCountMax else {
            throw OperatorError(.invalidMetadata, "more than 65,535 inputs or outputs")
        }
        for input in self.inputs {
            try check(input.stream, "input stream name")
        }
        for output in self.outputs {
            try check(output, "output stream name")
        }
        let inputStreams = self.inputs.map(\.stream)
        guard Set(inputStreams).count == inputStreams.count else {
            throw OperatorError(.invalidMetadata, "an input stream is declared twice: \(inputStreams)")
        }
        guard Set(self.outputs).count == self.outputs.count else {
            throw OperatorError(.invalidMetadata, "an output stream is declared twice: \(self.outputs)")
        }
    }
}
