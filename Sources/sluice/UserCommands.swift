import ArgumentParser
import SluiceClient
import SluiceSecurity

#if canImport(Glibc)
import Glibc
#endif

/// `sluice user`: the SCRAM users SASL listeners accept, managed over the Kafka protocol
/// (AlterUserScramCredentials), so Kafka's own `kafka-configs` and admin clients see the same users.
struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user",
        abstract: "Create, list and delete the SCRAM users of SASL listeners.",
        subcommands: [Create.self, List.self, Delete.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a user, or set a new password (read from stdin; only a salted hash is stored)."
        )
        @OptionGroup var brokerOption: BrokerOption
        @Argument(help: "User name.") var name: String
        @Option(help: "scram-sha-512 or scram-sha-256; repeat for both (default: both).")
        var mechanism: [String] = []
        @Option(help: "SCRAM iterations, \(ScramMechanism.iterationsMin)...\(ScramMechanism.iterationsMax).")
        var iterations: Int = ScramMechanism.iterationsMin
        @Flag(name: .customLong("password-stdin"), help: "Read the password from standard input (required).")
        var passwordFromStandardInput = false

        func run() async throws {
            guard self.passwordFromStandardInput else {
                throw ValidationError("give the password on standard input with --password-stdin (never on the command line)")
            }
            let mechanisms = try UserCommand.mechanisms(self.mechanism)
            guard (ScramMechanism.iterationsMin...ScramMechanism.iterationsMax).contains(self.iterations) else {
                throw ValidationError("--iterations must be \(ScramMechanism.iterationsMin)...\(ScramMechanism.iterationsMax)")
            }
            guard let line = readLine(strippingNewline: true), !line.isEmpty else {
                throw ValidationError("no password on standard input")
            }
            try await withClient(self.brokerOption) { client in
                for mechanism in mechanisms {
                    try await client.setScramCredential(
                        user: self.name, password: line, mechanism: mechanism, iterations: self.iterations
                    )
                }
            }
            print("user \(self.name): \(mechanisms.map(\.name).joined(separator: ", "))")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List users and their SCRAM mechanisms.")
        @OptionGroup var brokerOption: BrokerOption

        func run() async throws {
            let users = try await withClient(self.brokerOption) { client in try await client.scramUsers() }
            let rows = users.map { user in
                [user.user, user.mechanisms.map { "\($0.0.name) (\($0.1) iterations)" }.joined(separator: ", ")]
            }
            print(TextTable(headers: ["USER", "MECHANISMS"], rows: rows).rendered(), terminator: "")
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a user's credentials (every mechanism by default).")
        @OptionGroup var brokerOption: BrokerOption
        @Argument(help: "User name.") var name: String
        @Option(help: "Only this mechanism: scram-sha-512 or scram-sha-256 (repeatable).")
        var mechanism: [String] = []

        func run() async throws {
            let asked = try UserCommand.mechanisms(self.mechanism)
            try await withClient(self.brokerOption) { client in
                let existing = try await client.scramUsers().first { $0.user == self.name }?.mechanisms.map(\.0) ?? []
                let doomed = asked.filter(existing.contains)
                guard !doomed.isEmpty else { throw CommandFailure("user \(self.name) has no such credential") }
                for mechanism in doomed {
                    try await client.deleteScramCredential(user: self.name, mechanism: mechanism)
                }
            }
            print("deleted user \(self.name)")
        }
    }

    static func mechanisms(_ names: [String]) throws -> [ScramMechanism] {
        guard !names.isEmpty else { return [.sha512, .sha256] }
        return try names.map { name in
            guard let mechanism = ScramMechanism(name: name) else {
                throw ValidationError("unknown mechanism '\(name)': scram-sha-512 or scram-sha-256")
            }
            return mechanism
        }
    }
}
