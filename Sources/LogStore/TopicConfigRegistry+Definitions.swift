import RecordFormat
import SluiceModel

/// The table of topic configs: every key Kafka 3.x/4.x knows for a topic that a single-node broker can honour,
/// with Kafka's defaults and validation. `Docs/kafka-compatibility.md` lists the same keys with how each is
/// honoured; keep the two together.
extension TopicConfigRegistry {
    static func makeDefinitions() -> [TopicConfigDefinition] {
        let longMax = String(Int64.max)
        return [
            // MARK: What is kept
            TopicConfigDefinition(
                name: "cleanup.policy", type: .list, kafkaDefault: "delete", brokerSynonym: "log.cleanup.policy",
                documentation: "delete (retention removes old segments), compact (keep the latest record of each "
                    + "key; the cleaner is not built yet: such a topic keeps everything) or compact,delete.",
                isDescribed: true,
                apply: { value, config in
                    guard let policy = CleanupPolicy(parsing: value) else {
                        return "must be a comma-separated list of delete and compact"
                    }
                    config.cleanupPolicy = policy
                    return nil
                },
                read: { $0.cleanupPolicy.description }
            ),
            Self.long(
                "retention.ms", default: "604800000", synonym: "log.retention.ms", minimum: -1,
                documentation: "Sealed segments whose newest record is older than this are deleted; -1 keeps them.",
                read: { $0.retentionMs ?? -1 }, write: { config, value in
                    guard value != 0 else { return "must be -1 (no limit) or positive" }
                    config.retentionMs = value < 0 ? nil : value
                    return nil
                }
            ),
            Self.long(
                "retention.bytes", default: "-1", synonym: "log.retention.bytes", minimum: Int64.min,
                documentation: "The oldest sealed segments are deleted while a partition is larger; -1: no limit.",
                read: { $0.retentionSizeBytes ?? -1 }, write: { config, value in
                    guard value != 0 else { return "must be -1 (no limit) or positive" }
                    config.retentionSizeBytes = value < 0 ? nil : value
                    return nil
                }
            ),
            Self.long(
                "segment.bytes", default: "1073741824", synonym: "log.segment.bytes", minimum: 14,
                maximum: Limits.segmentSizeBytesMax,
                documentation: "A segment rolls before an append would take it past this size.",
                read: { $0.segmentSizeBytes }, write: { config, value in
                    config.segmentSizeBytes = value
                    return nil
                }
            ),
            Self.long(
                "segment.ms", default: "604800000", synonym: "log.roll.ms", minimum: 1,
                documentation: "A segment rolls once this long has passed since its first append.",
                read: { $0.segmentAgeMs }, write: { config, value in
                    config.segmentAgeMs = value
                    return nil
                }
            ),
            Self.storedLong(
                "segment.jitter.ms", default: "0", synonym: "log.roll.jitter.ms", minimum: 0,
                documentation: "Accepted; Sluice rolls segments without jitter."
            ),
            Self.storedLong(
                "segment.index.bytes", default: "10485760", synonym: "log.index.size.max.bytes", minimum: 4,
                maximum: Int64(Int32.max), type: .int,
                documentation: "Accepted; Sluice's indexes hold up to 1,048,576 entries per segment and the "
                    + "segment rolls when they are full."
            ),
            Self.long(
                "index.interval.bytes", default: "4096", synonym: "log.index.interval.bytes", minimum: 1,
                maximum: 1 << 30, type: .int,
                documentation: "Bytes of log between entries of the sparse offset and time indexes.",
                read: { Int64($0.indexIntervalBytes) }, write: { config, value in
                    config.indexIntervalBytes = Int(value)
                    return nil
                }
            ),
            Self.storedLong(
                "file.delete.delay.ms", default: "60000", synonym: "log.segment.delete.delay.ms", minimum: 0,
                documentation: "Accepted; Sluice deletes a segment's files at once (readers keep their descriptor)."
            ),
            // MARK: Compaction (stored for the log cleaner)
            Self.long(
                "min.compaction.lag.ms", default: "0", synonym: "log.cleaner.min.compaction.lag.ms", minimum: 0,
                documentation: "A record stays uncompacted at least this long (stored for the log cleaner).",
                read: { $0.compaction.minLagMs }, write: { config, value in
                    config.compaction.minLagMs = value
                    return nil
                }
            ),
            Self.long(
                "max.compaction.lag.ms", default: longMax, synonym: "log.cleaner.max.compaction.lag.ms", minimum: 1,
                documentation: "A record is compacted at the latest this long after it was appended (stored for "
                    + "the log cleaner).",
                read: { $0.compaction.maxLagMs }, write: { config, value in
                    config.compaction.maxLagMs = value
                    return nil
                }
            ),
            Self.long(
                "delete.retention.ms", default: "86400000", synonym: "log.cleaner.delete.retention.ms", minimum: 0,
                documentation: "Tombstones stay readable this long after compaction (stored for the log cleaner).",
                read: { $0.compaction.deleteRetentionMs }, write: { config, value in
                    config.compaction.deleteRetentionMs = value
                    return nil
                }
            ),
            TopicConfigDefinition(
                name: "min.cleanable.dirty.ratio", type: .double, kafkaDefault: "0.5",
                brokerSynonym: "log.cleaner.min.cleanable.ratio",
                documentation: "The share of uncompacted log that makes a partition worth compacting (stored for "
                    + "the log cleaner).",
                isDescribed: true,
                apply: { value, config in
                    guard let ratio = Double(value), ratio >= 0, ratio <= 1 else {
                        return "must be a number between 0 and 1"
                    }
                    config.compaction.minCleanableDirtyRatio = ratio
                    return nil
                },
                read: { String($0.compaction.minCleanableDirtyRatio) }
            ),
            // MARK: Appends
            TopicConfigDefinition(
                name: "compression.type", type: .string, kafkaDefault: "producer", brokerSynonym: "compression.type",
                documentation: "producer: batches are stored as the producer compressed them. Sluice never "
                    + "recompresses, so other codecs are refused.",
                isDescribed: true,
                apply: { value, _ in
                    switch value.lowercased() {
                    case "producer":
                        return nil
                    case "uncompressed", "gzip", "snappy", "lz4", "zstd":
                        return "Sluice stores batches as the producer sent them and does not recompress them; "
                            + "only 'producer' is supported (set the codec on the producer instead)"
                    default:
                        return "must be one of producer, uncompressed, gzip, snappy, lz4, zstd"
                    }
                },
                read: { _ in "producer" }
            ),
            Self.long(
                "max.message.bytes", default: "1048588", synonym: "message.max.bytes",
                minimum: Int64(RecordBatchHeader.sizeBytes), maximum: Int64(Limits.batchSizeBytesMax),
                type: .int,
                documentation: "The largest record batch a produce may append; a larger one is refused with "
                    + "MESSAGE_TOO_LARGE.",
                read: { Int64($0.batchSizeBytesMax) }, write: { config, value in
                    config.batchSizeBytesMax = Int(value)
                    return nil
                }
            ),
            TopicConfigDefinition(
                name: "message.timestamp.type", type: .string, kafkaDefault: "CreateTime",
                brokerSynonym: "log.message.timestamp.type",
                documentation: "CreateTime keeps the producer's timestamps; LogAppendTime sets each batch's "
                    + "timestamp to the broker's time at append.",
                isDescribed: true,
                apply: { value, config in
                    guard let type = TimestampType(rawValue: value) else {
                        return "must be CreateTime or LogAppendTime"
                    }
                    config.timestampPolicy.type = type
                    return nil
                },
                read: { $0.timestampPolicy.type.rawValue }
            ),
            Self.long(
                "message.timestamp.difference.max.ms", default: longMax,
                synonym: "log.message.timestamp.difference.max.ms", minimum: 0,
                documentation: "Deprecated by Kafka: bounds both before.max.ms and after.max.ms (the smaller "
                    + "bound wins). With CreateTime, a batch further from the broker's time is refused.",
                read: { $0.timestampPolicy.differenceMaxMs }, write: { config, value in
                    config.timestampPolicy.differenceMaxMs = value
                    return nil
                }
            ),
            Self.long(
                "message.timestamp.before.max.ms", default: longMax, synonym: "log.message.timestamp.before.max.ms",
                minimum: 0,
                documentation: "With CreateTime, a batch whose timestamp is further than this in the past is "
                    + "refused with INVALID_TIMESTAMP.",
                read: { $0.timestampPolicy.beforeMaxMs }, write: { config, value in
                    config.timestampPolicy.beforeMaxMs = value
                    return nil
                }
            ),
            Self.long(
                "message.timestamp.after.max.ms", default: longMax, synonym: "log.message.timestamp.after.max.ms",
                minimum: 0,
                documentation: "With CreateTime, a batch whose timestamp is further than this in the future is "
                    + "refused with INVALID_TIMESTAMP.",
                read: { $0.timestampPolicy.afterMaxMs }, write: { config, value in
                    config.timestampPolicy.afterMaxMs = value
                    return nil
                }
            ),
            Self.storedBoolean(
                "message.downconversion.enable", default: "true", synonym: "log.message.downconversion.enable",
                documentation: "Accepted; Sluice serves fetch v4+ only, whose clients read v2 batches: nothing is "
                    + "ever down-converted."
            ),
            // MARK: Durability
            Self.long(
                "flush.ms", default: longMax, synonym: "log.flush.interval.ms", minimum: 0,
                documentation: "Sluice's fsync policy: 0 fsyncs before acknowledging each append, N fsyncs every N "
                    + "ms, 9223372036854775807 leaves it to the page cache (and segment rolls).",
                read: { config in
                    switch config.fsyncPolicy {
                    case .always: return 0
                    case .interval(let milliseconds): return milliseconds
                    case .never: return Int64.max
                    }
                },
                write: { config, value in
                    config.fsyncPolicy = value == 0 ? .always : value == Int64.max ? .never : .interval(milliseconds: value)
                    return nil
                }
            ),
            Self.long(
                "flush.messages", default: longMax, synonym: "log.flush.interval.messages", minimum: 1,
                documentation: "1 fsyncs before acknowledging each append (as flush.ms=0); "
                    + "9223372036854775807 leaves the fsync timing to flush.ms. Other counts are refused.",
                read: { $0.fsyncPolicy == .always ? 1 : Int64.max },
                write: { config, value in
                    switch value {
                    case 1: config.fsyncPolicy = .always
                    case Int64.max: break
                    default:
                        return "Sluice fsyncs after every append (1) or by time (flush.ms), not after a count of "
                            + "appends; use 1, or 9223372036854775807 and flush.ms"
                    }
                    return nil
                }
            ),
            Self.storedBoolean(
                "preallocate", default: "false", synonym: "log.preallocate",
                documentation: "Accepted; Sluice preallocates index files, never segment files."
            ),
            // MARK: Replication (a single node has one replica)
            Self.long(
                "min.insync.replicas", default: "1", synonym: "min.insync.replicas", minimum: 1, type: .int,
                documentation: "Only 1: a single-node broker has one replica.",
                read: { _ in 1 }, write: { _, value in
                    value == 1 ? nil : "a single-node broker has one replica, so only 1 can be met"
                }
            ),
            Self.storedBoolean(
                "unclean.leader.election.enable", default: "false", synonym: "unclean.leader.election.enable",
                documentation: "Accepted; a single-node broker has no other replica to elect."
            ),
            Self.emptyList(
                "leader.replication.throttled.replicas",
                documentation: "Only empty: a single-node broker has no replication to throttle."
            ),
            Self.emptyList(
                "follower.replication.throttled.replicas",
                documentation: "Only empty: a single-node broker has no replication to throttle."
            ),
            TopicConfigDefinition(
                name: "remote.storage.enable", type: .boolean, kafkaDefault: "false", brokerSynonym: nil,
                documentation: "Only false: Sluice has no tiered storage.", isDescribed: true,
                apply: { value, _ in
                    switch value.lowercased() {
                    case "false": return nil
                    case "true": return "Sluice has no tiered storage"
                    default: return "must be true or false"
                    }
                },
                read: { _ in "false" }
            ),
            Self.long(
                "replication.factor", default: "1", synonym: nil, minimum: -1, type: .short, isDescribed: false,
                documentation: "Not a Kafka topic config; accepted as 1 (or -1, the default) for clients that send it.",
                read: { _ in 1 }, write: { _, value in
                    value == 1 || value == -1 ? nil : "a single-node broker stores one replica of each partition"
                }
            ),
        ]
    }

    // MARK: - Builders

    /// A whole-number config applied to `LogConfig` by `write` once it is within `minimum...maximum`.
    private static func long(
        _ name: String, default kafkaDefault: String, synonym: String?, minimum: Int64, maximum: Int64 = Int64.max,
        type: TopicConfigType = .long, isDescribed: Bool = true, documentation: String,
        read: @escaping @Sendable (LogConfig) -> Int64,
        write: @escaping @Sendable (inout LogConfig, Int64) -> String?
    ) -> TopicConfigDefinition {
        TopicConfigDefinition(
            name: name, type: type, kafkaDefault: kafkaDefault, brokerSynonym: synonym, documentation: documentation,
            isDescribed: isDescribed,
            apply: { text, config in
                guard let value = Int64(text.trimmingWhitespace()) else { return "must be a whole number" }
                guard value >= minimum && value <= maximum else {
                    return Self.rangeText(minimum: minimum, maximum: maximum)
                }
                return write(&config, value)
            },
            read: { String(read($0)) }
        )
    }

    /// A whole-number config that is checked and kept, with no effect on the log.
    private static func storedLong(
        _ name: String, default kafkaDefault: String, synonym: String?, minimum: Int64, maximum: Int64 = Int64.max,
        type: TopicConfigType = .long, documentation: String
    ) -> TopicConfigDefinition {
        TopicConfigDefinition(
            name: name, type: type, kafkaDefault: kafkaDefault, brokerSynonym: synonym, documentation: documentation,
            isDescribed: true,
            apply: { text, _ in
                guard let value = Int64(text.trimmingWhitespace()) else { return "must be a whole number" }
                return value >= minimum && value <= maximum ? nil : Self.rangeText(minimum: minimum, maximum: maximum)
            },
            read: nil
        )
    }

    /// A true/false config that is checked and kept, with no effect on the log.
    private static func storedBoolean(
        _ name: String, default kafkaDefault: String, synonym: String?, documentation: String
    ) -> TopicConfigDefinition {
        TopicConfigDefinition(
            name: name, type: .boolean, kafkaDefault: kafkaDefault, brokerSynonym: synonym,
            documentation: documentation, isDescribed: true,
            apply: { text, _ in
                ["true", "false"].contains(text.lowercased()) ? nil : "must be true or false"
            },
            read: nil
        )
    }

    /// A list config whose only meaningful value on one node is the empty list.
    private static func emptyList(_ name: String, documentation: String) -> TopicConfigDefinition {
        TopicConfigDefinition(
            name: name, type: .list, kafkaDefault: "", brokerSynonym: nil, documentation: documentation,
            isDescribed: true,
            apply: { text, _ in
                text.trimmingWhitespace().isEmpty ? nil : "a single-node broker has no replication to throttle: only an empty list"
            },
            read: { _ in "" }
        )
    }

    private static func rangeText(minimum: Int64, maximum: Int64) -> String {
        if maximum == Int64.max { return minimum == Int64.min ? "out of range" : "must be at least \(minimum)" }
        return "must be between \(minimum) and \(maximum)"
    }
}

extension String {
    func trimmingWhitespace() -> String {
        String(Substring(self).trimmingWhitespace())
    }
}
