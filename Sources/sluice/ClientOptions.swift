import ArgumentParser
import SluiceClient
import SluiceModel

/// `--broker HOST:PORT`, shared by every command that talks to a broker; defaults to `SLUICE_BROKER`,
/// else 127.0.0.1:9092.
struct BrokerOption: ParsableArguments {
    @Option(help: "Broker HOST:PORT (default: $SLUICE_BROKER, else 127.0.0.1:9092).")
    var broker: String?

    func address() throws -> HostPort {
        let text = self.broker ?? currentEnvironment()["SLUICE_BROKER"] ?? "127.0.0.1:9092"
        guard let address = HostPort(parsing: text) else {
            throw ValidationError("'\(text)' is not HOST:PORT")
        }
        return address
    }

    /// Connects, turning a refused connection into one clear line.
    func connect() async throws -> KafkaClient {
        let address = try self.address()
        do {
            return try await KafkaClient.connect(to: address)
        } catch {
            throw CommandFailure("cannot reach the broker at \(address): \(error)")
        }
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
