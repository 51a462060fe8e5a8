import ArgumentParser
import BrokerServer
import Foundation
import SluiceModel

/// `sluice token create|list|delete`: the admin API's bearer tokens, managed on the data directory itself
/// (`AdminTokenStore`), with or without a running broker, which notices the change on its next request.
/// Acting on the files rather than through the API is what lets the first admin token be made without one,
/// and keeps token management out of reach of a stolen token: it needs the data directory's owner.
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Create, list and delete the admin API's bearer tokens (on the data directory).",
        discussion: "Run as the broker's user on its machine; see Docs/security.md.",
        subcommands: [Create.self, List.self, Delete.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a token and print it once on standard output (only its hash is kept)."
        )
        @OptionGroup var dataOption: DataDirectoryOption
        @Argument(help: "A name for the token (letters, digits, '.', '_', '-').") var name: String
        @Option(help: "viewer (read), operator (also deploy, swap, scale, kill…) or admin (also delete streams).")
        var role: String

        func run() async throws {
            guard let role = AdminRole(rawValue: self.role) else {
                throw ValidationError("--role must be viewer, operator or admin, not '\(self.role)'")
            }
            let token = try self.dataOption.store().tokenCreate(name: self.name, role: role)
            print(token)
            printToStandardError("created token '\(self.name)' with role \(role.rawValue); it is shown once, store it now")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the tokens' names, roles and creation times.")
        @OptionGroup var dataOption: DataDirectoryOption

        func run() async throws {
            let records = try self.dataOption.store().tokenList()
            let rows = records.map { record in
                [record.name, record.role.rawValue, Self.time(record.createdMs)]
            }
            print(TextTable(headers: ["NAME", "ROLE", "CREATED"], rows: rows).rendered(), terminator: "")
        }

        private static func time(_ milliseconds: Int64) -> String {
            let formatter = ISO8601DateFormatter()
            formatter.timeZone = TimeZone(identifier: "UTC")
            return formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a token; requests presenting it are refused from then on."
        )
        @OptionGroup var dataOption: DataDirectoryOption
        @Argument(help: "The token's name.") var name: String

        func run() async throws {
            try self.dataOption.store().tokenDelete(name: self.name)
            print("deleted token '\(self.name)'")
        }
    }
}

/// `--data-dir DIR` for the commands that work on the broker's files directly.
struct DataDirectoryOption: ParsableArguments {
    @Option(name: .customLong("data-dir"), help: "The broker's data directory (default: $SLUICE_DATA_DIR, else ./data).")
    var dataDirectory: String?

    func store() -> AdminTokenStore {
        AdminTokenStore(dataDirectory: self.dataDirectory ?? currentEnvironment()["SLUICE_DATA_DIR"] ?? "./data")
    }
}

extension AdminTokenStore {
    /// The store's calls with their errors as one CLI line.
    func tokenCreate(name: String, role: AdminRole) throws -> String {
        do {
            return try self.create(name: name, role: role, nowMs: SystemClock().wallTimeMs())
        } catch {
            throw CommandFailure(error.message)
        }
    }

    func tokenList() throws -> [AdminTokenRecord] {
        do { return try self.load() } catch { throw CommandFailure(error.message) }
    }

    func tokenDelete(name: String) throws {
        do { try self.delete(name: name) } catch { throw CommandFailure(error.message) }
    }
}
