import Foundation
import KafkaWire
import NIOSSL
import SluiceSecurity

/// How the client reaches a listener: Kafka's four security protocols, with the TLS trust and the SASL login
/// they need. Read from a Kafka-style client properties file (`sluice ... --client-config FILE`, as Kafka's tools
/// take `--command-config`), with Kafka's own property names, so one file serves kcat, Kafka's tools and `sluice`:
///
/// ```
/// security.protocol=SASL_SSL          # PLAINTEXT (default), SSL, SASL_PLAINTEXT or SASL_SSL
/// sasl.mechanism=SCRAM-SHA-512        # or SCRAM-SHA-256, PLAIN (librdkafka spells it sasl.mechanisms)
/// sasl.username=alice
/// sasl.password=...                   # or leave it out and set SLUICE_SASL_PASSWORD
/// ssl.ca.location=/etc/sluice/ca.pem  # trusted CA (PEM); the system's trust store when absent
/// ssl.certificate.location=client.pem # a client certificate, for listeners that require one
/// ssl.key.location=client.key
/// ssl.endpoint.identification.algorithm=https   # or empty: do not check the broker's name
/// ```
public struct ClientSecurity: Sendable {
    public enum SaslMechanism: Sendable, Equatable {
        case plain
        case scram(ScramMechanism)

        public var name: String {
            switch self {
            case .plain: return "PLAIN"
            case .scram(let mechanism): return mechanism.name
            }
        }

        public init?(name: String) {
            if name.uppercased() == "PLAIN" {
                self = .plain
            } else if let mechanism = ScramMechanism(name: name) {
                self = .scram(mechanism)
            } else {
                return nil
            }
        }
    }

    public struct SaslLogin: Sendable {
        public var mechanism: SaslMechanism
        public var username: String
        public var password: String

        public init(mechanism: SaslMechanism, username: String, password: String) {
            self.mechanism = mechanism
            self.username = username
            self.password = password
        }
    }

    /// Kafka's name of the protocol: PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL.
    public var protocolName: String
    /// The TLS context, for SSL and SASL_SSL.
    public var tls: NIOSSLContext?
    /// Whether the broker's certificate must name the host connected to.
    public var verifiesHostName: Bool
    /// The login, for SASL_PLAINTEXT and SASL_SSL.
    public var sasl: SaslLogin?

    public static let plaintext = ClientSecurity(protocolName: "PLAINTEXT", tls: nil, verifiesHostName: false, sasl: nil)

    public init(protocolName: String, tls: NIOSSLContext?, verifiesHostName: Bool, sasl: SaslLogin?) {
        self.protocolName = protocolName
        self.tls = tls
        self.verifiesHostName = verifiesHostName
        self.sasl = sasl
    }

    /// Client properties longer than this are not a client configuration.
    static let propertiesBytesMax = 64 * 1024

    /// Reads a properties file; `environment` supplies `SLUICE_SASL_PASSWORD` when the file has no password.
    public static func load(propertiesFile path: String, environment: [String: String]) throws -> ClientSecurity {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw KafkaClientError.invalidArgument("cannot read the client configuration \(path)")
        }
        guard data.count <= Self.propertiesBytesMax, let text = String(data: data, encoding: .utf8) else {
            throw KafkaClientError.invalidArgument("\(path) is not a client configuration (UTF-8, at most 64 KiB)")
        }
        return try Self.parse(properties: Self.properties(text), environment: environment, source: path)
    }

    /// `key=value` lines (`#` and `!` comments, blank lines, spaces around `=` ignored).
    static func properties(_ text: String) -> [String: String] {
        var properties: [String: String] = [:]
        for line in text.split(whereSeparator: \.isNewline) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty, !trimmed.hasPrefix("#"), !trimmed.hasPrefix("!"),
                  let equals = trimmed.firstIndex(of: "=") else { continue }
            let key = trimmed[..<equals].trimmingCharacters(in: .whitespaces)
            properties[key] = trimmed[trimmed.index(after: equals)...].trimmingCharacters(in: .whitespaces)
        }
        return properties
    }

    static func parse(properties: [String: String], environment: [String: String], source: String) throws -> ClientSecurity {
        let protocolName = (properties["security.protocol"] ?? "PLAINTEXT").uppercased()
        guard ["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"].contains(protocolName) else {
            throw KafkaClientError.invalidArgument(
                "\(source): security.protocol must be PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL, not \(protocolName)")
        }
        var security = ClientSecurity(
            protocolName: protocolName, tls: nil,
            verifiesHostName: (properties["ssl.endpoint.identification.algorithm"] ?? "https").lowercased() == "https",
            sasl: nil
        )
        if protocolName.hasSuffix("SSL") {
            security.tls = try Self.tlsContext(properties: properties, source: source)
        }
        if protocolName.hasPrefix("SASL") {
            security.sasl = try Self.login(properties: properties, environment: environment, source: source)
        }
        return security
    }

    private static func tlsContext(properties: [String: String], source: String) throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        if let ca = properties["ssl.ca.location"] ?? properties["ssl.truststore.location"], !ca.isEmpty {
            configuration.trustRoots = .file(ca)
        }
        if let certificate = properties["ssl.certificate.location"], let key = properties["ssl.key.location"] {
            configuration.certificateChain = try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) }
            configuration.privateKey = .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))
        }
        if (properties["ssl.endpoint.identification.algorithm"] ?? "https").isEmpty {
            configuration.certificateVerification = .noHostnameVerification
        }
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw KafkaClientError.invalidArgument("\(source): the TLS settings cannot be used: \(error)")
        }
    }

    private static func login(properties: [String: String], environment: [String: String], source: String) throws -> SaslLogin {
        let mechanismName = properties["sasl.mechanism"] ?? properties["sasl.mechanisms"] ?? "SCRAM-SHA-512"
        guard let mechanism = SaslMechanism(name: mechanismName) else {
            throw KafkaClientError.invalidArgument(
                "\(source): sasl.mechanism must be SCRAM-SHA-512, SCRAM-SHA-256 or PLAIN, not \(mechanismName)")
        }
        guard let username = properties["sasl.username"], !username.isEmpty else {
            throw KafkaClientError.invalidArgument("\(source): sasl.username is required for \(mechanism.name)")
        }
        guard let password = properties["sasl.password"] ?? environment["SLUICE_SASL_PASSWORD"] else {
            throw KafkaClientError.invalidArgument(
                "\(source): no password: set sasl.password in the file or SLUICE_SASL_PASSWORD")
        }
        return SaslLogin(mechanism: mechanism, username: username, password: password)
    }
}

extension String {
    /// Whether this is an IPv4 or IPv6 address rather than a host name (TLS sends only names as SNI).
    var isIPAddressLiteral: Bool {
        var ipv4 = in_addr()
        var ipv6 = in6_addr()
        return inet_pton(AF_INET, self, &ipv4) == 1 || inet_pton(AF_INET6, self, &ipv6) == 1
    }
}
