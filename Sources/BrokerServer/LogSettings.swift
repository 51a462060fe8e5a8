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
}
