/// The byte format of one record inside a batch (after decompression), all varints zigzag-encoded:
///
/// ```
/// length          varint   bytes after this field
/// attributes      int8     unused, 0
/// timestampDelta  varlong  record timestamp minus the batch's baseTimestamp
/// offsetDelta     varint   record offset minus the batch's baseOffset
/// keyLength       varint   -1 for a null key
/// key             bytes
/// valueLength     varint   -1 for a null value
/// value           bytes
/// headerCount     varint
/// headers         headerKeyLength varint, headerKey UTF-8, headerValueLength varint (-1 null), headerValue
/// ```
enum RecordWireReader {
    /// Reads a length-prefixed byte string; nil for length -1.
    static func readBytes(
        _ bytes: UnsafeRawBufferPointer, at position: inout Int, what: StaticString
    ) throws(RecordFormatError) -> UnsafeRawBufferPointer? {
        let length = try Varint.readZigZag32(bytes, at: &position)
        if length == -1 { return nil }
        guard length >= 0, Int(length) <= bytes.count - position else {
            throw .malformedRecord("\(what) length \(length) is invalid or past the end of the record")
        }
        let start = position
        position += Int(length)
        return UnsafeRawBufferPointer(rebasing: bytes[start..<position])
    }

    /// Reads the record at `position` of the (decompressed) records section and advances past it.
    /// `logAppendTimeMs` replaces every record's timestamp when the batch uses LogAppendTime.
    static func readRecord(
        _ records: UnsafeRawBufferPointer, at position: inout Int,
        baseOffset: Int64, baseTimestampMs: Int64, logAppendTimeMs: Int64?
    ) throws(RecordFormatError) -> RecordView {
        let length = try Varint.readZigZag32(records, at: &position)
        guard length > 0, Int(length) <= records.count - position else {
            throw .malformedRecord("record length \(length) is invalid or past the end of the batch")
        }
        let body = UnsafeRawBufferPointer(rebasing: records[position..<position + Int(length)])
        position += Int(length)

        var cursor = 1  // The attributes byte is unused in magic 2.
        let timestampDelta = try Varint.readZigZag64(body, at: &cursor)
        let offsetDelta = try Varint.readZigZag32(body, at: &cursor)
        let key = try self.readBytes(body, at: &cursor, what: "key")
        let value = try self.readBytes(body, at: &cursor, what: "value")
        let headerCount = try Varint.readZigZag32(body, at: &cursor)
        // Each header takes at least two bytes, which bounds the count before any loop runs.
        guard headerCount >= 0, Int(headerCount) <= (body.count - cursor) / 2 else {
            throw .malformedRecord("header count \(headerCount) is invalid")
        }
        let headersStart = cursor
        for _ in 0..<headerCount {
            guard try self.readBytes(body, at: &cursor, what: "header key") != nil else {
                throw .malformedRecord("header key is null")
            }
            _ = try self.readBytes(body, at: &cursor, what: "header value")
        }
        guard cursor == body.count else {
            throw .malformedRecord("record has \(body.count - cursor) bytes past its last header")
        }
        return RecordView(
            offset: baseOffset &+ Int64(offsetDelta),
            timestampMs: logAppendTimeMs ?? baseTimestampMs &+ timestampDelta,
            key: key, value: value, headerCount: Int(headerCount),
            encodedHeaders: UnsafeRawBufferPointer(rebasing: body[headersStart..<cursor])
        )
    }
}

enum RecordWireWriter {
    /// The size of a record's body (everything after its length varint).
    static func bodySizeBytes(
        timestampDelta: Int64, offsetDelta: Int32, key: [UInt8]?, value: [UInt8]?, headers: [RecordHeader]
    ) -> Int {
        var size = 1
        size += Varint.sizeBytes(zigZag: timestampDelta)
        size += Varint.sizeBytes(zigZag: Int64(offsetDelta))
        size += self.sizeBytes(of: key)
        size += self.sizeBytes(of: value)
        size += Varint.sizeBytes(zigZag: Int64(headers.count))
        for header in headers {
            let keyLength = header.key.utf8.count
            size += Varint.sizeBytes(zigZag: Int64(keyLength)) + keyLength
            size += self.sizeBytes(of: header.value)
        }
        return size
    }

    /// Appends the whole record, length prefix included; `bodySizeBytes` must come from `bodySizeBytes(...)`.
    static func appendRecord(
        bodySizeBytes: Int, timestampDelta: Int64, offsetDelta: Int32,
        key: [UInt8]?, value: [UInt8]?, headers: [RecordHeader], to bytes: inout [UInt8]
    ) {
        Varint.appendZigZag(Int32(bodySizeBytes), to: &bytes)
        let bodyStart = bytes.count
        bytes.append(0)
        Varint.appendZigZag(timestampDelta, to: &bytes)
        Varint.appendZigZag(offsetDelta, to: &bytes)
        self.appendBytes(key, to: &bytes)
        self.appendBytes(value, to: &bytes)
        Varint.appendZigZag(Int32(headers.count), to: &bytes)
        for header in headers {
            Varint.appendZigZag(Int32(header.key.utf8.count), to: &bytes)
            bytes.append(contentsOf: header.key.utf8)
            self.appendBytes(header.value, to: &bytes)
        }
        assert(bytes.count - bodyStart == bodySizeBytes, "record body size disagrees with its length prefix")
    }

    private static func sizeBytes(of field: [UInt8]?) -> Int {
        guard let field else { return 1 }
        return Varint.sizeBytes(zigZag: Int64(field.count)) + field.count
    }

    private static func appendBytes(_ field: [UInt8]?, to bytes: inout [UInt8]) {
        guard let field else {
            Varint.appendZigZag(Int32(-1), to: &bytes)
            return
        }
        Varint.appendZigZag(Int32(field.count), to: &bytes)
        bytes.append(contentsOf: field)
    }
}
