/// Records on their way to an operator, already encoded as the body of a Records frame, with one small
/// entry per record (no allocation per record). A batch can be cut into a prefix and the rest without
/// re-encoding: the records are contiguous in the frame, so a sub-batch is one copy of a byte range.
struct InputBatch: Sendable {
    struct Entry: Sendable {
        var inputIndex: UInt16
        var partition: Int32
        var offset: Int64
        /// Where the record's encoding starts in `frame`.
        var startBytes: Int
    }

    /// A Records frame whose preamble (length, type, batch id, count) is filled in by `frame(batchId:)`.
    private(set) var encoder = FrameEncoder()
    private(set) var entries: [Entry] = []
    /// The records carrying a trace context, by ascending record index (few unless sampling is 1 in 1).
    private(set) var traces: [TracedRecord] = []

    init(reservingCapacityBytes: Int = 0) {
        self.encoder.bytes.reserveCapacity(reservingCapacityBytes + OperatorProtocol.recordsPreambleSizeBytes)
        self.encoder.bytes.append(contentsOf: repeatElement(0, count: OperatorProtocol.recordsPreambleSizeBytes))
    }

    var count: Int { self.entries.count }
    var isEmpty: Bool { self.entries.isEmpty }
    /// The encoded records' size, what `batchBytesMax` bounds.
    var recordsSizeBytes: Int { self.encoder.bytes.count - OperatorProtocol.recordsPreambleSizeBytes }

    var head: BatchRetryPlanner.RecordIdentity? {
        self.entries.first.map { .init(inputIndex: Int($0.inputIndex), partition: $0.partition, offset: $0.offset) }
    }

    func identity(at index: Int) -> BatchRetryPlanner.RecordIdentity {
        let entry = self.entries[index]
        return .init(inputIndex: Int(entry.inputIndex), partition: entry.partition, offset: entry.offset)
    }

    mutating func append(
        inputIndex: UInt16, partition: Int32, offset: Int64, timestampMs: Int64,
        key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer?, trace: TraceStart? = nil,
        headers: (inout FrameEncoder) -> Void
    ) {
        if let trace {
            self.traces.append(TracedRecord(
                recordIndex: self.entries.count, traceId: trace.context.traceId, parentSpanId: trace.parentSpanId,
                spanId: trace.context.spanId, timestampMs: timestampMs
            ))
        }
        self.entries.append(
            Entry(inputIndex: inputIndex, partition: partition, offset: offset, startBytes: self.encoder.bytes.count)
        )
        self.encoder.appendUInt16(inputIndex)
        self.encoder.appendInt32(partition)
        self.encoder.appendInt64(offset)
        self.encoder.appendInt64(timestampMs)
        self.encoder.appendBytes(key)
        self.encoder.appendBytes(value)
        headers(&self.encoder)
    }

    /// The bytes of records [start, end).
    private func recordBytes(_ range: Range<Int>) -> ArraySlice<UInt8> {
        guard !range.isEmpty else { return [] }
        let startBytes = self.entries[range.lowerBound].startBytes
        let endBytes = range.upperBound < self.entries.count
            ? self.entries[range.upperBound].startBytes : self.encoder.bytes.count
        return self.encoder.bytes[startBytes..<endBytes]
    }

    /// Records [range) as a batch of their own.
    func slice(_ range: Range<Int>) -> InputBatch {
        var batch = InputBatch()
        let bytes = self.recordBytes(range)
        let shift = OperatorProtocol.recordsPreambleSizeBytes - (bytes.startIndex)
        batch.encoder.bytes.append(contentsOf: bytes)
        batch.entries.reserveCapacity(range.count)
        for entry in self.entries[range] {
            var moved = entry
            moved.startBytes += shift
            batch.entries.append(moved)
        }
        for trace in self.traces where range.contains(trace.recordIndex) {
            var moved = trace
            moved.recordIndex -= range.lowerBound
            batch.traces.append(moved)
        }
        return batch
    }

    /// The Records frame to send, with `batchId` and the count filled in.
    func frame(batchId: UInt64) -> [UInt8] {
        var bytes = self.encoder.bytes
        let length = UInt32(bytes.count - 4)
        let count = UInt32(self.entries.count)
        bytes.withUnsafeMutableBytes { buffer in
            buffer.storeBytes(of: length.bigEndian, toByteOffset: 0, as: UInt32.self)
            buffer.storeBytes(of: OperatorProtocol.MessageType.records.rawValue, toByteOffset: 4, as: UInt8.self)
            buffer.storeBytes(of: batchId.bigEndian, toByteOffset: 5, as: UInt64.self)
            buffer.storeBytes(of: count.bigEndian, toByteOffset: 13, as: UInt32.self)
        }
        return bytes
    }

    /// Per input partition, the offset after the last record of records [0, end): what to commit.
    func commitPositions(upTo end: Int) -> [InputPartitionKey: Int64] {
        var positions: [InputPartitionKey: Int64] = [:]
        self.forEachRun(in: 0..<end) { key, endOffset in positions[key] = max(positions[key] ?? 0, endOffset) }
        return positions
    }

    /// Records `range` as runs of one input partition each, in order, with the offset each run ends at:
    /// what an `OutputIntent` needs to send exactly these records again. `streams` names inputs by index.
    func runs(in range: Range<Int>, streams: [String]) -> [OutputIntent.InputRun] {
        var runs: [OutputIntent.InputRun] = []
        self.forEachRun(in: range) { key, endOffset in
            runs.append(OutputIntent.InputRun(stream: streams[key.inputIndex], partition: key.partition, endOffset: endOffset))
        }
        return runs
    }

    /// Calls `body` for each run of adjacent records of one input partition in `range`, in order, with the
    /// offset after the run's last record. Records of one partition are mostly adjacent, so callers touch
    /// their dictionaries only where the partition changes.
    private func forEachRun(in range: Range<Int>, _ body: (InputPartitionKey, Int64) -> Void) {
        var index = range.lowerBound
        while index < range.upperBound {
            let entry = self.entries[index]
            var last = index
            while last + 1 < range.upperBound && self.entries[last + 1].inputIndex == entry.inputIndex
                && self.entries[last + 1].partition == entry.partition {
                last += 1
            }
            body(InputPartitionKey(inputIndex: Int(entry.inputIndex), partition: entry.partition), self.entries[last].offset + 1)
            index = last + 1
        }
    }

    /// The record at `index` decoded back (for the dead-letter stream).
    func decodedRecord(at index: Int) -> (timestampMs: Int64, key: [UInt8]?, value: [UInt8]?, headers: [(String, [UInt8]?)]) {
        let bytes = Array(self.recordBytes(index..<index + 1))
        return bytes.withUnsafeBytes { buffer in
            var reader = FrameReader(buffer, position: 2 + 4 + 8)
            let timestampMs = (try? reader.readInt64("timestamp")) ?? -1
            let key = ((try? reader.readBytesView("key")) ?? nil).map { Array($0) }
            let value = ((try? reader.readBytesView("value")) ?? nil).map { Array($0) }
            let headers = BatchResultMessage.decodeHeaders(
                UnsafeRawBufferPointer(rebasing: buffer[reader.position...])
            ).map { ($0.key, $0.value) }
            return (timestampMs, key, value, headers)
        }
    }
}

/// One partition of one declared input.
struct InputPartitionKey: Hashable, Sendable {
    var inputIndex: Int
    var partition: Int32
}
