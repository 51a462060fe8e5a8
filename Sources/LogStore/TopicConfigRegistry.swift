import RecordFormat

/// Kafka's ConfigType numbers, as DescribeConfigs v3+ reports them.
public enum TopicConfigType: Int8, Sendable {
    case boolean = 1
    case string = 2
    case int = 3
    case short = 4
    case long = 5
    case double = 6
    case list = 7
}

/// One topic config as Kafka names it: its type, Kafka's default, the broker-level config that sets the default
/// for every topic, and how a value is checked and applied to `LogConfig`. The table is `TopicConfigRegistry`.
public struct TopicConfigDefinition: Sendable {
    public let name: String
    public let type: TopicConfigType
    /// Kafka's default, as Kafka describes it.
    public let kafkaDefault: String
    /// The broker-level config that gives the default for every topic (Kafka's synonym), nil when there is none.
    public let brokerSynonym: String?
    public let documentation: String
    /// False for keys accepted in requests but not a Kafka topic config (`replication.factor`): never described.
    public let isDescribed: Bool
    /// Checks `value` and applies it; returns why it is refused, or nil.
    let apply: @Sendable (_ value: String, _ config: inout LogConfig) -> String?
    /// The value in `config`; nil for a config with no effect on the log, whose value is the text it was set to.
    let read: (@Sendable (LogConfig) -> String)?

    /// The value the topic has: the setting's typed value, or (for a config without effect) the text it was set
    /// to, or Kafka's default.
    public func value(in config: LogConfig, override: String?) -> String {
        if let read = self.read { return read(config) }
        return override ?? self.kafkaDefault
    }

    /// Why `value` is refused for this config, or nil.
    public func problem(with value: String) -> String? {
        var scratch = LogConfig()
        return self.apply(value, &scratch)
    }
}

/// The one table of topic configs (`TopicConfigRegistry+Definitions.swift`) and the rules to apply a topic's
/// explicitly set configs on top of the broker's defaults. The storage layer owns it because the configs' effect
/// is on the log; the server describes and alters topics through it.
public enum TopicConfigRegistry {
    public static let definitions: [TopicConfigDefinition] = Self.makeDefinitions()
    /// The longest value accepted: every valid value is far shorter, and `topic.conf` stays a small file.
    public static let valueLengthMax = 1024
    private static let byName: [String: TopicConfigDefinition] = Dictionary(
        uniqueKeysWithValues: Self.definitions.map { ($0.name, $0) }
    )

    public static func definition(named name: String) -> TopicConfigDefinition? {
        self.byName[name]
    }

    /// The Kafka key of each storage setting, so a clash `LogConfig.violations()` finds names what a client set.
    public static func configName(for setting: LogConfig.Setting) -> String {
        switch setting {
        case .segmentSizeBytes: return "segment.bytes"
        case .segmentAgeMs: return "segment.ms"
        case .retentionMs: return "retention.ms"
        case .retentionSizeBytes: return "retention.bytes"
        case .indexIntervalBytes: return "index.interval.bytes"
        case .fsyncPolicy: return "flush.ms"
        case .batchSizeBytesMax: return "max.message.bytes"
        }
    }

    /// `defaults` with `overrides` (a topic's explicitly set configs, by Kafka name) applied in the table's order,
    /// so that the result does not depend on the order of a request. Throws `invalidConfig` naming the key and why
    /// for an unknown key, a refused value, or values that clash.
    public static func resolve(_ overrides: [String: String], defaults: LogConfig) throws(StorageError) -> LogConfig {
        for name in overrides.keys.sorted() where self.byName[name] == nil {
            throw StorageError(code: .invalidConfig, message: "unknown topic config '\(name)'")
        }
        for (name, value) in overrides {
            if value.utf8.count > self.valueLengthMax {
                throw StorageError(
                    code: .invalidConfig,
                    message: "topic config '\(name)': a value of \(value.utf8.count) bytes is over the limit of \(self.valueLengthMax)"
                )
            }
            if value.contains(where: \.isNewline) {
                throw StorageError(code: .invalidConfig, message: "topic config '\(name)': a value cannot hold a line break")
            }
        }
        var config = defaults
        for definition in self.definitions {
            guard let value = overrides[definition.name] else { continue }
            if let problem = definition.apply(value, &config) {
                throw StorageError(
                    code: .invalidConfig,
                    message: "invalid value '\(value)' for topic config '\(definition.name)': \(problem)"
                )
            }
        }
        // A topic that sets a segment size below the broker's batch limit, and no limit of its own, gets its segment
        // size as its limit: a batch must fit in a segment (`LogConfig.violations()`), and Kafka accepts such a topic.
        if overrides["segment.bytes"] != nil && overrides["max.message.bytes"] == nil
            && Int64(config.batchSizeBytesMax) > config.segmentSizeBytes
        {
            config.batchSizeBytesMax = Int(max(config.segmentSizeBytes, Int64(RecordBatchHeader.sizeBytes)))
        }
        if let violation = config.violations().first {
            let names = violation.settings.map { self.configName(for: $0) }.joined(separator: " and ")
            let message = violation.settings.count > 1
                ? "topic configs \(names) clash: \(violation.message)" : "topic config \(names): \(violation.message)"
            throw StorageError(code: .invalidConfig, message: message)
        }
        return config
    }
}
