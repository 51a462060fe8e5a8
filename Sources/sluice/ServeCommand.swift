import ArgumentParser
import BrokerServer
import Logging
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#endif

/// `sluice serve`: runs the broker until SIGTERM or SIGINT, then shuts down cleanly.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the broker (settings: Config/sluice.toml documents every key).",
        discussion: "Precedence: defaults < --config file < SLUICE_* environment variables < flags."
    )

    @Option(help: "A settings file in the format of Config/sluice.toml.")
    var config: String?

    @Option(name: .customLong("data-dir"), help: "Data directory (storage.data_dir).")
    var dataDirectory: String?

    @Option(help: "Kafka listener HOST:PORT (server.listen).")
    var listen: String?

    @Option(help: "HOST:PORT given to clients in metadata (server.advertise).")
    var advertise: String?

    @Option(help: "Admin API HOST:PORT (server.admin).")
    var admin: String?

    @Option(name: .customLong("listener"), help: "A Kafka listener [NAME=]PROTOCOL://HOST:PORT, PROTOCOL one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL; repeatable (server.listeners).")
    var listeners: [String] = []

    @Option(name: .customLong("advertised-listener"), help: "NAME=HOST:PORT a listener gives clients; repeatable (server.advertised_listeners).")
    var advertisedListeners: [String] = []

    @Option(name: .customLong("tls-cert"), help: "PEM certificate chain of TLS listeners (tls.certificate_file).")
    var tlsCertificate: String?

    @Option(name: .customLong("tls-key"), help: "PEM private key of TLS listeners (tls.key_file).")
    var tlsKey: String?

    @Option(name: .customLong("tls-client-ca"), help: "PEM CA that client certificates must be signed by: mutual TLS (tls.client_ca_file).")
    var tlsClientCA: String?

    @Option(help: "on: check every request against the ACLs, denying what none allows; off (default): allow all (security.authorization).")
    var authorization: String?

    @Option(name: .customLong("super-users"), help: "Principals allowed everything, e.g. 'User:admin;User:ops' (security.super_users).")
    var superUsers: String?

    @Option(name: .customLong("sasl-mechanisms"), help: "Mechanisms SASL listeners offer, comma-separated (sasl.mechanisms).")
    var saslMechanisms: String?
    @Option(name: .customLong("admin-auth"), help: "on or off: require a bearer token on the admin API (admin.auth); see Docs/security.md.")
    var adminAuth: String?

    @Option(name: .customLong("admin-tls"), help: "on: the admin API speaks HTTPS with --tls-cert and --tls-key (admin.tls).")
    var adminTLS: String?

    @Flag(name: .customLong("admin-insecure"), help: "Allow a non-loopback --admin address without authentication (admin.insecure).")
    var adminInsecure = false

    @Option(help: "Durability policy: always | interval:<ms> | never (storage.fsync).")
    var fsync: String?

    @Option(name: .customLong("min-free-bytes"), help: "Refuse appends to ordinary topics below this much free space; 0 = no floor (storage.min_free_bytes).")
    var minFreeBytes: String?

    @Option(name: .customLong("auto-create-topics"), help: "true or false (topics.auto_create).")
    var autoCreateTopics: String?

    @Option(name: .customLong("default-partitions"), help: "Partitions of auto-created topics.")
    var defaultPartitions: String?

    @Option(name: .customLong("trace-sample-every"), help: "Trace one record in N entering an operator; 0 = off (tracing.sample_every).")
    var traceSampleEvery: String?

    @Option(name: .customLong("trace-otlp-endpoint"), help: "Export spans as OTLP/HTTP JSON to http://HOST:PORT (tracing.otlp_endpoint).")
    var traceOtlpEndpoint: String?

    @Option(name: .customLong("operator-memory-max"), help: "Default memory limit of an operator, e.g. 1GiB or unlimited (operators.memory_max_bytes).")
    var operatorMemoryMax: String?

    @Option(name: .customLong("operator-cpu-max"), help: "Default CPU limit of an operator in cores, e.g. 0.5 or unlimited (operators.cpu_max_cores).")
    var operatorCpuMax: String?

    @Option(name: .customLong("operator-files-max"), help: "Default open-file limit of an operator (operators.files_max).")
    var operatorFilesMax: String?

    @Option(name: .customLong("operator-processes-max"), help: "Default process and thread limit of an operator (operators.processes_max).")
    var operatorProcessesMax: String?

    @Option(name: .customLong("operator-cgroups"), help: "auto or off: confine operators in cgroups where available (operators.cgroups).")
    var operatorCgroups: String?

    @Option(name: .customLong("operator-user"), help: "Run operators as this unprivileged user (operators.run_as_user).")
    var operatorUser: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "info"

    func run() async throws {
        let brokerConfig: BrokerConfig
        do {
            brokerConfig = try self.loadConfig()
        } catch {
            throw ValidationError("\(error)")
        }
        guard let level = Logger.Level(rawValue: self.logLevel) else {
            throw ValidationError("unknown log level '\(self.logLevel)'")
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "sluice")
        let broker = BrokerService(config: brokerConfig, logger: logger)
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [.init(service: broker)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await group.run()
    }

    private func loadConfig() throws -> BrokerConfig {
        var brokerConfig = BrokerConfig()
        if let path = self.config {
            try brokerConfig.apply(ConfigFile(parsing: try readTextFile(path)))
        }
        try brokerConfig.apply(environment: currentEnvironment())
        let flags: [(String, String?)] = [
            ("storage.data_dir", self.dataDirectory), ("server.listen", self.listen),
            ("server.advertise", self.advertise), ("server.admin", self.admin), ("storage.fsync", self.fsync),
            ("storage.min_free_bytes", self.minFreeBytes),
            ("server.listeners", self.listeners.isEmpty ? nil : self.listeners.joined(separator: ",")),
            ("server.advertised_listeners", self.advertisedListeners.isEmpty ? nil : self.advertisedListeners.joined(separator: ",")),
            ("tls.certificate_file", self.tlsCertificate), ("tls.key_file", self.tlsKey), ("tls.client_ca_file", self.tlsClientCA),
            ("sasl.mechanisms", self.saslMechanisms),
            ("security.authorization", self.authorization), ("security.super_users", self.superUsers),
            ("topics.auto_create", self.autoCreateTopics), ("topics.default_partitions", self.defaultPartitions),
            ("tracing.sample_every", self.traceSampleEvery), ("tracing.otlp_endpoint", self.traceOtlpEndpoint),
            ("admin.auth", self.adminAuth), ("admin.tls", self.adminTLS), ("admin.insecure", self.adminInsecure ? "true" : nil),
            ("operators.memory_max_bytes", self.operatorMemoryMax), ("operators.cpu_max_cores", self.operatorCpuMax),
            ("operators.files_max", self.operatorFilesMax), ("operators.processes_max", self.operatorProcessesMax),
            ("operators.cgroups", self.operatorCgroups), ("operators.run_as_user", self.operatorUser),
        ]
        for (key, value) in flags {
            if let value { try brokerConfig.apply(key: key, text: value, source: "flag for \(key)") }
        }
        try brokerConfig.validate()
        return brokerConfig
    }
}

/// The process environment as a dictionary.
func currentEnvironment() -> [String: String] {
    var environment: [String: String] = [:]
    var pointer = environ
    while let entry = pointer.pointee {
        let text = String(cString: entry)
        if let equals = text.firstIndex(of: "=") {
            environment[String(text[..<equals])] = String(text[text.index(after: equals)...])
        }
        pointer += 1
    }
    return environment
}

/// Reads a whole text file, with an error naming the path.
func readTextFile(_ path: String) throws -> String {
    guard let file = fopen(path, "r") else {
        throw ValidationError("cannot open \(path): \(String(cString: strerror(errno)))")
    }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 64 * 1024)
    while true {
        let count = fread(&chunk, 1, chunk.count, file)
        if count <= 0 { break }
        bytes.append(contentsOf: chunk[0..<count])
        guard bytes.count <= 1 << 20 else { throw ValidationError("\(path) is larger than 1 MiB") }
    }
    return String(decoding: bytes, as: UTF8.self)
}
