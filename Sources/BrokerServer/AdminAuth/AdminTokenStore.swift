import Foundation
import LogStore

#if canImport(Glibc)
import Glibc
#endif

/// One admin token as the token file keeps it: never the token, only its salted hash.
public struct AdminTokenRecord: Codable, Sendable, Equatable {
    public var name: String
    public var role: AdminRole
    public var createdMs: Int64
    /// 16 random bytes, lowercase hex.
    var salt: String
    /// SHA-256(salt ‖ token), lowercase hex.
    var sha256: String

    /// Whether `token` is this record's token (constant time in where the digests differ).
    func matches(_ token: String) -> Bool {
        guard let salt = Hex.decode(self.salt), let stored = Hex.decode(self.sha256) else { return false }
        return AdminTokenSecret.constantTimeEquals(AdminTokenSecret.digest(of: token, salt: salt), stored)
    }
}

/// The admin API's tokens in `<data>/security/admin-tokens.json`: JSON (`{"tokens": [...]}`) inside LogStore's
/// `ChecksummedFile` envelope, rewritten atomically (temporary file, fsync, rename, fsync of the directory).
/// The `security` directory is made mode 0700: hashes are useless to present, but names and roles are nobody
/// else's business.
///
/// Tokens are managed here, on the data directory, by `sluice token create|list|delete`, whether the broker runs
/// or not: whoever may write the data directory already controls the broker (operator code, logs), so file
/// access is the root of trust, the first admin token needs no token, and a stolen token cannot mint others.
/// The running broker notices a changed file by its identity (`AdminTokenCache`). Writers take an exclusive
/// `flock` on `admin-tokens.lock`, so two `sluice token create` at once both land.
///
/// A damaged file (bad checksum, not JSON, a file without the envelope) is never trusted and never replaced:
/// the broker then refuses every credential (503) and `sluice token create` refuses to write until the file
/// is moved away. A missing file holds no tokens.
public struct AdminTokenStore: Sendable {
    public static let fileName = "admin-tokens.json"
    static let lockFileName = "admin-tokens.lock"
    static let fileSizeBytesMax = 4 * 1024 * 1024
    static let nameLengthMax = 64
    static let tokensMax = 1000

    public let directory: String
    private let fileIO: FileIO

    public init(dataDirectory: String, fileIO: FileIO = SystemFileIO()) {
        self.directory = dataDirectory + "/security"
        self.fileIO = fileIO
    }

    public var path: String { self.directory + "/" + Self.fileName }

    /// The tokens on disk, oldest first.
    public func load() throws(AdminTokenStoreError) -> [AdminTokenRecord] {
        guard self.fileIO.fileExists(self.path) else { return [] }
        let bytes: [UInt8]
        do {
            bytes = try self.fileIO.readSmallFile(self.path, sizeBytesMax: Self.fileSizeBytesMax)
        } catch {
            throw AdminTokenStoreError(code: .unreadable, message: "cannot read \(self.path): \(error)")
        }
        do {
            let contents = try ChecksummedFile.unwrap(bytes, path: self.path)
            // Token files were written in the envelope from the start: a bare one was put there by hand.
            guard !contents.isLegacy else { throw AdminTokenStoreError(code: .damaged, message: "no checksum header") }
            return try JSONDecoder().decode(AdminTokenFileDocument.self, from: Data(contents.payload)).tokens
        } catch let error as AdminTokenStoreError {
            throw AdminTokenStoreError(code: .damaged, message: "\(self.path) is damaged: \(error.message)")
        } catch {
            throw AdminTokenStoreError(code: .damaged, message: "\(self.path) is damaged: \(error)")
        }
    }

    /// Adds a token named `name` and returns it; the caller shows it once.
    public func create(name: String, role: AdminRole, nowMs: Int64) throws(AdminTokenStoreError) -> String {
        if let problem = Self.problem(withName: name) {
            throw AdminTokenStoreError(code: .invalidName, message: problem)
        }
        return try self.updating { tokens throws(AdminTokenStoreError) in
            guard !tokens.contains(where: { $0.name == name }) else {
                throw AdminTokenStoreError(code: .duplicateName, message: "a token named '\(name)' exists (delete it first)")
            }
            guard tokens.count < Self.tokensMax else {
                throw AdminTokenStoreError(code: .invalidName, message: "at most \(Self.tokensMax) tokens")
            }
            let token = AdminTokenSecret.generate()
            let salt = AdminTokenSecret.makeSalt()
            tokens.append(AdminTokenRecord(
                name: name, role: role, createdMs: nowMs, salt: Hex.encode(salt),
                sha256: Hex.encode(AdminTokenSecret.digest(of: token, salt: salt))
            ))
            return token
        }
    }

    /// Removes the token named `name`; requests presenting it are refused from the broker's next request on.
    public func delete(name: String) throws(AdminTokenStoreError) {
        try self.updating { tokens throws(AdminTokenStoreError) in
            guard let index = tokens.firstIndex(where: { $0.name == name }) else {
                throw AdminTokenStoreError(code: .unknownName, message: "no token named '\(name)'")
            }
            tokens.remove(at: index)
        }
    }

    /// The record whose token `token` is, or nil. Every record is hashed and compared, found or not, so the
    /// time taken does not tell which record (or whether any) was close.
    public static func match(_ token: String, in records: [AdminTokenRecord]) -> AdminTokenRecord? {
        guard token.utf8.count <= AdminTokenSecret.presentedBytesMax else { return nil }
        var found: AdminTokenRecord?
        for record in records where record.matches(token) && found == nil { found = record }
        return found
    }

    /// Why `name` cannot name a token, or nil: 1 to 64 of letters, digits, `.`, `_`, `-`.
    public static func problem(withName name: String) -> String? {
        let allowed = name.utf8.allSatisfy { byte in
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
        }
        guard !name.isEmpty, name.utf8.count <= Self.nameLengthMax, allowed else {
            return "a token name is 1 to \(Self.nameLengthMax) letters, digits, '.', '_' or '-', not '\(name)'"
        }
        return nil
    }

    /// Loads, changes and rewrites the file under the writers' lock.
    private func updating<Result>(
        _ change: (inout [AdminTokenRecord]) throws(AdminTokenStoreError) -> Result
    ) throws(AdminTokenStoreError) -> Result {
        try self.makeDirectory()
        let lock = open(self.directory + "/" + Self.lockFileName, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard lock >= 0 else {
            throw AdminTokenStoreError(code: .unreadable, message: "cannot open the lock file in \(self.directory): \(Self.lastError())")
        }
        defer { close(lock) }
        guard flock(lock, LOCK_EX) == 0 else {
            throw AdminTokenStoreError(code: .unreadable, message: "cannot lock \(self.directory): \(Self.lastError())")
        }
        var tokens = try self.load()
        let result = try change(&tokens)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        do {
            let payload = Array(try encoder.encode(AdminTokenFileDocument(tokens: tokens)))
            try self.fileIO.writeFileAtomically(self.path, ChecksummedFile.wrap(payload))
        } catch {
            throw AdminTokenStoreError(code: .unreadable, message: "cannot write \(self.path): \(error)")
        }
        return result
    }

    private func makeDirectory() throws(AdminTokenStoreError) {
        do {
            // The data directory (when the first token comes before the first start) gets the usual mode.
            let dataDirectory = (self.directory as NSString).deletingLastPathComponent
            try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(
                atPath: self.directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700]
            )
        } catch {
            throw AdminTokenStoreError(code: .unreadable, message: "cannot create \(self.directory): \(error)")
        }
    }

    private static func lastError() -> String { String(cString: strerror(errno)) }
}

/// The token file's JSON.
struct AdminTokenFileDocument: Codable {
    var tokens: [AdminTokenRecord]
}

public struct AdminTokenStoreError: Error, Equatable, CustomStringConvertible {
    public enum Code: Sendable, Equatable {
        case invalidName, duplicateName, unknownName
        /// The file fails its checksum or is not a token file: nothing in it is trusted.
        case damaged
        /// A system call failed (permissions, a full disk).
        case unreadable
    }

    public var code: Code
    public var message: String

    public var description: String { self.message }
}
