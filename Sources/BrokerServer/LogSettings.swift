import LogStore

/// Turns the broker's settings into the storage layer's configuration.
enum LogSettings {
    static func fsyncPolicy(parsing text: String) -> FsyncPolicy? {
        FsyncPolicy(parsing: text)
    }

    static func logConfig(from config: BrokerConfig) throws -> LogConfig {
        guard let policy = self.fsyncPolicy(parsing: config.fsync) else {
            throw BrokerConfigError(message: "fsync must be always, interval:<ms> or never, not '\(config.fsync)'")
        }
        var logConfig = LogConfig()
        logConfig.segmentSizeBytes = config.segmentSizeBytes
        logConfig.segmentAgeMs = config.segmentAgeMs
        logConfig.retentionMs = config.retentionMs < 0 ? nil : config.retentionMs
        logConfig.retentionSizeBytes = config.retentionSizeBytes < 0 ? nil : config.retentionSizeBytes
        logConfig.indexIntervalBytes = Int(config.indexIntervalBytes)
        logConfig.fsyncPolicy = policy
        logConfig.batchSizeBytesMax = Int(config.batchSizeBytesMax)
        return logConfig
    }

    /// The config key that sets each field of the storage layer's `LogConfig`.
    static func configKey(for setting: LogConfig.Setting) -> String {
        switch setting {
        case .segmentSizeBytes: return "storage.segment_size_bytes"
        case .segmentAgeMs: return "storage.segment_age_ms"
        case .retentionMs: return "storage.retention_ms"
        case .retentionSizeBytes: return "storage.retention_size_bytes"
        case .indexIntervalBytes: return "storage.index_interval_bytes"
        case .fsyncPolicy: return "storage.fsync"
        case .batchSizeBytesMax: return "limits.batch_size_bytes_max"
        }
    }

    /// The storage layer's rules (`LogConfig.violations()`, the ones it enforces when it opens) as broker
    /// config errors naming the keys that clash, so the start-time check and the storage layer never disagree.
    static func problems(in config: BrokerConfig) throws -> [String] {
        try self.logConfig(from: config).violations().map { violation in
            let keys = violation.settings.map { "\(self.configKey(for: $0)) = \(self.text(of: $0, in: config))" }
            let joined = keys.joined(separator: " and ")
            return violation.settings.count > 1
                ? "\(joined) clash: \(violation.message)" : "\(joined): \(violation.message)"
        }
    }

    private static func text(of setting: LogConfig.Setting, in config: BrokerConfig) -> String {
        switch setting {
        case .segmentSizeBytes: return String(config.segmentSizeBytes)
        case .segmentAgeMs: return String(config.segmentAgeMs)
        case .retentionMs: return String(config.retentionMs)
        case .retentionSizeBytes: return String(config.retentionSizeBytes)
        case .indexIntervalBytes: return String(config.indexIntervalBytes)
        case .fsyncPolicy: return "\"\(config.fsync)\""
        case .batchSizeBytesMax: return String(config.batchSizeBytesMax)
        }
    }
}
