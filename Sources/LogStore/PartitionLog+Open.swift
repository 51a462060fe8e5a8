import SluiceModel

/// Opening a partition directory: find the segments, trust or rebuild their indexes, and after an unclean
/// stop validate every batch from the recovery point on, cutting the log at the first bad byte.
extension PartitionLog {
    /// Returns the partition's segments, sorted, the last one activated. `recoveryPoint` nil means the broker
    /// stopped cleanly (every file was synced and trimmed by `close`); otherwise segments from the one holding
    /// the recovery point onwards are scanned batch by batch with CRC checks.
    static func openSegments(
        directory: String, topicPartition: TopicPartition, config: LogConfig, fileIO: FileIO,
        recoveryPoint: Offset?, onEvent: StorageEventHandler
    ) throws(StorageError) -> [Segment] {
        try fileIO.makeDirectoryIfMissing(directory)
        let baseOffsets = try Self.findSegmentBaseOffsets(directory: directory, fileIO: fileIO, onEvent: onEvent)
        guard !baseOffsets.isEmpty else {
            let segment = try Segment.create(directory: directory, baseOffset: .zero, fileIO: fileIO)
            try fileIO.syncDirectory(directory)
            return [segment]
        }
        var firstRecoveredIndex = baseOffsets.count
        if let recoveryPoint {
            let lastAtOrBefore = baseOffsets.lastIndex { $0 <= recoveryPoint } ?? 0
            firstRecoveredIndex = min(lastAtOrBefore, baseOffsets.count - 1)
            onEvent("\(topicPartition): unclean shutdown, recovering from offset \(baseOffsets[firstRecoveredIndex])")
        }
        var segments: [Segment] = []
        var rebuilt: Set<Int> = []
        for (index, baseOffset) in baseOffsets.enumerated() {
            if let previous = segments.last, previous.nextOffset != baseOffset {
                // After a recovered segment, a hole is what a crash while deleting the segments that followed a
                // truncation leaves: finish that. Before the recovery point it is damage nothing here can undo.
                if index - 1 >= firstRecoveredIndex {
                    try Self.deleteSegments(
                        baseOffsets[index...], directory: directory, topicPartition: topicPartition, fileIO: fileIO,
                        onEvent: onEvent
                    )
                    break
                }
                throw StorageError(
                    code: .corruptFile,
                    message: "segment \(previous.baseOffset) ends at offset \(previous.nextOffset) but the next "
                        + "segment starts at \(baseOffset); refusing to open \(topicPartition)",
                    path: directory + "/" + Segment.fileStem(baseOffset) + ".log"
                )
            }
            let segment = try Segment(directory: directory, baseOffset: baseOffset, fileIO: fileIO)
            let report = index >= firstRecoveredIndex
                ? try segment.rebuild(
                    validating: true, indexIntervalBytes: config.indexIntervalBytes,
                    batchSizeBytesMax: config.batchSizeBytesMax
                )
                : try segment.loadTrustingIndexes(
                    indexIntervalBytes: config.indexIntervalBytes, batchSizeBytesMax: config.batchSizeBytesMax
                )
            if index >= firstRecoveredIndex || report.indexProblem != nil { rebuilt.insert(index) }
            Self.describe(report, of: segment, topicPartition: topicPartition, onEvent: onEvent)
            segments.append(segment)
            if report.truncation != nil && index < baseOffsets.count - 1 {
                // Later segments would follow a hole in the offsets: they go.
                try Self.deleteSegments(
                    baseOffsets[(index + 1)...], directory: directory, topicPartition: topicPartition, fileIO: fileIO,
                    onEvent: onEvent
                )
                break
            }
        }
        for (index, segment) in segments.enumerated() where index < segments.count - 1 && rebuilt.contains(index) {
            try segment.seal()
        }
        let active = segments[segments.count - 1]
        try active.activate()
        // Whatever the scan accepted may still be only in the page cache of a crashed process: sync it now,
        // so that the log end after opening is durable and the recovery point can start there.
        try active.file.sync(dataOnly: false)
        active.markSynced(upToSizeBytes: active.sizeBytes)
        try fileIO.syncDirectory(directory)
        return segments
    }

    private static func deleteSegments(
        _ baseOffsets: ArraySlice<Offset>, directory: String, topicPartition: TopicPartition, fileIO: FileIO,
        onEvent: StorageEventHandler
    ) throws(StorageError) {
        for baseOffset in baseOffsets {
            let segment = try Segment(directory: directory, baseOffset: baseOffset, fileIO: fileIO)
            try segment.deleteFiles(fileIO: fileIO)
            onEvent("\(topicPartition): deleted segment \(baseOffset), which followed a truncated one")
        }
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
            case ".index", ".timeindex": indexFiles.append((stem, name))
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
        onEvent: StorageEventHandler
    ) {
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
