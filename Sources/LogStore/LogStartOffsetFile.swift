import SluiceModel

/// `<data>/topics/<topic>/<partition>/log-start-offset`: the partition's log start offset when DeleteRecords
/// moved it past the first segment's base offset (Kafka keeps the same number in its `log-start-offset-checkpoint`).
/// Retention alone never needs it: it deletes whole segments, so the first segment's base is the log start.
/// A start inside a segment cannot be read back from the segment files, so it is kept here. UTF-8 text inside
/// the `ChecksummedFile` envelope (`#sluice:1 <crc32c>` header line):
///
/// ```
/// 1                      format version
/// 1200                   log start offset (decimal, >= 0)
/// ```
///
/// Written atomically (temporary file, fsync, rename, fsync of the directory) before the new log start is
/// published, so an answered DeleteRecords survives a crash. At open the log start is the larger of this
/// value and the first segment's base, capped at the log end. A missing file means "the first segment's
/// base"; a damaged one is reported and ignored, which can only bring deleted records back, never lose any.
enum LogStartOffsetFile {
    static let fileName = "log-start-offset"
    static let version = "1"

    static func serialize(_ offset: Offset) -> [UInt8] {
        precondition(offset.rawValue >= 0, "a log start offset is never negative")
        return ChecksummedFile.wrap(Array("\(Self.version)\n\(offset.rawValue)\n".utf8))
    }

    /// The offset; throws `corruptFile` when the file fails its checksum or is not in the format above.
    static func parse(_ bytes: [UInt8], path: String) throws(StorageError) -> Offset {
        let payload = try ChecksummedFile.unwrap(bytes, path: path).payload
        let lines = String(decoding: payload, as: UTF8.self).split(separator: "\n")
        guard lines.count == 2, lines[0] == Self.version, let value = Int64(lines[1]), value >= 0 else {
            throw StorageError(code: .corruptFile, message: "not a log start offset file", path: path)
        }
        return Offset(value)
    }

    /// The stored log start of the partition in `directory`, nil when there is none or it cannot be trusted.
    static func read(directory: String, fileIO: FileIO, onError: StorageEventHandler) -> Offset? {
        let path = directory + "/" + Self.fileName
        guard fileIO.fileExists(path) else { return nil }
        do {
            return try Self.parse(try fileIO.readSmallFile(path, sizeBytesMax: 4096), path: path)
        } catch {
            onError("ignoring the log start offset file, records deleted by DeleteRecords may be served again: \(error)")
            return nil
        }
    }
}
