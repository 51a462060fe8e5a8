import Foundation
import LogStore
import SluiceSecurity
import Synchronization

/// The SCRAM credentials of the broker's users, in `<data>/security/scram-credentials.json` inside the
/// checksummed envelope (`ChecksummedFile`), written atomically on every change. Only salts, iteration counts
/// and derived keys are kept, never a password:
///
/// ```
/// {"users": {"alice": [{"mechanism": "SCRAM-SHA-512", "iterations": 4096,
///                       "salt": "<base64>", "storedKey": "<base64>", "serverKey": "<base64>"}]}}
/// ```
///
/// A damaged file is reported and not trusted: the broker then starts with no users (SASL logins fail;
/// nothing else is lost) and the next change writes a good file.
final class ScramCredentialStore: Sendable {
    static let fileName = "scram-credentials.json"
    /// Bounds what one store may hold, so AlterUserScramCredentials cannot grow it without limit.
    static let userCountMax = 10_000
    static let userNameBytesMax = 256

    private let path: String
    private let fileIO: FileIO
    private let users: Mutex<[String: [ScramMechanism: ScramCredential]]>

    init(dataDirectory: String, fileIO: FileIO = SystemFileIO(), onError: (String) -> Void) throws {
        let directory = dataDirectory + "/security"
        try fileIO.makeDirectoryIfMissing(dataDirectory)
        try fileIO.makeDirectoryIfMissing(directory)
        self.path = directory + "/" + Self.fileName
        self.fileIO = fileIO
        var loaded: [String: [ScramMechanism: ScramCredential]] = [:]
        if fileIO.fileExists(self.path) {
            do {
                let contents = try ChecksummedFile.unwrap(try fileIO.readSmallFile(self.path), path: self.path)
                loaded = try Self.decode(contents.payload)
            } catch {
                onError("ignoring the SCRAM credentials in \(self.path), which cannot be read (\(error)): no user can log in until they are set again")
            }
        }
        self.users = Mutex(loaded)
    }

    func credential(user: String, mechanism: ScramMechanism) -> ScramCredential? {
        self.users.withLock { $0[user]?[mechanism] }
    }

    func credentials(user: String) -> [ScramCredential] {
        self.users.withLock { users in ScramMechanism.allCases.compactMap { users[user]?[$0] } }
    }

    /// Every user with its mechanisms, by name.
    func all() -> [(user: String, credentials: [ScramCredential])] {
        self.users.withLock { users in
            users.keys.sorted().map { user in (user, ScramMechanism.allCases.compactMap { users[user]?[$0] }) }
        }
    }

    /// Applies one change and persists the whole table; on a write failure the change is undone.
    func update(_ change: (inout [String: [ScramMechanism: ScramCredential]]) throws -> Void) throws {
        try self.users.withLock { users in
            var updated = users
            try change(&updated)
            guard updated.count <= Self.userCountMax else {
                throw BrokerConfigError(message: "at most \(Self.userCountMax) users")
            }
            try self.fileIO.writeFileAtomically(self.path, ChecksummedFile.wrap(try Self.encode(updated)))
            users = updated
        }
    }

    private struct StoredCredential: Codable {
        var mechanism: String
        var iterations: Int
        var salt: String
        var storedKey: String
        var serverKey: String
    }

    private struct StoredFile: Codable {
        var users: [String: [StoredCredential]]
    }

    private static func encode(_ users: [String: [ScramMechanism: ScramCredential]]) throws -> [UInt8] {
        var file = StoredFile(users: [:])
        for (user, credentials) in users {
            file.users[user] = credentials.values.sorted { $0.mechanism.rawValue < $1.mechanism.rawValue }.map {
                StoredCredential(
                    mechanism: $0.mechanism.name, iterations: $0.iterations, salt: Data($0.salt).base64EncodedString(),
                    storedKey: Data($0.storedKey).base64EncodedString(), serverKey: Data($0.serverKey).base64EncodedString()
                )
            }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array(try encoder.encode(file))
    }

    private static func decode(_ bytes: [UInt8]) throws -> [String: [ScramMechanism: ScramCredential]] {
        let file = try JSONDecoder().decode(StoredFile.self, from: Data(bytes))
        var users: [String: [ScramMechanism: ScramCredential]] = [:]
        for (user, stored) in file.users {
            for credential in stored {
                guard let mechanism = ScramMechanism(name: credential.mechanism),
                      let salt = Data(base64Encoded: credential.salt), let storedKey = Data(base64Encoded: credential.storedKey),
                      let serverKey = Data(base64Encoded: credential.serverKey),
                      storedKey.count == mechanism.keySizeBytes, serverKey.count == mechanism.keySizeBytes else {
                    throw BrokerConfigError(message: "a malformed credential of user \(user)")
                }
                users[user, default: [:]][mechanism] = ScramCredential(
                    mechanism: mechanism, salt: Array(salt), iterations: credential.iterations,
                    storedKey: Array(storedKey), serverKey: Array(serverKey)
                )
            }
        }
        return users
    }
}
