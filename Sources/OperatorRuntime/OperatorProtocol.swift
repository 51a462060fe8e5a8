/// The operator protocol, version 1 (Docs/operator-protocol.md): message types, frame bounds and the
/// encoding of the runtime's messages. Decoding of the operator's messages is in
/// `OperatorProtocol+Decoding.swift`.
enum OperatorProtocol {
    static let version: UInt16 = 1
    /// Largest frame in either direction (the length field counts the type byte and the body).
    static let frameSizeBytesMax = 64 * 1024 * 1024
    /// Bytes before a frame's body: the u32 length and the type byte.
    static let frameHeaderSizeBytes = 5
    /// Bytes of a Records frame before its first record: frame header, batch id, count.
    static let recordsPreambleSizeBytes = frameHeaderSizeBytes + 8 + 4
    static let nullLength: UInt32 = 0xFFFF_FFFF
    static let noRecordIndex: UInt32 = 0xFFFF_FFFF

    enum MessageType: UInt8 {
        case hello = 0x01
        case records = 0x03
        case timers = 0x04
        case stop = 0x05
        case metadata = 0x81
        case ready = 0x82
        case batchResult = 0x83
        case failed = 0x84
        case stopped = 0x85
    }

    static func helloFrame(name: String, instanceId: String, instanceIndex: UInt32, instanceCount: UInt32) -> [UInt8] {
        var body = FrameEncoder()
        body.appendUInt16(self.version)
        body.appendString(name)
        body.appendString(instanceId)
        body.appendUInt32(instanceIndex)
        body.appendUInt32(instanceCount)
        return body.frame(type: .hello)
    }

    static func timersFrame(batchId: UInt64, timers: [OperatorTimer]) -> [UInt8] {
        var body = FrameEncoder()
        body.appendUInt64(batchId)
        body.appendUInt32(UInt32(timers.count))
        for timer in timers {
            body.appendBytes(timer.key)
            body.appendInt64(timer.timeMs)
        }
        return body.frame(type: .timers)
    }

    static func stopFrame() -> [UInt8] {
        FrameEncoder().frame(type: .stop)
    }
}

/// A timer an operator asked for: fired in a Timers batch at or after `timeMs` (wall clock).
struct OperatorTimer: Hashable, Sendable, Codable {
    var key: [UInt8]?
    var timeMs: Int64
}

/// Appends big-endian fields to a byte array; `frame(type:)` prefixes the length and type.
struct FrameEncoder {
    var bytes: [UInt8] = []

    mutating func appendUInt8(_ value: UInt8) { self.bytes.append(value) }

    mutating func appendUInt16(_ value: UInt16) {
        self.bytes.append(UInt8(truncatingIfNeeded: value >> 8))
        self.bytes.append(UInt8(truncatingIfNeeded: value))
    }

    mutating func appendUInt32(_ value: UInt32) {
        withUnsafeBytes(of: value.bigEndian) { self.bytes.append(contentsOf: $0) }
    }

    mutating func appendUInt64(_ value: UInt64) {
        withUnsafeBytes(of: value.bigEndian) { self.bytes.append(contentsOf: $0) }
    }

    mutating func appendInt32(_ value: Int32) { self.appendUInt32(UInt32(bitPattern: value)) }
    mutating func appendInt64(_ value: Int64) { self.appendUInt64(UInt64(bitPattern: value)) }

    mutating func appendString(_ text: String) {
        // Names and ids are short; a longer string is cut at the u16 bound rather than mis-framed.
        let utf8 = Array(text.utf8.prefix(Int(UInt16.max)))
        self.appendUInt16(UInt16(utf8.count))
        self.bytes.append(contentsOf: utf8)
    }

    mutating func appendBytes(_ value: [UInt8]?) {
        guard let value else {
            self.appendUInt32(OperatorProtocol.nullLength)
            return
        }
        self.appendUInt32(UInt32(value.count))
        self.bytes.append(contentsOf: value)
    }

    mutating func appendBytes(_ value: UnsafeRawBufferPointer?) {
        guard let value else {
            self.appendUInt32(OperatorProtocol.nullLength)
            return
        }
        self.appendUInt32(UInt32(value.count))
        self.bytes.append(contentsOf: value)
    }

    func frame(type: OperatorProtocol.MessageType) -> [UInt8] {
        var frame: [UInt8] = []
        frame.reserveCapacity(self.bytes.count + OperatorProtocol.frameHeaderSizeBytes)
        withUnsafeBytes(of: UInt32(self.bytes.count + 1).bigEndian) { frame.append(contentsOf: $0) }
        frame.append(type.rawValue)
        frame.append(contentsOf: self.bytes)
        return frame
    }
}
