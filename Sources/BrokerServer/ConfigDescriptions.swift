import KafkaWire
import LogStore

/// How DescribeConfigs and CreateTopics describe configs: a topic's from the storage layer's table
/// (`TopicConfigRegistry`), the broker's under Kafka's names where Sluice has the setting. Sources follow Kafka:
/// a key set for the topic is DYNAMIC_TOPIC_CONFIG, a broker setting that differs from Kafka's default is
/// STATIC_BROKER_CONFIG (Sluice's broker settings come from its config file, read at start), anything else
/// DEFAULT_CONFIG. With synonyms asked for, each config lists every level that has a value, most specific first.
struct ConfigDescriptions {
    /// Kafka's ConfigSource numbers.
    enum Source {
        static let dynamicTopicConfig: Int8 = 1
        static let staticBrokerConfig: Int8 = 4
        static let defaultConfig: Int8 = 5
    }

    /// Kafka's resource types of the config APIs.
    enum ResourceType {
        static let topic: Int8 = 2
        static let broker: Int8 = 4
    }

    /// The broker's topic defaults (the storage layer's default `LogConfig`).
    let brokerDefaults: LogConfig
    let broker: BrokerConfig

    /// The topic's configs, in the table's order; `keys` nil means every config.
    func topicConfigs(
        _ info: TopicInfo, keys: Set<String>? = nil, includeSynonyms: Bool = false, includeDocumentation: Bool = false
    ) -> [DescribeConfigsResponse.Config] {
        TopicConfigRegistry.definitions.filter { $0.isDescribed && (keys?.contains($0.name) ?? true) }.map { definition in
            let override = info.overrides[definition.name]
            let value = definition.value(in: info.config, override: override)
            let brokerValue = definition.value(in: self.brokerDefaults, override: nil)
            let isBrokerSet = definition.brokerSynonym != nil && brokerValue != definition.kafkaDefault
            let source = override != nil
                ? Source.dynamicTopicConfig : isBrokerSet ? Source.staticBrokerConfig : Source.defaultConfig
            var synonyms: [DescribeConfigsResponse.Synonym] = []
            if includeSynonyms {
                if override != nil {
                    synonyms.append(.init(name: definition.name, value: value, source: Source.dynamicTopicConfig))
                }
                if let synonym = definition.brokerSynonym, isBrokerSet {
                    synonyms.append(.init(name: synonym, value: brokerValue, source: Source.staticBrokerConfig))
                }
                synonyms.append(.init(
                    name: definition.brokerSynonym ?? definition.name, value: definition.kafkaDefault,
                    source: Source.defaultConfig
                ))
            }
            return DescribeConfigsResponse.Config(
                name: definition.name, value: value, readOnly: false, configSource: source, isSensitive: false,
                synonyms: synonyms, configType: definition.type.rawValue,
                documentation: includeDocumentation ? definition.documentation : nil
            )
        }
    }

    /// The topic's configs as CreateTopics v5+ returns them.
    func createdTopicConfigs(_ info: TopicInfo) -> [CreateTopicsResponse.Config] {
        self.topicConfigs(info).map {
            CreateTopicsResponse.Config(
                name: $0.name, value: $0.value, readOnly: $0.readOnly, configSource: $0.configSource,
                isSensitive: $0.isSensitive
            )
        }
    }

    /// The broker-level configs: the broker's own settings and, under their broker names, its topic defaults.
    /// All read-only: Sluice reads them from its config file at start (`Docs/operating.md`).
    func brokerConfigs(
        keys: Set<String>? = nil, includeSynonyms: Bool = false, includeDocumentation: Bool = false
    ) -> [DescribeConfigsResponse.Config] {
        var entries: [(name: String, value: String, kafkaDefault: String?, type: TopicConfigType, doc: String)] = [
            ("auto.create.topics.enable", String(self.broker.autoCreateTopics), "true", .boolean,
             "Whether producing to or asking metadata for an unknown topic creates it (topics.auto_create)."),
            ("num.partitions", String(self.broker.defaultPartitions), "1", .int,
             "Partitions of an automatically created topic (topics.default_partitions)."),
            ("default.replication.factor", "1", "1", .int, "A single-node broker keeps one replica."),
            ("offsets.topic.replication.factor", "1", nil, .short, "A single-node broker keeps one replica."),
            ("log.retention.check.interval.ms", String(self.broker.retentionCheckIntervalMs), "300000", .long,
             "How often retention runs (storage.retention_check_interval_ms)."),
            ("log.dirs", self.broker.dataDirectory, nil, .string, "The data directory (storage.data_dir)."),
        ]
        var seen = Set(entries.map(\.name))
        for definition in TopicConfigRegistry.definitions {
            guard let synonym = definition.brokerSynonym, !seen.contains(synonym) else { continue }
            seen.insert(synonym)
            entries.append((
                synonym, definition.value(in: self.brokerDefaults, override: nil), definition.kafkaDefault,
                definition.type, "The default of topic config \(definition.name): \(definition.documentation)"
            ))
        }
        return entries.filter { keys?.contains($0.name) ?? true }.map { entry in
            let isSet = entry.kafkaDefault.map { $0 != entry.value } ?? true
            let source = isSet ? Source.staticBrokerConfig : Source.defaultConfig
            var synonyms: [DescribeConfigsResponse.Synonym] = []
            if includeSynonyms {
                if isSet { synonyms.append(.init(name: entry.name, value: entry.value, source: source)) }
                if let kafkaDefault = entry.kafkaDefault {
                    synonyms.append(.init(name: entry.name, value: kafkaDefault, source: Source.defaultConfig))
                }
            }
            return DescribeConfigsResponse.Config(
                name: entry.name, value: entry.value, readOnly: true, configSource: source, isSensitive: false,
                synonyms: synonyms, configType: entry.type.rawValue,
                documentation: includeDocumentation ? entry.doc : nil
            )
        }
    }
}
