import SluiceModel

/// `<data>/recovery-point-offset-checkpoint`: for each partition, the offset below which its log is known
/// to be fsynced, so that after an unclean stop only the segments from there on are scanned. Kafka's layout,
/// UTF-8 text:
///
/// ```
/// 0                      format version
/// 2                      number of entries
/// orders 0 1200          topic, partition, recovery point (exclusive end offset)
/// orders 1 877
/// ```
///
/// Topic names cannot contain spaces (see `TopicNames`), so spaces separate fields safely. Since the
/// checksummed envelope, the text above follows a `ChecksummedFile` header line (`#sluice:1 <crc32c>`); files
/// without it (written by earlier versions) are still read. Written atomically (temporary file, fsync, rename,
/// fsync of the directory). A missing, unparsable or damaged file only costs time: every segment is then
/// scanned, and since recovery never cuts a sealed segment, that scan cannot lose intact data.
enum RecoveryCheckpointFile {
    static let fileName = "recovery-point-offset-checkpoint"

    static func serialize(_ points: [TopicPartition: Offset]) -> [UInt8] {
        var text = "0\n\(points.count)\n"
        let sorted = points.sorted { ($0.key.topic, $0.key.partition) < ($1.key.topic, $1.key.partition) }
        for (topicPartition, offset) in sorted {
            text += "\(topicPartition.topic) \(topicPartition.partition.rawValue) \(offset.rawValue)\n"
        }
        return ChecksummedFile.wrap(Array(text.utf8))
    }

    /// The entries; throws `corruptFile` when the file fails its checksum or is not in the format above.
    static func parse(_ bytes: [UInt8], path: String = Self.fileName) throws(StorageError) -> [TopicPartition: Offset] {
        let contents = try ChecksummedFile.unwrap(bytes, path: path)
        guard let points = Self.parseEntries(contents.payload) else {
            throw StorageError(code: .corruptFile, message: "not a recovery checkpoint", path: path)
        }
        return points
    }

    private static func parseEntries(_ bytes: [UInt8]) -> [TopicPartition: Offset]? {
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n")
        guard lines.count >= 2, lines[0] == "0", let count = Int(lines[1]), count == lines.count - 2 else { return nil }
        var points: [TopicPartition: Offset] = [:]
        for line in lines.dropFirst(2) {
            let fields = line.split(separator: " ")
            guard fields.count == 3, let partition = Int32(fields[1]), let offset = Int64(fields[2]), offset >= 0 else {
                return nil
            }
            points[TopicPartition(topic: String(fields[0]), partition: PartitionID(partition))] = Offset(offset)
        }
        return points
    }
}
