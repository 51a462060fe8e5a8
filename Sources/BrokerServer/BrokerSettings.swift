import SluiceModel
import SluiceSecurity

/// The table of settings: config key, environment variable and how the text form sets a field of
/// `BrokerConfig`. Flags of `sluice serve` name the same keys, so there is one parser per setting.
public struct BrokerSettings: Sendable {
    public let key: String
    public let environmentVariable: String?
    let apply: @Sendable (inout BrokerConfig, String, String) throws -> Void

    public static let all: [BrokerSettings] = [
        .address("server.listen", "SLUICE_LISTEN", \.listen),
        BrokerSettings(key: "server.advertise", environmentVariable: "SLUICE_ADVERTISE") { config, text, source in
            config.advertise = text.isEmpty ? nil : try parseAddress(text, source)
        },
        .address("server.admin", "SLUICE_ADMIN_LISTEN", \.admin),
        BrokerSettings(key: "server.listeners", environmentVariable: "SLUICE_LISTENERS") { config, text, source in
            do {
                config.listeners = try Listener.parseList(text)
            } catch let error as BrokerConfigError {
                throw BrokerConfigError(message: "\(source): \(error.message)")
            }
        },
        BrokerSettings(key: "server.advertised_listeners", environmentVariable: "SLUICE_ADVERTISED_LISTENERS") { config, text, source in
            try Self.applyAdvertisedListeners(text, to: &config, source)
        },
        BrokerSettings(key: "tls.certificate_file", environmentVariable: "SLUICE_TLS_CERT") { config, text, _ in
            config.tlsCertificatePath = text
        },
        BrokerSettings(key: "tls.key_file", environmentVariable: "SLUICE_TLS_KEY") { config, text, _ in
            config.tlsKeyPath = text
        },
        BrokerSettings(key: "tls.client_ca_file", environmentVariable: "SLUICE_TLS_CLIENT_CA") { config, text, _ in
            config.tlsClientCAPath = text
        },
        BrokerSettings(key: "security.authorization", environmentVariable: "SLUICE_AUTHORIZATION") { config, text, source in
            config.authorization = try parseSwitch(text, source)
        },
        BrokerSettings(key: "security.super_users", environmentVariable: "SLUICE_SUPER_USERS") { config, text, source in
            let principals = text.split(separator: ";").map { $0.trimmingWhitespace() }.filter { !$0.isEmpty }
            guard let bad = Optional(principals.filter { KafkaPrincipal(parsing: $0) == nil }), bad.isEmpty else {
                throw BrokerConfigError(message: "\(source): super users are Type:name separated by ';', such as User:admin;User:ops")
            }
            config.superUsers = principals
        },
        BrokerSettings(key: "sasl.mechanisms", environmentVariable: "SLUICE_SASL_MECHANISMS") { config, text, source in
            let names = text.split(separator: ",").map { $0.trimmingWhitespace().uppercased() }.filter { !$0.isEmpty }
            let known = ["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"]
            guard !names.isEmpty, let unknown = Optional(names.filter { !known.contains($0) }), unknown.isEmpty else {
                throw BrokerConfigError(message: "\(source): mechanisms are a list of \(known.joined(separator: ", "))")
            }
            config.saslMechanisms = names
        },
        BrokerSettings(key: "admin.auth", environmentVariable: "SLUICE_ADMIN_AUTH") { config, text, source in
            config.adminAuth = try parseSwitch(text, source)
        },
        BrokerSettings(key: "admin.insecure", environmentVariable: "SLUICE_ADMIN_INSECURE") { config, text, source in
            config.adminInsecure = try parseSwitch(text, source)
        },
        BrokerSettings(key: "admin.tls", environmentVariable: "SLUICE_ADMIN_TLS") { config, text, source in
            config.adminTLS = try parseSwitch(text, source)
        },
        .integer("admin.body_bytes_max", \.adminBodyBytesMax, 1024...Int64(Int32.max)),
        BrokerSettings(key: "storage.data_dir", environmentVariable: "SLUICE_DATA_DIR") { config, text, source in
            guard !text.isEmpty else { throw BrokerConfigError(message: "\(source): the data directory is empty") }
            config.dataDirectory = text
        },
        BrokerSettings(key: "storage.fsync", environmentVariable: "SLUICE_FSYNC") { config, text, source in
            guard LogSettings.fsyncPolicy(parsing: text) != nil else {
                throw BrokerConfigError(message: "\(source): fsync must be always, interval:<ms> or never, not '\(text)'")
            }
            config.fsync = text
        },
        .integer("storage.segment_size_bytes", \.segmentSizeBytes, 1024...Int64(Int32.max)),
        .integer("storage.segment_age_ms", \.segmentAgeMs, 1...Int64.max),
        .integer("storage.retention_ms", \.retentionMs, -1...Int64.max),
        .integer("storage.retention_size_bytes", \.retentionSizeBytes, -1...Int64.max),
        .integer("storage.index_interval_bytes", \.indexIntervalBytes, 1...(1 << 20)),
        .integer("storage.retention_check_interval_ms", \.retentionCheckIntervalMs, 100...Int64.max),
        BrokerSettings(key: "storage.min_free_bytes", environmentVariable: "SLUICE_MIN_FREE_BYTES") { config, text, source in
            guard let number = Int64(text), number >= 0 else {
                throw BrokerConfigError(message: "\(source): '\(text)' is not a byte count of 0 or more")
            }
            config.minFreeBytes = number
        },
        .integer("storage.scrub_bytes_per_second", \.scrubBytesPerSecond, 0...Int64(Int32.max)),
        BrokerSettings(key: "topics.auto_create", environmentVariable: "SLUICE_AUTO_CREATE_TOPICS") { config, text, source in
            guard let flag = Bool(text) else { throw BrokerConfigError(message: "\(source): expected true or false") }
            config.autoCreateTopics = flag
        },
        .integer("topics.default_partitions", \.defaultPartitions, 1...10_000),
        .integer("limits.request_size_bytes_max", \.requestSizeBytesMax, 1024...Int64(Int32.max)),
        .integer("limits.batch_size_bytes_max", \.batchSizeBytesMax, 1024...Int64(Int32.max)),
        .integer("limits.request_memory_bytes_max", \.requestMemoryBytesMax, 1024...(Int64(1) << 40)),
        .integer("limits.request_receive_timeout_ms", \.requestReceiveTimeoutMs, 1...86_400_000),
        .integer("server.connections_max_idle_ms", \.connectionsMaxIdleMs, 1...Int64(Int32.max) * 1000),
        .integer("server.max_connections", \.maxConnections, 0...10_000_000),
        .integer("server.max_connections_per_ip", \.maxConnectionsPerIP, 0...10_000_000),
        .integer("limits.fetch_wait_ms_max", \.fetchWaitMsMax, 0...600_000),
        .integer("server.event_loop_threads", \.eventLoopThreads, 0...256),
        .integer("groups.initial_rebalance_delay_ms", \.groupInitialRebalanceDelayMs, 0...300_000),
        .integer("groups.offsets_retention_ms", \.groupOffsetsRetentionMs, 60_000...Int64.max),
        .integer("tracing.sample_every", \.traceSampleEvery, 0...1_000_000_000),
        BrokerSettings(key: "tracing.otlp_endpoint", environmentVariable: "SLUICE_TRACE_OTLP_ENDPOINT") { config, text, source in
            guard text.isEmpty || OTLPEndpoint(parsing: text) != nil else {
                throw BrokerConfigError(message: "\(source): '\(text)' is not http://HOST:PORT[/PATH]")
            }
            config.traceOtlpEndpoint = text
        },
        .operatorLimit("operators.memory_max_bytes", "SLUICE_OPERATOR_MEMORY_MAX", \.memoryBytesMax, { try OperatorLimits.parseBytes($0) }),
        .operatorLimit("operators.cpu_max_cores", "SLUICE_OPERATOR_CPU_MAX", \.cpuMillicoresMax, { try OperatorLimits.parseCores($0) }),
        .operatorLimit("operators.files_max", "SLUICE_OPERATOR_FILES_MAX", \.filesMax, { try OperatorLimits.parseCount($0) }),
        .operatorLimit("operators.processes_max", "SLUICE_OPERATOR_PROCESSES_MAX", \.processesMax, { try OperatorLimits.parseCount($0) }),
        BrokerSettings(key: "operators.cgroups", environmentVariable: "SLUICE_OPERATOR_CGROUPS") { config, text, source in
            guard text == "auto" || text == "off" else {
                throw BrokerConfigError(message: "\(source): cgroups must be auto or off, not '\(text)'")
            }
            config.operatorCgroups = text
        },
        BrokerSettings(key: "operators.run_as_user", environmentVariable: "SLUICE_OPERATOR_USER") { config, text, _ in
            config.operatorRunAsUser = text
        },
    ]

    init(
        key: String, environmentVariable: String?,
        apply: @escaping @Sendable (inout BrokerConfig, String, String) throws -> Void
    ) {
        self.key = key
        self.environmentVariable = environmentVariable
        self.apply = apply
    }

    static func address(_ key: String, _ variable: String, _ field: WritableKeyPath<BrokerConfig, HostPort> & Sendable)
        -> BrokerSettings
    {
        BrokerSettings(key: key, environmentVariable: variable) { config, text, source in
            config[keyPath: field] = try parseAddress(text, source)
        }
    }

    static func integer(
        _ key: String, _ field: WritableKeyPath<BrokerConfig, Int64> & Sendable, _ range: ClosedRange<Int64>
    ) -> BrokerSettings {
        BrokerSettings(key: key, environmentVariable: nil) { config, text, source in
            guard let number = Int64(text), range.contains(number) else {
                throw BrokerConfigError(message: "\(source): '\(text)' is not an integer in \(range)")
            }
            config[keyPath: field] = number
        }
    }

    /// `NAME=HOST:PORT,...`: what each named listener tells clients; listeners must be set first (settings
    /// apply in the order of `all`, where `server.listeners` comes before this key).
    static func applyAdvertisedListeners(_ text: String, to config: inout BrokerConfig, _ source: String) throws {
        for item in text.split(separator: ",") where !item.trimmingWhitespace().isEmpty {
            let parts = item.trimmingWhitespace().split(separator: "=", maxSplits: 1)
            guard parts.count == 2, let address = HostPort(parsing: String(parts[1])) else {
                throw BrokerConfigError(message: "\(source): '\(item)' is not NAME=HOST:PORT")
            }
            guard let index = config.listeners.firstIndex(where: { $0.name == parts[0].uppercased() }) else {
                throw BrokerConfigError(message: "\(source): no listener named \(parts[0]) in server.listeners")
            }
            config.listeners[index].advertised = address
        }
    }

    /// `on`/`off` as flags spell it, or `true`/`false` as the config file does.
    static func parseSwitch(_ text: String, _ source: String) throws -> Bool {
        switch text.lowercased() {
        case "on", "true": return true
        case "off", "false": return false
        default: throw BrokerConfigError(message: "\(source): expected on or off, not '\(text)'")
        }
    }

    /// One default operator limit, parsed as the deploy flags parse it and checked against its bounds.
    static func operatorLimit(
        _ key: String, _ variable: String, _ field: WritableKeyPath<OperatorLimits, Int64> & Sendable,
        _ parse: @escaping @Sendable (String) throws -> Int64
    ) -> BrokerSettings {
        BrokerSettings(key: key, environmentVariable: variable) { config, text, source in
            var limits = config.operatorLimits
            do {
                limits[keyPath: field] = try parse(text)
            } catch {
                throw BrokerConfigError(message: "\(source): \(error)")
            }
            if let problem = limits.problem { throw BrokerConfigError(message: "\(source): \(problem)") }
            config.operatorLimits = limits
        }
    }

    static func parseAddress(_ text: String, _ source: String) throws -> HostPort {
        guard let address = HostPort(parsing: text) else {
            throw BrokerConfigError(message: "\(source): '\(text)' is not HOST:PORT")
        }
        return address
    }
}
