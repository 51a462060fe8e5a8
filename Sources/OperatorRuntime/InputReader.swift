import LogStore
import RecordFormat
import SluiceModel

/// Reads an operator's inputs from the logs into `InputBatch`es: whole stored batches through
/// `PartitionLog.read`, records visited in place (`RecordBatchDecoder.forEachRecord`) and encoded straight
/// into the Records frame. Keeps the read position of every input partition (ahead of the committed one
/// while a batch is in flight) and wakes its owner through append listeners, never by polling.
final class InputReader: @unchecked Sendable {
    struct Source {
        var key: InputPartitionKey
        var stream: String
        var log: PartitionLog
        /// The next offset to read.
        var position: Int64
    }

    /// Only touched by the owning supervisor (an actor), so no lock.
    private(set) var sources: [Source]
    private var tokens: [(PartitionLog, AppendListenerToken)] = []
    /// Where the next batch starts looking, so that a busy partition cannot starve the others.
    private var nextSourceIndex = 0
    private let onEvent: @Sendable (String) -> Void
    /// Picks the records without a trace context that start a trace (see `InputReader+Tracing.swift`).
    private var sampler: TraceSampler

    init(
        sources: [Source], traceSampleEvery: Int = 0, onAppend: @escaping @Sendable () -> Void,
        onEvent: @escaping @Sendable (String) -> Void
    ) {
        self.sources = sources
        self.sampler = TraceSampler(sampleEvery: traceSampleEvery)
        self.onEvent = onEvent
        for source in sources {
            self.tokens.append((source.log, source.log.addAppendListener { _ in onAppend() }))
        }
    }

    func close() {
        for (log, token) in self.tokens { log.removeAppendListener(token) }
        self.tokens.removeAll()
    }

    deinit { self.close() }

    var hasInput: Bool {
        self.sources.contains { $0.position < $0.log.logEndOffset.rawValue }
    }

    /// Appends records to `batch` until a bound is reached or the inputs are drained.
    func fill(_ batch: inout InputBatch, recordsMax: Int, bytesMax: Int) {
        guard !self.sources.isEmpty else { return }
        let first = self.nextSourceIndex
        self.nextSourceIndex = (self.nextSourceIndex + 1) % self.sources.count
        for step in 0..<self.sources.count {
            let index = (first + step) % self.sources.count
            guard batch.count < recordsMax, batch.recordsSizeBytes < bytesMax else { return }
            self.fill(&batch, from: index, recordsMax: recordsMax, bytesMax: bytesMax)
        }
    }

    /// Appends exactly the records of `runs`, in order (a batch sent again after a broker crash, see
    /// `OutputIntent`): each run reads its partition from where it stands up to the run's end offset.
    /// Returns false when a run names a partition this reader does not have.
    func fill(_ batch: inout InputBatch, runs: [OutputIntent.InputRun]) -> Bool {
        for run in runs {
            guard let index = self.sources.firstIndex(where: { $0.stream == run.stream && $0.key.partition == run.partition }) else {
                return false
            }
            self.fill(&batch, from: index, recordsMax: .max, bytesMax: .max, endOffset: run.endOffset)
        }
        return true
    }

    private func fill(_ batch: inout InputBatch, from index: Int, recordsMax: Int, bytesMax: Int, endOffset: Int64 = .max) {
        var source = self.sources[index]
        defer { self.sources[index] = source }
        while batch.count < recordsMax && batch.recordsSizeBytes < bytesMax {
            guard source.position < min(source.log.logEndOffset.rawValue, endOffset) else { return }
            let stored: [UInt8]
            do {
                let result = try source.log.read(
                    from: Offset(source.position), maxBytes: bytesMax - batch.recordsSizeBytes, minOneBatch: true
                )
                guard let slice = result.slice else { return }
                stored = try slice.readBytes()
            } catch let error as StorageError where error.code == .offsetOutOfRange {
                // Retention removed what the operator had not read yet: go on from the log start.
                let start = source.log.logStartOffset.rawValue
                self.onEvent("\(source.stream)-\(source.key.partition): offset \(source.position) is gone, skipping to \(start)")
                guard start > source.position else { return }
                source.position = start
                continue
            } catch {
                self.onEvent("\(source.stream)-\(source.key.partition): read failed: \(error)")
                return
            }
            let before = source.position
            self.decode(stored, into: &batch, source: &source, recordsMax: recordsMax, bytesMax: bytesMax, endOffset: endOffset)
            if source.position == before { return }
        }
    }

    /// Walks the stored batches in `stored`, adding the records at or after the source's position.
    private func decode(
        _ stored: [UInt8], into batch: inout InputBatch, source: inout Source, recordsMax: Int, bytesMax: Int,
        endOffset: Int64
    ) {
        stored.withUnsafeBytes { bytes in
            var start = 0
            while start + RecordBatchHeader.sizeBytes <= bytes.count {
                let view = UnsafeRawBufferPointer(rebasing: bytes[start...])
                guard let header = try? RecordBatchHeader(parsing: view), header.totalSizeBytes <= view.count else { return }
                let batchBytes = UnsafeRawBufferPointer(rebasing: view[0..<header.totalSizeBytes])
                start += header.totalSizeBytes
                if header.lastOffset < source.position { continue }
                if header.attributes.isControl {
                    source.position = header.lastOffset + 1
                    continue
                }
                var isFull = false
                let position = source.position
                var lastTaken: Int64?
                let inputIndex = UInt16(source.key.inputIndex)
                let partition = source.key.partition
                do {
                    try RecordBatchDecoder.forEachRecord(inBatch: batchBytes) { record in
                        guard record.offset >= position else { return .continueVisiting }
                        if batch.count >= recordsMax || batch.recordsSizeBytes >= bytesMax || record.offset >= endOffset {
                            isFull = true
                            return .stopVisiting
                        }
                        let trace = Self.traceStart(for: Self.findTraceparent(in: record), sampler: &self.sampler)
                        batch.append(
                            inputIndex: inputIndex, partition: partition, offset: record.offset,
                            timestampMs: record.timestampMs, key: record.key, value: record.value, trace: trace
                        ) { encoder in
                            Self.encodeHeaders(of: record, trace: trace?.context, into: &encoder)
                        }
                        lastTaken = record.offset
                        return .continueVisiting
                    }
                } catch {
                    self.onEvent("\(source.stream)-\(source.key.partition): cannot decode batch at \(header.baseOffset): \(error)")
                    source.position = header.lastOffset + 1
                    continue
                }
                if let lastTaken { source.position = lastTaken + 1 }
                if isFull { return }
                // Offsets left without records at the end of a batch (compaction) are passed over.
                source.position = max(source.position, header.lastOffset + 1)
            }
        }
    }

    func position(of key: InputPartitionKey) -> Int64? {
        self.sources.first { $0.key == key }?.position
    }

    func setPosition(of key: InputPartitionKey, to position: Int64) {
        guard let index = self.sources.firstIndex(where: { $0.key == key }) else { return }
        self.sources[index].position = position
    }
}
