import LogStore

/// The Kafka topic settings Sluice understands, and how each maps onto a `LogConfig` field. Used to
/// apply the configs of a CreateTopics request and to answer DescribeConfigs with real values.
struct TopicConfigKey: Sendable {
    let name: String
    /// Kafka's ConfigType of the value (3 INT, 5 LONG, 2 STRING) for DescribeConfigs v3+.
    let configType: Int8
    let read: @Sendable (LogConfig) -> String
    /// Sets the field from text; nil when this key cannot be set per topic.
    let write: (@Sendable (inout LogConfig, String) -> Bool)?

    static let all: [TopicConfigKey] = [
        TopicConfigKey(name: "retention.ms", configType: 5, read: { String($0.retentionMs ?? -1) }) { config, text in
            guard let value = Int64(text), value >= -1 else { return false }
            config.retentionMs = value < 0 ? nil : value
            return true
        },
        TopicConfigKey(name: "retention.bytes", configType: 5, read: { String($0.retentionSizeBytes ?? -1) }) {
            config, text in
            guard let value = Int64(text), value >= -1 else { return false }
            config.retentionSizeBytes = value < 0 ? nil : value
            return true
        },
        TopicConfigKey(name: "segment.bytes", configType: 3, read: { String($0.segmentSizeBytes) }) { config, text in
            guard let value = Int64(text), value >= 1024, value <= Int64(Int32.max) else { return false }
            config.segmentSizeBytes = value
            return true
        },
        TopicConfigKey(name: "segment.ms", configType: 5, read: { String($0.segmentAgeMs) }) { config, text in
            guard let value = Int64(text), value >= 1 else { return false }
            config.segmentAgeMs = value
            return true
        },
        TopicConfigKey(name: "index.interval.bytes", configType: 3, read: { String($0.indexIntervalBytes) }) {
            config, text in
            guard let value = Int(text), value >= 1, value <= 1 << 20 else { return false }
            config.indexIntervalBytes = value
            return true
        },
        TopicConfigKey(name: "max.message.bytes", configType: 3, read: { String($0.batchSizeBytesMax) }, write: nil),
        TopicConfigKey(name: "cleanup.policy", configType: 7, read: { _ in "delete" }, write: nil),
        TopicConfigKey(name: "message.timestamp.type", configType: 2, read: { _ in "CreateTime" }, write: nil),
        TopicConfigKey(name: "compression.type", configType: 2, read: { _ in "producer" }, write: nil),
    ]

    /// Applies `configs` on top of `base`; returns the first key that is unknown, read-only or invalid.
    static func apply(_ configs: [(String, String?)], to base: LogConfig) -> Result<LogConfig, TopicConfigError> {
        var config = base
        for (name, value) in configs {
            guard let key = self.all.first(where: { $0.name == name }) else {
                return .failure(TopicConfigError(message: "unknown or unsupported topic config '\(name)'"))
            }
            guard let value else { continue }
            guard let write = key.write else {
                return .failure(TopicConfigError(message: "topic config '\(name)' cannot be set per topic"))
            }
            guard write(&config, value) else {
                return .failure(TopicConfigError(message: "invalid value '\(value)' for topic config '\(name)'"))
            }
        }
        return .success(config)
    }
}

/// Why the configs of a CreateTopics request cannot be applied.
struct TopicConfigError: Error {
    let message: String
}
