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
    /// Whether every admin request (but health and the dashboard page) needs a bearer token
    /// (`Docs/security.md`). Off by default, which is allowed on a loopback address only.
    public var adminAuth = false
    /// Allows a non-loopback admin address without authentication; the broker then logs a warning.
    public var adminInsecure = false
    /// Largest admin request body: an upload of operator code (a Swift executable is tens of MiB, base64 adds
    /// a third). A larger declared `Content-Length` is refused before the body is read.
    public var adminBodyBytesMax: Int64 = 256 * 1024 * 1024
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
    /// Bytes of partly arrived request frames the broker holds across all connections (Kafka's
    /// `queued.max.request.bytes`); over it, connections in the middle of a frame stop being read.
    public var requestMemoryBytesMax: Int64 = 256 * 1024 * 1024
    /// A request frame must arrive whole within this long of its first byte, or its connection is closed.
    public var requestReceiveTimeoutMs: Int64 = 30_000
    /// A connection with no request in flight for this long is closed (Kafka's `connections.max.idle.ms`).
    public var connectionsMaxIdleMs: Int64 = 600_000
    /// Most Kafka connections open at once, and from one IP address; 0 sets no limit.
    public var maxConnections: Int64 = 10_000
    public var maxConnectionsPerIP: Int64 = 0
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
    /// Kafka listeners (`server.listeners`); when empty, one PLAINTEXT listener on `listen`.
    public var listeners: [Listener] = []
    /// PEM files of the TLS listeners: the broker's certificate chain and key, and the CA that client
    /// certificates must be signed by (mutual TLS; none asked for when empty).
    public var tlsCertificatePath = ""
    public var tlsKeyPath = ""
    public var tlsClientCAPath = ""
    /// What SASL listeners offer (`sasl.mechanisms`).
    public var saslMechanisms = ["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"]
    /// Whether the admin API speaks HTTPS, with the certificate of `tls.certificate_file` (`admin.tls`).
    public var adminTLS = false
    /// Whether every request is checked against the ACLs (`security.authorization`); off allows everything.
    public var authorization = false
    /// Principals allowed everything whatever the ACLs say (`security.super_users`, `User:admin;User:ops`).
    public var superUsers: [String] = []
    /// The limits of an operator deployed without its own (`[operators]`, `Docs/security.md`); 0 = none.
    public var operatorLimits = OperatorLimits.defaults
    /// `auto` confines operators in cgroups where the machine has them, `off` uses rlimits only.
    public var operatorCgroups = "auto"
    /// The unprivileged user operators run as; empty runs them as the broker's user.
    public var operatorRunAsUser = ""

    public init() {}

    /// The address advertised in Metadata responses on the default listener.
    public var advertisedAddress: HostPort { self.advertise ?? self.listen }

    /// The listeners to bind: the configured ones, or the PLAINTEXT listener on `listen` advertising
    /// `advertise`. A listener without its own advertised address advertises the address it binds.
    public var effectiveListeners: [Listener] {
        guard !self.listeners.isEmpty else {
            return [Listener(name: "PLAINTEXT", securityProtocol: .plaintext, address: self.listen, advertised: self.advertise)]
        }
        return self.listeners
    }

    /// Applies a parsed config file; unknown keys are an error so typos are caught. Keys are applied in the
    /// order of `BrokerSettings.all`, so a setting that refines another (advertised listeners) comes after it.
    public mutating func apply(_ file: ConfigFile) throws {
        if let unknown = file.values.keys.sorted().first(where: { key in !BrokerSettings.all.contains { $0.key == key } }) {
            throw BrokerConfigError(message: "unknown setting '\(unknown)' in the config file")
        }
        for setting in BrokerSettings.all {
            guard let value = file.values[setting.key] else { continue }
            try setting.apply(&self, value.textForm, "config key '\(setting.key)'")
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
        guard self.requestMemoryBytesMax >= self.requestSizeBytesMax else {
            throw BrokerConfigError(message: """
                limits.request_memory_bytes_max (\(self.requestMemoryBytesMax)) must be at least \
                limits.request_size_bytes_max (\(self.requestSizeBytesMax)): a request of the largest size \
                could never arrive
                """)
        }
        let tlsListeners = self.effectiveListeners.filter(\.securityProtocol.usesTLS).map(\.name)
        if !tlsListeners.isEmpty && (self.tlsCertificatePath.isEmpty || self.tlsKeyPath.isEmpty) {
            throw BrokerConfigError(
                message: "listener \(tlsListeners.joined(separator: ", ")) uses TLS: set tls.certificate_file and tls.key_file (--tls-cert, --tls-key)"
            )
        }
        if self.adminTLS && (self.tlsCertificatePath.isEmpty || self.tlsKeyPath.isEmpty) {
            throw BrokerConfigError(message: "admin.tls is on: set tls.certificate_file and tls.key_file (--tls-cert, --tls-key)")
        }
        if !self.tlsClientCAPath.isEmpty && tlsListeners.isEmpty {
            throw BrokerConfigError(message: "tls.client_ca_file is set but no listener uses TLS (SSL or SASL_SSL)")
        }
        if !self.adminAuth && !self.adminInsecure && !self.admin.isLoopback {
            throw BrokerConfigError(message: """
                the admin API would listen on \(self.admin), beyond loopback, without authentication: anyone who \
                reaches it could run code as this user. Turn authentication on (--admin-auth on, admin.auth = true) \
                and create a token (sluice token create NAME --role admin --data-dir DIR), or accept the risk with \
                --admin-insecure (admin.insecure = true)
                """)
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
