import LogStore
import SluiceModel

/// Every setting of the broker with its default. Filled, in increasing precedence, from the defaults
/// here, the config file (`Config/sluice.toml` documents each key), the environment and the flags of
/// `sluice serve`; `BrokerSettings.all` is the single table that maps keys and variables to fields.
public struct BrokerConfig: Equatable, Sendable {
    public var listen = HostPort(host: "127.0.0.1", port: 9092)
    /// The address clients are told to connect to; the listen address when nil.
    public var advertise: HostPort? = nil
    public var admin = HostPort(host: "127.0.0.1", port: 9644)
    public var dataDirectory = "./data"
    /// `always`, `interval:<ms>` or `never`; checked by `LogSettings`.
    public var fsync = "always"
    public var segmentSizeBytes: Int64 = 1 << 30
    public var segmentAgeMs: Int64 = 7 * 24 * 3_600_000
    /// -1 keeps segments forever.
    public var retentionMs: Int64 = 7 * 24 * 3_600_000
    /// -1 sets no size bound.
    public var retentionSizeBytes: Int64 = -1
    public var indexIntervalBytes: Int64 = 4096
    public var retentionCheckIntervalMs: Int64 = 60_000
    /// Bytes of sealed segments the background scrubber re-verifies per second (CRC-32C); 0 turns it off.
    public var scrubBytesPerSecond = Int64(ScrubberConfiguration.defaultBytesPerSecond)
    public var autoCreateTopics = true
    public var defaultPartitions: Int64 = 1
    public var requestSizeBytesMax: Int64 = Int64(Limits.requestFrameSizeBytesMax)
    public var batchSizeBytesMax: Int64 = 8 * 1024 * 1024
    /// Below this many available bytes in the data directory's file system, appends to ordinary topics are
    /// refused (KAFKA_STORAGE_ERROR) so internal topics and checkpoints keep room; 0 sets no floor.
    public var minFreeBytes: Int64 = DiskSpaceGuard.defaultMinFreeBytes
    /// The longest a fetch may wait for data, whatever the client asks.
    public var fetchWaitMsMax: Int64 = 30_000
    /// 0 means one event loop per core.
    public var eventLoopThreads: Int64 = 0
    /// How long a new (empty) group waits for more members before its first rebalance completes.
    public var groupInitialRebalanceDelayMs: Int64 = 1000
    /// Offsets of a group with no members and no commits for this long are deleted.
    public var groupOffsetsRetentionMs: Int64 = 7 * 24 * 3_600_000
    /// One record in this many entering an operator starts a trace; 0 samples none (`Docs/tracing.md`).
    public var traceSampleEvery: Int64 = 0
    /// Where finished spans are POSTed as OTLP/HTTP JSON (http://HOST:PORT[/PATH]); empty exports nothing.
    public var traceOtlpEndpoint = ""
    /// The limits of an operator deployed without its own (`[operators]`, `Docs/security.md`); 0 = none.
    public var operatorLimits = OperatorLimits.defaults
    /// `auto` confines operators in cgroups where the machine has them, `off` uses rlimits only.
    public var operatorCgroups = "auto"
    /// The unprivileged user operators run as; empty runs them as the broker's user.
    public var operatorRunAsUser = ""

    public init() {}

    /// The address advertised in Metadata responses.
    public var advertisedAddress: HostPort { self.advertise ?? self.listen }

    /// Applies a parsed config file; unknown keys are an error so typos are caught.
    public mutating func apply(_ file: ConfigFile) throws {
        for (key, value) in file.values.sorted(by: { $0.key < $1.key }) {
            guard let setting = BrokerSettings.all.first(where: { $0.key == key }) else {
                throw BrokerConfigError(message: "unknown setting '\(key)' in the config file")
            }
            try setting.apply(&self, value.textForm, "config key '\(key)'")
        }
    }

    /// Applies `SLUICE_*` environment variables.
    public mutating func apply(environment: [String: String]) throws {
        for setting in BrokerSettings.all {
            guard let variable = setting.environmentVariable, let text = environment[variable] else { continue }
            try setting.apply(&self, text, "environment variable \(variable)")
        }
    }

    /// Applies one setting given as text (a flag's value); `key` is the setting's config key.
    public mutating func apply(key: String, text: String, source: String) throws {
        guard let setting = BrokerSettings.all.first(where: { $0.key == key }) else {
            preconditionFailure("no setting named \(key)")
        }
        try setting.apply(&self, text, source)
    }

    /// Checks relations between settings that each look fine alone.
    public func validate() throws {
        guard self.defaultPartitions >= 1, self.defaultPartitions <= Int64(Limits.partitionsPerTopicMax) else {
            throw BrokerConfigError(message: "topics.default_partitions must be 1...\(Limits.partitionsPerTopicMax)")
        }
        guard self.batchSizeBytesMax <= Int64(Limits.batchSizeBytesMax), self.batchSizeBytesMax >= 1024 else {
            throw BrokerConfigError(message: "limits.batch_size_bytes_max must be 1024...\(Limits.batchSizeBytesMax)")
        }
        guard self.requestSizeBytesMax > self.batchSizeBytesMax,
              self.requestSizeBytesMax <= Int64(Limits.requestFrameSizeBytesMax)
        else {
            throw BrokerConfigError(
                message: "limits.request_size_bytes_max must exceed the batch limit and be at most \(Limits.requestFrameSizeBytesMax)"
            )
        }
        if let problem = self.operatorLimits.problem {
            throw BrokerConfigError(message: "operators: \(problem)")
        }
        // The storage rules, as the storage layer enforces them when the broker opens its logs.
        if let problem = try LogSettings.problems(in: self).first {
            throw BrokerConfigError(message: problem)
        }
    }
}

public struct BrokerConfigError: Error, Equatable, CustomStringConvertible {
    public var message: String

    public init(message: String) {
        self.message = message
    }

    public var description: String { self.message }
}

extension ConfigFile.Value {
    /// The value as a flag would spell it, so the file, the environment and flags share one parser.
    var textForm: String {
        switch self {
        case .string(let text): return text
        case .integer(let number): return String(number)
        case .boolean(let flag): return String(flag)
        }
    }
}
