/// `<data>/topics/<topic>/topic.conf`: a topic's partition count and its explicitly set topic configs, by
/// Kafka name (`TopicConfigRegistry`). UTF-8 text, one `key=value` per line, `#` starts a comment line:
///
/// ```
/// # sluice topic configuration
/// version=2
/// partitions=3
/// cleanup.policy=compact
/// retention.ms=86400000
/// max.message.bytes=2097152
/// ```
///
/// Only `version` and `partitions` are required. A key present was set for the topic (CreateTopics,
/// AlterConfigs): it is described as DYNAMIC_TOPIC_CONFIG and wins over the broker's default; a key absent
/// follows the broker's default, including later changes of it.
///
/// Version 1 (before topic configs) held the storage settings that differed from the broker's defaults when
/// the topic was created, under the same names, plus `fsync=always|interval:<ms>|never`; it is still read, its
/// `fsync` as the equivalent `flush.ms`. Version 2 is written from the first change on.
///
/// Since the checksummed envelope the text follows a `ChecksummedFile` header line (`#sluice:1 <crc32c>`, a
/// comment to this format); files without it (earlier versions) are still read. A damaged file is never trusted:
/// the broker opens the topic with the partitions found on disk and the defaults without retention
/// (`LogManager.openTopic`), so nothing is deleted under a guessed setting. The file is written atomically
/// (temporary file, fsync, rename, fsync of the directory) and written last when a topic is created: a topic
/// directory without it is an interrupted creation and is removed when the broker opens.
struct TopicConfigFile: Equatable {
    static let fileName = "topic.conf"
    static let version = 2
    static let readableVersions: Set<Int> = [1, 2]

    var partitionCount: Int
    /// The topic's explicitly set configs, by Kafka name.
    var overrides: [String: String]

    init(partitionCount: Int, overrides: [String: String]) {
        self.partitionCount = partitionCount
        self.overrides = overrides
    }

    /// The overrides that turn `defaults` into `config`.
    init(partitionCount: Int, config: LogConfig, defaults: LogConfig) {
        self.init(partitionCount: partitionCount, overrides: Self.overrides(turning: defaults, into: config))
    }

    /// The topic configs whose values differ between `defaults` and `config`, with `config`'s values: what a
    /// topic created with a whole `LogConfig` (rather than with configs by name) has set.
    static func overrides(turning defaults: LogConfig, into config: LogConfig) -> [String: String] {
        var overrides: [String: String] = [:]
        for definition in TopicConfigRegistry.definitions {
            let wanted = definition.value(in: config, override: nil)
            if wanted != definition.value(in: defaults, override: nil) { overrides[definition.name] = wanted }
        }
        return overrides
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
        guard let versionText = values.removeValue(forKey: "version"), let version = Int(versionText),
              Self.readableVersions.contains(version)
        else { throw invalid("unknown version") }
        guard let countText = values.removeValue(forKey: "partitions"), let count = Int(countText), count > 0 else {
            throw invalid("missing or invalid partition count")
        }
        if version == 1, let fsync = values.removeValue(forKey: "fsync") {
            guard let policy = FsyncPolicy(parsing: fsync) else { throw invalid("invalid fsync '\(fsync)'") }
            values["flush.ms"] = Self.flushMs(policy)
        }
        self.partitionCount = count
        self.overrides = values
    }

    /// The defaults with the overrides applied; throws `invalidConfig` when an override is unknown or invalid.
    func config(defaults: LogConfig) throws(StorageError) -> LogConfig {
        try TopicConfigRegistry.resolve(self.overrides, defaults: defaults)
    }

    func serialized() -> [UInt8] {
        var text = "# sluice topic configuration\nversion=\(Self.version)\npartitions=\(self.partitionCount)\n"
        for key in self.overrides.keys.sorted() {
            text += "\(key)=\(self.overrides[key]!)\n"
        }
        return ChecksummedFile.wrap(Array(text.utf8))
    }

    /// Version 1's `fsync` as the `flush.ms` that means the same.
    private static func flushMs(_ policy: FsyncPolicy) -> String {
        switch policy {
        case .always: return "0"
        case .interval(let milliseconds): return String(milliseconds)
        case .never: return String(Int64.max)
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
