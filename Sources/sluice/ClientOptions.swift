import ArgumentParser
import SluiceClient
import SluiceModel

/// `--broker HOST:PORT`, shared by every command that talks to a broker; defaults to `SLUICE_BROKER`,
/// else 127.0.0.1:9092. `--client-config FILE` (or `SLUICE_CLIENT_CONFIG`) reaches a TLS or SASL listener: a
/// Kafka-style properties file (`ClientSecurity`), the password in it or in `SLUICE_SASL_PASSWORD`.
struct BrokerOption: ParsableArguments {
    @Option(help: "Broker HOST:PORT (default: $SLUICE_BROKER, else 127.0.0.1:9092).")
    var broker: String?

    @Option(
        name: .customLong("client-config"),
        help: "Kafka client properties for a TLS or SASL listener: security.protocol, sasl.mechanism, sasl.username, sasl.password (or $SLUICE_SASL_PASSWORD), ssl.ca.location, ... (default: $SLUICE_CLIENT_CONFIG)."
    )
    var clientConfig: String?

    func address() throws -> HostPort {
        let text = self.broker ?? currentEnvironment()["SLUICE_BROKER"] ?? "127.0.0.1:9092"
        guard let address = HostPort(parsing: text) else {
            throw ValidationError("'\(text)' is not HOST:PORT")
        }
        return address
    }

    /// The security settings of the client configuration file, or plaintext without one.
    func security() throws -> ClientSecurity {
        let environment = currentEnvironment()
        guard let path = self.clientConfig ?? environment["SLUICE_CLIENT_CONFIG"], !path.isEmpty else { return .plaintext }
        do {
            return try ClientSecurity.load(propertiesFile: path, environment: environment)
        } catch {
            throw CommandFailure("\(error)")
        }
    }

    /// Connects, turning a refused connection or login into one clear line.
    func connect() async throws -> KafkaClient {
        let address = try self.address()
        let security = try self.security()
        do {
            return try await KafkaClient.connect(to: address, security: security)
        } catch {
            throw CommandFailure("cannot reach the broker at \(address) (\(security.protocolName)): \(error)")
        }
    }
}

/// `--admin HOST:PORT` and `--token TOKEN` for the commands that use the admin API; the address defaults to
/// `SLUICE_ADMIN`, else 127.0.0.1:9644, the token to `SLUICE_ADMIN_TOKEN` (preferred: a flag's value is visible
/// to every user of the machine in the process list).
struct AdminOption: ParsableArguments {
    @Option(help: "Admin API [https://]HOST:PORT (default: $SLUICE_ADMIN, else 127.0.0.1:9644).")
    var admin: String?

    @Option(name: .customLong("admin-ca"), help: "PEM CA to verify an https:// admin API with (default: $SLUICE_ADMIN_CA, else the system's).")
    var adminCA: String?

    @Option(help: "Bearer token for the admin API (default: $SLUICE_ADMIN_TOKEN).")
    var token: String?

    func client() throws -> AdminClient {
        let environment = currentEnvironment()
        var text = self.admin ?? environment["SLUICE_ADMIN"] ?? "127.0.0.1:9644"
        let isHTTPS = text.hasPrefix("https://")
        text = String(text.dropFirst(isHTTPS ? 8 : (text.hasPrefix("http://") ? 7 : 0)))
        guard let address = HostPort(parsing: text) else { throw ValidationError("'\(text)' is not [https://]HOST:PORT") }
        let token = self.token ?? environment["SLUICE_ADMIN_TOKEN"]
        let tls = isHTTPS ? try AdminClient.tlsContext(caPath: self.adminCA ?? environment["SLUICE_ADMIN_CA"]) : nil
        return AdminClient(address: address, token: token?.isEmpty == true ? nil : token, tls: tls)
    }
}

/// Runs an admin call, turning its errors into one clear line (with what to do about a missing token).
func withAdmin<T>(_ option: AdminOption, _ body: (AdminClient) async throws -> T) async throws -> T {
    let client = try option.client()
    do {
        return try await body(client)
    } catch let error as AdminClientError {
        if case .refused(status: 401, _) = error, client.token == nil {
            throw CommandFailure("\(error) (no token given: set SLUICE_ADMIN_TOKEN or pass --token)")
        }
        throw CommandFailure("\(error)")
    }
}

/// An error that the CLI prints as one line before exiting with status 1.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}

/// Runs `body` with a connected client and always closes it; client errors become one clear line.
func withClient<T>(_ option: BrokerOption, _ body: (KafkaClient) async throws -> T) async throws -> T {
    let client = try await option.connect()
    do {
        let result = try await body(client)
        await client.close()
        return result
    } catch let error as KafkaClientError {
        await client.close()
        throw CommandFailure("\(error)")
    } catch {
        await client.close()
        throw error
    }
}
