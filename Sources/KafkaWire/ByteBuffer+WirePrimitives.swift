import NIOCore
import SluiceModel

// Kafka's scalar wire types: big-endian fixed-width integers, booleans, uuids and unsigned varints.
// Readers take the field name so that a truncation error says which field ran out of bytes.
extension ByteBuffer {
    mutating func readWireInteger<Value: FixedWidthInteger>(_ field: String, as: Value.Type = Value.self) throws -> Value {
        guard let value = self.readInteger(endianness: .big, as: Value.self) else {
            throw KafkaWireError.truncated(field, neededBytes: MemoryLayout<Value>.size, readableBytes: self.readableBytes)
        }
        return value
    }

    mutating func readWireInt8(_ field: String) throws -> Int8 { try self.readWireInteger(field) }
    mutating func readWireInt16(_ field: String) throws -> Int16 { try self.readWireInteger(field) }
    mutating func readWireInt32(_ field: String) throws -> Int32 { try self.readWireInteger(field) }
    mutating func readWireInt64(_ field: String) throws -> Int64 { try self.readWireInteger(field) }

    /// Kafka's `bool` is one byte; any non-zero value reads as true, as in Kafka's own reader.
    mutating func readWireBool(_ field: String) throws -> Bool {
        let byte: UInt8 = try self.readWireInteger(field)
        return byte != 0
    }

    mutating func writeWireBool(_ value: Bool) {
        self.writeInteger(value ? UInt8(1) : UInt8(0))
    }

    mutating func readWireUUID(_ field: String) throws -> KafkaUUID {
        let high: UInt64 = try self.readWireInteger(field)
        let low: UInt64 = try self.readWireInteger(field)
        return KafkaUUID(mostSignificantBits: high, leastSignificantBits: low)
    }

    mutating func writeWireUUID(_ value: KafkaUUID) {
        self.writeInteger(value.mostSignificantBits)
        self.writeInteger(value.leastSignificantBits)
    }

    /// Reads an unsigned varint of at most 5 bytes (the 32-bit form Kafka uses for lengths and tags).
    mutating func readUnsignedVarint(_ field: String) throws -> UInt32 {
        var result: UInt32 = 0
        var shift: UInt32 = 0
        for index in 0..<5 {
            guard let byte = self.readInteger(as: UInt8.self) else {
                throw KafkaWireError.truncated(field, neededBytes: index + 1, readableBytes: index)
            }
            // The fifth byte may only carry the 4 bits left of a 32-bit value.
            if index == 4 && byte > 0x0f {
                break
            }
            result |= UInt32(byte & 0x7f) << shift
            if byte & 0x80 == 0 {
                return result
            }
            shift += 7
        }
        throw KafkaWireError(code: .invalidVarint, message: "\(field): unsigned varint longer than 32 bits")
    }

    mutating func writeUnsignedVarint(_ value: UInt32) {
        var remaining = value
        while remaining >= 0x80 {
            self.writeInteger(UInt8(truncatingIfNeeded: remaining) | 0x80)
            remaining >>= 7
        }
        self.writeInteger(UInt8(remaining))
    }

    /// The number of bytes `writeUnsignedVarint(value)` writes.
    static func unsignedVarintSizeBytes(_ value: UInt32) -> Int {
        var size = 1
        var remaining = value >> 7
        while remaining != 0 {
            size += 1
            remaining >>= 7
        }
        return size
    }
}
