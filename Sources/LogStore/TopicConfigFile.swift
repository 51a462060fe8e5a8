/// `<data>/topics/<topic>/topic.conf`: a topic's partition count and the settings where it differs from the
/// broker's defaults. UTF-8 text, one `key=value` per line, `#` starts a comment line:
///
/// ```
/// # sluice topic configuration
/// version=1
/// partitions=3
/// retention.ms=86400000        (-1: keep forever)
/// retention.bytes=-1           (-1: no size limit)
/// segment.bytes=1073741824
/// segment.ms=604800000
/// index.interval.bytes=4096
/// fsync=always                 (always | interval:<ms> | never)
/// max.message.bytes=1048588
/// ```
///
/// Only `version` and `partitions` are required. Since the checksummed envelope the text follows a
/// `ChecksummedFile` header line (`#sluice:1 <crc32c>`, a comment to this format); files without it (earlier
/// versions) are still read. A damaged file is never trusted: the broker opens the topic with the partitions
/// found on disk and the defaults without retention (`LogManager.openTopic`), so nothing is deleted under a
/// guessed setting. The file is written atomically (temporary file, fsync,
/// rename, fsync of the directory) and written last when a topic is created: a topic directory without it
/// is an interrupted creation and is removed when the broker opens.
struct TopicConfigFile: Equatable {
    static let fileName = "topic.conf"
    static let version = 1

    var partitionCount: Int
    /// Settings that differ from the defaults, by key.
    var overrides: [String: String]

    /// The overrides that turn `defaults` into `config`.
    init(partitionCount: Int, config: LogConfig, defaults: LogConfig) {
        self.partitionCount = partitionCount
        let wanted = Self.entries(of: config)
        let base = Self.entries(of: defaults)
        self.overrides = wanted.filter { base[$0.key] != $0.value }
    }

    init(parsing bytes: [UInt8], path: String) throws(StorageError) {
        func invalid(_ message: String) -> StorageError {
            StorageError(code: .corruptFile, message: "topic configuration: \(message)", path: path)
        }
        var values: [String: String] = [:]
        let payload = try ChecksummedFile.unwrap(bytes, path: path).payload
        for line in String(decoding: payload, as: UTF8.self).split(separator: "\n") {
            let text = line.trimmingWhitespace()
            if text.isEmpty || text.hasPrefix("#") { continue }
            guard let equals = text.firstIndex(of: "=") else { throw invalid("line '\(text)' has no '='") }
            values[String(text[text.startIndex..<equals])] = String(text[text.index(after: equals)...])
        }
        guard values.removeValue(forKey: "version") == String(Self.version) else { throw invalid("unknown version") }
        guard let countText = values.removeValue(forKey: "partitions"), let count = Int(countText), count > 0 else {
            throw invalid("missing or invalid partition count")
        }
        self.partitionCount = count
        self.overrides = values
    }

    /// The defaults with the overrides applied; throws when an override is unknown or invalid.
    func config(defaults: LogConfig) throws(StorageError) -> LogConfig {
        var config = defaults
        for (key, value) in self.overrides {
            guard Self.apply(key: key, value: value, to: &config) else {
                throw StorageError(code: .invalidConfig, message: "invalid topic setting \(key)=\(value)")
            }
        }
        try config.validate()
        return config
    }

    func serialized() -> [UInt8] {
        var text = "# sluice topic configuration\nversion=\(Self.version)\npartitions=\(self.partitionCount)\n"
        for key in self.overrides.keys.sorted() {
            text += "\(key)=\(self.overrides[key]!)\n"
        }
        return ChecksummedFile.wrap(Array(text.utf8))
    }

    private static func entries(of config: LogConfig) -> [String: String] {
        [
            "segment.bytes": String(config.segmentSizeBytes),
            "segment.ms": String(config.segmentAgeMs),
            "retention.ms": String(config.retentionMs ?? -1),
            "retention.bytes": String(config.retentionSizeBytes ?? -1),
            "index.interval.bytes": String(config.indexIntervalBytes),
            "fsync": config.fsyncPolicy.description,
            "max.message.bytes": String(config.batchSizeBytesMax),
        ]
    }

    private static func apply(key: String, value: String, to config: inout LogConfig) -> Bool {
        switch key {
        case "fsync":
            guard let policy = FsyncPolicy(parsing: value) else { return false }
            config.fsyncPolicy = policy
            return true
        default:
            guard let number = Int64(value) else { return false }
            switch key {
            case "segment.bytes": config.segmentSizeBytes = number
            case "segment.ms": config.segmentAgeMs = number
            case "retention.ms": config.retentionMs = number < 0 ? nil : number
            case "retention.bytes": config.retentionSizeBytes = number < 0 ? nil : number
            case "index.interval.bytes": config.indexIntervalBytes = Int(number)
            case "max.message.bytes": config.batchSizeBytesMax = Int(number)
            default: return false
            }
            return true
        }
    }
}

extension Substring {
    func trimmingWhitespace() -> Substring {
        var text = self
        while let first = text.first, first.isWhitespace { text.removeFirst() }
        while let last = text.last, last.isWhitespace { text.removeLast() }
        return text
    }
}
