/// One record of a batch, as a value that owns its bytes. Decoding a batch into `[Record]` gives
/// absolute offsets and timestamps; hot paths that only look at records use `RecordView` instead and
/// allocate nothing per record.
public struct Record: Equatable, Hashable, Sendable {
    /// The record's absolute offset in its partition (the batch's base offset plus the offset delta).
    public var offset: Int64
    /// Milliseconds since the Unix epoch; for a LogAppendTime batch, the time the broker appended it.
    public var timestampMs: Int64
    /// nil for a null key (length -1 on the wire); an empty array is a present, empty key.
    public var key: [UInt8]?
    /// nil for a null value (a tombstone for compacted topics).
    public var value: [UInt8]?
    public var headers: [RecordHeader]

    public init(
        offset: Int64 = 0, timestampMs: Int64, key: [UInt8]? = nil, value: [UInt8]?, headers: [RecordHeader] = []
    ) {
        self.offset = offset
        self.timestampMs = timestampMs
        self.key = key
        self.value = value
        self.headers = headers
    }
}

/// A record header. Kafka requires the key (a UTF-8 string, never null); the value may be null.
public struct RecordHeader: Equatable, Hashable, Sendable {
    public var key: String
    public var value: [UInt8]?

    public init(key: String, value: [UInt8]?) {
        self.key = key
        self.value = value
    }
}

/// A record seen in place: the key, value and header bytes point into the batch (or into its
/// decompressed records), so they are valid only inside the closure that receives the view.
public struct RecordView {
    public let offset: Int64
    public let timestampMs: Int64
    public let key: UnsafeRawBufferPointer?
    public let value: UnsafeRawBufferPointer?
    /// The header count and the encoded headers, still in wire form; `forEachHeader` walks them.
    public let headerCount: Int
    public let encodedHeaders: UnsafeRawBufferPointer

    /// Visits every header in order. The key and value bytes are valid only inside `body`.
    public func forEachHeader(
        _ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer?) -> Void
    ) {
        var position = 0
        for _ in 0..<self.headerCount {
            // The headers were checked when the view was made, so reading them again cannot fail.
            let key = try! RecordWireReader.readBytes(self.encodedHeaders, at: &position, what: "header key")!
            let value = try! RecordWireReader.readBytes(self.encodedHeaders, at: &position, what: "header value")
            body(key, value)
        }
    }

    /// Copies the view into an owning `Record`.
    public func makeRecord() -> Record {
        var headers: [RecordHeader] = []
        headers.reserveCapacity(self.headerCount)
        self.forEachHeader { key, value in
            headers.append(RecordHeader(key: String(decoding: key, as: UTF8.self), value: value.map { Array($0) }))
        }
        return Record(
            offset: self.offset, timestampMs: self.timestampMs,
            key: self.key.map { Array($0) }, value: self.value.map { Array($0) }, headers: headers
        )
    }
}
