import SluiceModel

/// Opening a partition directory: find the segments, trust or rebuild their indexes, and after an unclean
/// stop validate every batch from the recovery point on. Damage in a sealed segment, or below the durable point
/// of the active one, is fenced off and reported; only the active segment's unsynced tail is ever cut, and no
/// segment is ever deleted here.
extension PartitionLog {
    /// Returns the partition's segments, sorted, the last one activated, and the damage fenced off on the way.
    /// `scanFromOffset` nil means the broker stopped cleanly (every file was synced and trimmed by `close`);
    /// otherwise segments from the one holding that offset onwards are scanned batch by batch with CRC checks.
    /// `durableOffset` is the checkpointed recovery point when the checkpoint had one for this partition.
    static func openSegments(
        directory: String, topicPartition: TopicPartition, config: LogConfig, fileIO: FileIO,
        scanFromOffset: Offset?, durableOffset: Offset?, onEvent: StorageEventHandler, onError: StorageEventHandler
    ) throws(StorageError) -> (segments: [Segment], fenceCount: Int) {
        try fileIO.makeDirectoryIfMissing(directory)
        let baseOffsets = try Self.findSegmentBaseOffsets(directory: directory, fileIO: fileIO, onEvent: onEvent)
        guard !baseOffsets.isEmpty else {
            let segment = try Segment.create(directory: directory, baseOffset: .zero, fileIO: fileIO)
            try fileIO.syncDirectory(directory)
            return ([segment], 0)
        }
        var firstRecoveredIndex = baseOffsets.count
        if let scanFromOffset {
            let lastAtOrBefore = baseOffsets.lastIndex { $0 <= scanFromOffset } ?? 0
            firstRecoveredIndex = min(lastAtOrBefore, baseOffsets.count - 1)
            onEvent("\(topicPartition): unclean shutdown, recovering from offset \(baseOffsets[firstRecoveredIndex])")
        }
        var segments: [Segment] = []
        var rebuilt: Set<Int> = []
        var fenceCount = 0
        for (index, baseOffset) in baseOffsets.enumerated() {
            let segment = try Segment(directory: directory, baseOffset: baseOffset, fileIO: fileIO)
            let isSealed = index < baseOffsets.count - 1
            let bounds = Segment.ScanBounds(
                sealedEndOffset: isSealed ? baseOffsets[index + 1] : nil, durableOffset: durableOffset
            )
            let report = index >= firstRecoveredIndex
                ? try segment.rebuild(
                    validating: true, indexIntervalBytes: config.indexIntervalBytes,
                    batchSizeBytesMax: config.batchSizeBytesMax, bounds: bounds
                )
                : try segment.loadTrustingIndexes(
                    indexIntervalBytes: config.indexIntervalBytes, batchSizeBytesMax: config.batchSizeBytesMax,
                    bounds: bounds
                )
            if index >= firstRecoveredIndex || report.indexProblem != nil { rebuilt.insert(index) }
            Self.describe(report, of: segment, topicPartition: topicPartition, onEvent: onEvent, onError: onError)
            fenceCount += report.fences.count
            precondition(!isSealed || segment.nextOffset == baseOffsets[index + 1], "sealed scans end at the next")
            segments.append(segment)
        }
        for (index, segment) in segments.enumerated() where index < segments.count - 1 && rebuilt.contains(index) {
            try segment.seal()
        }
        let active = segments[segments.count - 1]
        do throws(StorageError) {
            try active.activate()
        } catch where error.code == .diskFull {
            // A start on a full disk: the partition opens and serves reads; each append tries to allocate the
            // index blocks again and fails with diskFull until there is room.
            onError("\(topicPartition): no room for the active segment's index blocks (\(error)); appends fail until space is freed")
        }
        // Whatever the scan accepted may still be only in the page cache of a crashed process: sync it now,
        // so that the log end after opening is durable and the recovery point can start there.
        try active.file.sync(dataOnly: false)
        active.markSynced(upToSizeBytes: active.sizeBytes)
        try fileIO.syncDirectory(directory)
        return (segments, fenceCount)
    }

    /// The base offsets of the `.log` files in `directory`, sorted. Removes leftovers that have no log:
    /// temporary files and index files of deleted segments.
    private static func findSegmentBaseOffsets(
        directory: String, fileIO: FileIO, onEvent: StorageEventHandler
    ) throws(StorageError) -> [Offset] {
        var logStems: Set<String> = []
        var indexFiles: [(stem: String, name: String)] = []
        for entry in try fileIO.listDirectory(directory) where !entry.isDirectory {
            let name = entry.name
            guard let dot = name.firstIndex(of: ".") else { continue }
            let stem = String(name[name.startIndex..<dot])
            let suffix = String(name[dot...])
            guard stem.count == 20, Int64(stem) != nil else { continue }
            switch suffix {
            case ".log": logStems.insert(stem)
            case ".index", ".timeindex", ".txnindex": indexFiles.append((stem, name))
            default: continue
            }
        }
        for indexFile in indexFiles where !logStems.contains(indexFile.stem) {
            try fileIO.unlink(directory + "/" + indexFile.name)
            onEvent("removed \(directory)/\(indexFile.name), an index without its log")
        }
        return logStems.compactMap { Int64($0) }.map { Offset($0) }.sorted()
    }

    private static func describe(
        _ report: Segment.LoadReport, of segment: Segment, topicPartition: TopicPartition,
        onEvent: StorageEventHandler, onError: StorageEventHandler
    ) {
        for fence in report.fences {
            onError(
                "\(topicPartition): corrupt data in segment \(segment.baseOffset), fenced off (kept, not served): "
                    + "\(fence)"
            )
        }
        if let problem = report.indexProblem {
            onEvent("\(topicPartition): rebuilt indexes of segment \(segment.baseOffset): \(problem)")
        }
        if let truncation = report.truncation {
            onEvent(
                "\(topicPartition): truncated segment \(segment.baseOffset) at byte \(truncation.positionBytes), "
                    + "discarding \(truncation.discardedBytes) bytes: \(truncation.reason)"
            )
        }
    }
}
