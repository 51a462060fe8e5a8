import SluiceModel
import Synchronization

/// Kafka's four security protocols: whether a listener wraps connections in TLS and whether clients must
/// authenticate with SASL before any other request.
public enum SecurityProtocol: String, CaseIterable, Sendable {
    case plaintext = "PLAINTEXT"
    case ssl = "SSL"
    case saslPlaintext = "SASL_PLAINTEXT"
    case saslSSL = "SASL_SSL"

    public var usesTLS: Bool { self == .ssl || self == .saslSSL }
    public var requiresSASL: Bool { self == .saslPlaintext || self == .saslSSL }
}

/// One Kafka listener: `NAME=PROTOCOL://HOST:PORT` (or `PROTOCOL://HOST:PORT`, named after its protocol),
/// as Kafka's `listeners` setting writes them, with the address clients are told to use (its own when nil).
public struct Listener: Equatable, Sendable, CustomStringConvertible {
    public var name: String
    public var securityProtocol: SecurityProtocol
    public var address: HostPort
    public var advertised: HostPort?

    public init(name: String, securityProtocol: SecurityProtocol, address: HostPort, advertised: HostPort? = nil) {
        self.name = name
        self.securityProtocol = securityProtocol
        self.address = address
        self.advertised = advertised
    }

    public var description: String { "\(self.name)=\(self.securityProtocol.rawValue)://\(self.address)" }

    /// Parses one listener, or says what is wrong with it.
    public static func parse(_ text: String) throws(BrokerConfigError) -> Listener {
        var rest = Substring(text.trimmingWhitespace())
        var name: String?
        if let equals = rest.firstIndex(of: "="), !rest[..<equals].contains(":") {
            name = String(rest[..<equals])
            rest = rest[rest.index(after: equals)...]
        }
        guard let separator = rest.range(of: "://") else {
            throw BrokerConfigError(message: "'\(text)' is not [NAME=]PROTOCOL://HOST:PORT")
        }
        let protocolName = rest[..<separator.lowerBound].uppercased()
        guard let securityProtocol = SecurityProtocol(rawValue: protocolName) else {
            let known = SecurityProtocol.allCases.map(\.rawValue).joined(separator: ", ")
            throw BrokerConfigError(message: "'\(text)': unknown protocol \(protocolName) (one of \(known))")
        }
        guard let address = HostPort(parsing: String(rest[separator.upperBound...])) else {
            throw BrokerConfigError(message: "'\(text)': '\(rest[separator.upperBound...])' is not HOST:PORT")
        }
        let listenerName = (name ?? protocolName).uppercased()
        guard !listenerName.isEmpty, listenerName.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) else {
            throw BrokerConfigError(message: "'\(text)': a listener name is letters, digits, '_' and '-'")
        }
        return Listener(name: listenerName, securityProtocol: securityProtocol, address: address)
    }

    /// A comma-separated list of listeners with unique names.
    public static func parseList(_ text: String) throws(BrokerConfigError) -> [Listener] {
        var listeners: [Listener] = []
        for item in text.split(separator: ",") where !item.trimmingWhitespace().isEmpty {
            let listener = try Self.parse(String(item))
            guard !listeners.contains(where: { $0.name == listener.name }) else {
                throw BrokerConfigError(message: "listener \(listener.name) is named twice")
            }
            listeners.append(listener)
        }
        return listeners
    }
}

/// A listener once bound: what a connection on it knows of it (its port is the one bound, which matters
/// when the configured port was 0).
public struct BoundListener: Sendable {
    public let name: String
    public let securityProtocol: SecurityProtocol
    /// The address Metadata and FindCoordinator give clients that connected here.
    public let advertised: HostPort
    /// The address it listens on.
    public let bound: HostPort

    public init(name: String, securityProtocol: SecurityProtocol, advertised: HostPort, bound: HostPort) {
        self.name = name
        self.securityProtocol = securityProtocol
        self.advertised = advertised
        self.bound = bound
    }
}

/// The bound listener, shared with the connections' initializer, which may run before `bind` returns.
final class BoundListenerBox: Sendable {
    private let state: Mutex<BoundListener>

    init(_ listener: BoundListener) {
        self.state = Mutex(listener)
    }

    var value: BoundListener {
        get { self.state.withLock { $0 } }
        set { self.state.withLock { $0 = newValue } }
    }
}

extension StringProtocol {
    func trimmingWhitespace() -> String {
        String(self.drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }
}
