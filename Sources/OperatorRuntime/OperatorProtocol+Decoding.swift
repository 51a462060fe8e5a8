/// Decoding of the operator's messages. Every length and count is checked against the rest of the frame
/// before anything is allocated, and a frame with bytes left over is refused: a garbage-writing operator
/// is reported and killed, never trusted.
struct OperatorProtocolError: Error, CustomStringConvertible {
    var message: String
    var description: String { self.message }
}

/// What the operator declares in its Metadata.
struct OperatorMetadata: Sendable, Equatable {
    struct Input: Sendable, Equatable {
        var stream: String
        /// 0 shuffle, 1 group by key.
        var grouping: UInt8
    }

    var name: String
    var inputs: [Input]
    var outputs: [String]
}

/// A BatchResult, kept as its body bytes: the appender walks the outputs in place (`forEachOutput`), so a
/// large result costs no allocation per output record until it is encoded into a log batch.
struct BatchResultMessage: Sendable {
    var batchId: UInt64
    var outputCount: Int
    var timers: [OperatorTimer]
    /// The frame body (after the type byte).
    var body: [UInt8]
    /// Where the outputs start in `body`.
    var outputsStart: Int
}

enum OperatorMessage: Sendable {
    case metadata(OperatorMetadata)
    /// Ready, with the timers the operator set in init.
    case ready(timers: [OperatorTimer])
    case batchResult(BatchResultMessage)
    case failed(batchId: UInt64, recordIndex: UInt32?, error: String)
    case stopped
}

/// Bounds-checked big-endian reads over a frame body.
struct FrameReader {
    let bytes: UnsafeRawBufferPointer
    var position = 0

    init(_ bytes: UnsafeRawBufferPointer, position: Int = 0) {
        self.bytes = bytes
        self.position = position
    }

    var remaining: Int { self.bytes.count - self.position }

    private mutating func take(_ count: Int, _ what: String) throws(OperatorProtocolError) -> Int {
        guard count >= 0, count <= self.remaining else {
            throw OperatorProtocolError(message: "\(what): \(count) bytes needed, \(self.remaining) left in the frame")
        }
        defer { self.position += count }
        return self.position
    }

    mutating func readUInt8(_ what: String) throws(OperatorProtocolError) -> UInt8 {
        self.bytes[try self.take(1, what)]
    }

    mutating func readUInt16(_ what: String) throws(OperatorProtocolError) -> UInt16 {
        let start = try self.take(2, what)
        return UInt16(self.bytes[start]) << 8 | UInt16(self.bytes[start + 1])
    }

    mutating func readUInt32(_ what: String) throws(OperatorProtocolError) -> UInt32 {
        let start = try self.take(4, what)
        var value: UInt32 = 0
        for index in 0..<4 { value = value << 8 | UInt32(self.bytes[start + index]) }
        return value
    }

    mutating func readUInt64(_ what: String) throws(OperatorProtocolError) -> UInt64 {
        let start = try self.take(8, what)
        var value: UInt64 = 0
        for index in 0..<8 { value = value << 8 | UInt64(self.bytes[start + index]) }
        return value
    }

    mutating func readInt64(_ what: String) throws(OperatorProtocolError) -> Int64 {
        Int64(bitPattern: try self.readUInt64(what))
    }

    mutating func readString(_ what: String) throws(OperatorProtocolError) -> String {
        let count = Int(try self.readUInt16(what))
        let start = try self.take(count, what)
        return String(decoding: UnsafeRawBufferPointer(rebasing: self.bytes[start..<start + count]), as: UTF8.self)
    }

    /// A `bytes` field as a view into the frame; nil for null.
    mutating func readBytesView(_ what: String) throws(OperatorProtocolError) -> UnsafeRawBufferPointer? {
        let length = try self.readUInt32(what)
        if length == OperatorProtocol.nullLength { return nil }
        let start = try self.take(Int(length), what)
        return UnsafeRawBufferPointer(rebasing: self.bytes[start..<start + Int(length)])
    }

    mutating func skipHeaders(_ what: String) throws(OperatorProtocolError) {
        let count = Int(try self.readUInt16(what))
        // Each header takes at least 6 bytes (an empty key and a null value).
        guard count * 6 <= self.remaining else { throw OperatorProtocolError(message: "\(what): count \(count) too large") }
        for _ in 0..<count {
            _ = try self.readString(what)
            _ = try self.readBytesView(what)
        }
    }

    func expectEnd(_ what: String) throws(OperatorProtocolError) {
        guard self.remaining == 0 else {
            throw OperatorProtocolError(message: "\(what): \(self.remaining) bytes left over after the body")
        }
    }
}

extension OperatorProtocol {
    /// Decodes one frame's type byte and body.
    static func decode(type: UInt8, body: [UInt8]) throws -> OperatorMessage {
        guard let messageType = MessageType(rawValue: type) else {
            throw OperatorProtocolError(message: "unknown message type 0x\(String(type, radix: 16))")
        }
        return try body.withUnsafeBytes { (bytes) throws -> OperatorMessage in
            var reader = FrameReader(bytes)
            switch messageType {
            case .metadata:
                let name = try reader.readString("metadata name")
                let inputCount = Int(try reader.readUInt16("input count"))
                guard inputCount * 3 <= reader.remaining else { throw OperatorProtocolError(message: "input count too large") }
                var inputs: [OperatorMetadata.Input] = []
                for _ in 0..<inputCount {
                    let stream = try reader.readString("input stream")
                    inputs.append(.init(stream: stream, grouping: try reader.readUInt8("input grouping")))
                }
                let outputCount = Int(try reader.readUInt16("output count"))
                guard outputCount * 2 <= reader.remaining else { throw OperatorProtocolError(message: "output count too large") }
                var outputs: [String] = []
                for _ in 0..<outputCount { outputs.append(try reader.readString("output stream")) }
                try reader.expectEnd("Metadata")
                return .metadata(OperatorMetadata(name: name, inputs: inputs, outputs: outputs))
            case .ready:
                let timers = try Self.decodeTimers(&reader)
                try reader.expectEnd("Ready")
                return .ready(timers: timers)
            case .batchResult:
                return .batchResult(try self.decodeBatchResult(body: body, bytes: bytes))
            case .failed:
                let batchId = try reader.readUInt64("failed batch id")
                let index = try reader.readUInt32("failed record index")
                let text = try reader.readBytesView("failed error text").map { String(decoding: $0, as: UTF8.self) } ?? ""
                try reader.expectEnd("Failed")
                return .failed(batchId: batchId, recordIndex: index == Self.noRecordIndex ? nil : index, error: text)
            case .stopped:
                try reader.expectEnd("Stopped")
                return .stopped
            case .hello, .records, .timers, .stop:
                throw OperatorProtocolError(message: "message type \(messageType) goes to operators, not from them")
            }
        }
    }

    /// `u32` count, then per timer `bytes` key and `i64` time.
    private static func decodeTimers(_ reader: inout FrameReader) throws(OperatorProtocolError) -> [OperatorTimer] {
        let timerCount = Int(try reader.readUInt32("timer count"))
        // A timer takes at least 12 bytes (a null key and the time).
        guard timerCount * 12 <= reader.remaining else {
            throw OperatorProtocolError(message: "timer count \(timerCount) does not fit in the frame")
        }
        var timers: [OperatorTimer] = []
        timers.reserveCapacity(timerCount)
        for _ in 0..<timerCount {
            let key = try reader.readBytesView("timer key").map { Array($0) }
            timers.append(OperatorTimer(key: key, timeMs: try reader.readInt64("timer time")))
        }
        return timers
    }

    /// Validates a BatchResult's structure once (on the reader thread) and collects its timers.
    private static func decodeBatchResult(
        body: [UInt8], bytes: UnsafeRawBufferPointer
    ) throws(OperatorProtocolError) -> BatchResultMessage {
        var reader = FrameReader(bytes)
        let batchId = try reader.readUInt64("batch id")
        let outputCount = Int(try reader.readUInt32("output count"))
        // An output takes at least 12 bytes: index, two null bytes fields, no headers.
        guard outputCount * 12 <= reader.remaining else {
            throw OperatorProtocolError(message: "output count \(outputCount) does not fit in the frame")
        }
        let outputsStart = reader.position
        for _ in 0..<outputCount {
            _ = try reader.readUInt16("output index")
            _ = try reader.readBytesView("output key")
            _ = try reader.readBytesView("output value")
            try reader.skipHeaders("output headers")
        }
        let timers = try Self.decodeTimers(&reader)
        try reader.expectEnd("BatchResult")
        return BatchResultMessage(
            batchId: batchId, outputCount: outputCount, timers: timers, body: body, outputsStart: outputsStart
        )
    }
}

extension BatchResultMessage {
    /// Visits the outputs in order; the views are valid only inside `body`. The structure was validated
    /// when the message was decoded.
    func forEachOutput(
        _ visit: (_ outputIndex: Int, _ key: UnsafeRawBufferPointer?, _ value: UnsafeRawBufferPointer?,
                  _ headers: UnsafeRawBufferPointer) throws -> Void
    ) throws {
        try self.body.withUnsafeBytes { bytes in
            var reader = FrameReader(bytes, position: self.outputsStart)
            for _ in 0..<self.outputCount {
                let index = Int(try reader.readUInt16("output index"))
                let key = try reader.readBytesView("output key")
                let value = try reader.readBytesView("output value")
                let headersStart = reader.position
                try reader.skipHeaders("output headers")
                try visit(index, key, value, UnsafeRawBufferPointer(rebasing: bytes[headersStart..<reader.position]))
            }
        }
    }

    /// Decodes headers in the protocol's encoding (u16 count, string key, bytes value).
    static func decodeHeaders(_ encoded: UnsafeRawBufferPointer) -> [(key: String, value: [UInt8]?)] {
        var reader = FrameReader(encoded)
        guard let count = try? reader.readUInt16("headers") else { return [] }
        var headers: [(key: String, value: [UInt8]?)] = []
        for _ in 0..<count {
            // A null value is a header too; only a value that cannot be read ends the list.
            guard let key = try? reader.readString("header key") else { break }
            let value: UnsafeRawBufferPointer?
            do { value = try reader.readBytesView("header value") } catch { break }
            headers.append((key: key, value: value.map { Array($0) }))
        }
        return headers
    }
}
