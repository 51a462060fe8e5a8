import NIOCore
import SluiceModel

// Kafka's arrays and tagged fields. Array counts are checked against `Limits.wireArrayCountMax` and
// against the readable bytes (every element takes at least one byte) before any storage is reserved,
// so a forged count cannot make the reader allocate more than the frame it already holds.
extension ByteBuffer {
    private mutating func readWireCount(_ field: String, compact: Bool) throws -> Int? {
        let count: Int
        if compact {
            let encoded = try self.readUnsignedVarint(field)
            if encoded == 0 {
                return nil
            }
            count = Int(encoded) - 1
        } else {
            count = Int(try self.readWireInt32(field))
            if count == -1 {
                return nil
            }
        }
        guard count >= 0, count <= Limits.wireArrayCountMax else {
            throw KafkaWireError.countOutOfRange(field, count: count, maximum: Limits.wireArrayCountMax)
        }
        guard count <= self.readableBytes else {
            throw KafkaWireError.truncated(field, neededBytes: count, readableBytes: self.readableBytes)
        }
        return count
    }

    mutating func readWireNullableArray<Element>(
        _ field: String,
        compact: Bool,
        _ readElement: (inout ByteBuffer) throws -> Element
    ) throws -> [Element]? {
        guard let count = try self.readWireCount(field, compact: compact) else {
            return nil
        }
        var elements: [Element] = []
        elements.reserveCapacity(count)
        for _ in 0..<count {
            elements.append(try readElement(&self))
        }
        return elements
    }

    mutating func readWireArray<Element>(
        _ field: String,
        compact: Bool,
        _ readElement: (inout ByteBuffer) throws -> Element
    ) throws -> [Element] {
        guard let elements = try self.readWireNullableArray(field, compact: compact, readElement) else {
            throw KafkaWireError.unexpectedNull(field)
        }
        return elements
    }

    mutating func writeWireArrayCount(_ count: Int?, compact: Bool) {
        guard let count else {
            if compact {
                self.writeUnsignedVarint(0)
            } else {
                self.writeInteger(Int32(-1))
            }
            return
        }
        if compact {
            self.writeUnsignedVarint(UInt32(count + 1))
        } else {
            self.writeInteger(Int32(count))
        }
    }

    mutating func writeWireNullableArray<Element>(
        _ elements: [Element]?,
        compact: Bool,
        _ writeElement: (inout ByteBuffer, Element) -> Void
    ) {
        self.writeWireArrayCount(elements?.count, compact: compact)
        for element in elements ?? [] {
            writeElement(&self, element)
        }
    }

    mutating func writeWireArray<Element>(
        _ elements: [Element],
        compact: Bool,
        _ writeElement: (inout ByteBuffer, Element) -> Void
    ) {
        self.writeWireNullableArray(elements, compact: compact, writeElement)
    }

    // MARK: - Tagged fields

    /// Reads a tagged-field section. `readField` gets each field's tag and a slice holding exactly its
    /// value; it returns whether it knew the tag. Unknown tags are skipped, as the protocol requires.
    /// Tags must strictly increase, as Kafka's own reader demands.
    mutating func readTaggedFields(
        _ field: String,
        _ readField: (_ tag: UInt32, _ value: inout ByteBuffer) throws -> Void = { _, _ in }
    ) throws {
        // Field names are passed as they are and only decorated on error: this runs once per decoded
        // structure in flexible versions, so building strings here would allocate on the hot path.
        let count = Int(try self.readUnsignedVarint(field))
        if count == 0 {
            return
        }
        guard count <= Limits.taggedFieldCountMax, count <= self.readableBytes else {
            throw KafkaWireError.countOutOfRange(
                "\(field).taggedFields", count: count, maximum: min(Limits.taggedFieldCountMax, self.readableBytes)
            )
        }
        var previousTag: Int64 = -1
        for _ in 0..<count {
            let tag = try self.readUnsignedVarint(field)
            guard Int64(tag) > previousTag else {
                throw KafkaWireError(
                    code: .invalidTaggedFields, message: "\(field): tag \(tag) follows tag \(previousTag)"
                )
            }
            previousTag = Int64(tag)
            let size = Int(try self.readUnsignedVarint(field))
            guard var value = self.readSlice(length: size) else {
                throw KafkaWireError.truncated("\(field).tag\(tag)", neededBytes: size, readableBytes: self.readableBytes)
            }
            try readField(tag, &value)
        }
    }

    mutating func writeEmptyTaggedFields() {
        self.writeUnsignedVarint(0)
    }

    /// Writes a tagged-field section from values already encoded, in ascending tag order.
    mutating func writeTaggedFields(_ fields: [(tag: UInt32, value: ByteBuffer)]) {
        self.writeUnsignedVarint(UInt32(fields.count))
        for (tag, field) in fields {
            var value = field
            self.writeUnsignedVarint(tag)
            self.writeUnsignedVarint(UInt32(value.readableBytes))
            self.writeBuffer(&value)
        }
    }

    /// Encodes one tagged field's value on its own, so its size can prefix it.
    static func taggedValue(_ write: (inout ByteBuffer) -> Void) -> ByteBuffer {
        var value = ByteBufferAllocator().buffer(capacity: 16)
        write(&value)
        return value
    }
}
