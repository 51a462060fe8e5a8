import NIOCore
import SluiceModel

// Kafka's variable-length types: (compact) strings and (compact) bytes. Classic forms carry a signed
// length (-1 = null); compact forms (flexible versions) carry an unsigned varint of length + 1 (0 = null).
// Every length is checked against its limit and against the readable bytes before anything is read.
extension ByteBuffer {
    /// Reads a length prefix and returns nil for the null marker, the length otherwise, checked against
    /// `maximum` and against the bytes that remain.
    private mutating func readWireLength(_ field: String, compact: Bool, classicWidth32: Bool, maximum: Int) throws -> Int? {
        let length: Int
        if compact {
            let encoded = try self.readUnsignedVarint(field)
            if encoded == 0 {
                return nil
            }
            length = Int(encoded) - 1
        } else if classicWidth32 {
            length = Int(try self.readWireInt32(field))
        } else {
            length = Int(try self.readWireInt16(field))
        }
        if length == -1 && !compact {
            return nil
        }
        guard length >= 0, length <= maximum else {
            throw KafkaWireError.lengthOutOfRange(field, length: length, maximum: maximum)
        }
        guard length <= self.readableBytes else {
            throw KafkaWireError.truncated(field, neededBytes: length, readableBytes: self.readableBytes)
        }
        return length
    }

    mutating func readWireNullableString(_ field: String, compact: Bool) throws -> String? {
        guard let length = try self.readWireLength(
            field, compact: compact, classicWidth32: false, maximum: Limits.wireStringLengthMax
        ) else {
            return nil
        }
        return self.readString(length: length)
    }

    mutating func readWireString(_ field: String, compact: Bool) throws -> String {
        guard let value = try self.readWireNullableString(field, compact: compact) else {
            throw KafkaWireError.unexpectedNull(field)
        }
        return value
    }

    mutating func writeWireNullableString(_ value: String?, compact: Bool) {
        guard let value else {
            if compact {
                self.writeUnsignedVarint(0)
            } else {
                self.writeInteger(Int16(-1))
            }
            return
        }
        self.writeWireString(value, compact: compact)
    }

    mutating func writeWireString(_ value: String, compact: Bool) {
        let length = value.utf8.count
        if compact {
            self.writeUnsignedVarint(UInt32(length + 1))
        } else {
            precondition(length <= Int(Int16.max), "a classic Kafka string is at most 32767 bytes")
            self.writeInteger(Int16(length))
        }
        self.writeString(value)
    }

    /// Reads `bytes`/`records` as a slice of this buffer: no copy, the storage is shared.
    mutating func readWireNullableBytes(_ field: String, compact: Bool) throws -> ByteBuffer? {
        guard let length = try self.readWireLength(
            field, compact: compact, classicWidth32: true, maximum: Limits.responseFrameSizeBytesMax
        ) else {
            return nil
        }
        return self.readSlice(length: length)
    }

    mutating func readWireBytes(_ field: String, compact: Bool) throws -> ByteBuffer {
        guard let value = try self.readWireNullableBytes(field, compact: compact) else {
            throw KafkaWireError.unexpectedNull(field)
        }
        return value
    }

    /// Writes only the length prefix of a `bytes` field; the caller supplies `sizeBytes` bytes after it.
    mutating func writeWireBytesLength(_ sizeBytes: Int?, compact: Bool) {
        guard let sizeBytes else {
            if compact {
                self.writeUnsignedVarint(0)
            } else {
                self.writeInteger(Int32(-1))
            }
            return
        }
        precondition(sizeBytes >= 0 && sizeBytes < Int(Int32.max), "a Kafka bytes field is sized by an int32")
        if compact {
            self.writeUnsignedVarint(UInt32(sizeBytes + 1))
        } else {
            self.writeInteger(Int32(sizeBytes))
        }
    }

    mutating func writeWireNullableBytes(_ value: ByteBuffer?, compact: Bool) {
        self.writeWireBytesLength(value?.readableBytes, compact: compact)
        if var value {
            self.writeBuffer(&value)
        }
    }

    mutating func writeWireBytes(_ value: ByteBuffer, compact: Bool) {
        self.writeWireNullableBytes(value, compact: compact)
    }
}
