import Foundation
import LogStore
import SluiceModel

#if canImport(Glibc)
import Glibc
#endif

/// What is kept of a deployment in `<data>/operators/<name>/operator.json`.
struct DeploymentRecord: Codable, Sendable, Equatable {
    struct Version: Codable, Sendable, Equatable {
        var version: Int
        /// The argv to run, in the version's directory.
        var command: [String]
        var environment: [String: String]
        var createdMs: Int64
        /// The limits it runs under, resolved when it was deployed (flags over the configured defaults);
        /// absent in records written before limits existed, meaning the configured defaults.
        var limits: OperatorLimits?
    }

    var name: String
    var currentVersion: Int
    var versions: [Version]
    var paused: Bool
    /// Why the runtime paused it (a stream it uses was deleted); nil for a pause asked for by `sluice pause`.
    var pauseReason: String?
    /// Live instances (`sluice scale`); absent in records written before scaling existed, meaning one.
    var instances: Int?
    /// The version running as a canary next to the live one, if any.
    var canaryVersion: Int?

    var instanceCount: Int { max(self.instances ?? 1, 1) }

    func version(_ number: Int) -> Version? { self.versions.first { $0.version == number } }

    /// Versions before the current one, newest first (what rollback picks from); never the canary.
    var previousVersions: [Int] {
        self.versions.map(\.version).filter { $0 < self.currentVersion && $0 != self.canaryVersion }.sorted(by: >)
    }
}

/// The files of the operators under `<data>/operators/`:
///
///     <name>/operator.json        the DeploymentRecord, rewritten atomically
///     <name>/timers.json          pending timers, rewritten atomically after each change (live instance 1;
///                                 instance i+1 of a scaled operator uses timers.<i>.json, a canary
///                                 timers.canary.json)
///     <name>/versions/<n>/...     the code of each version (the process's working directory)
///     <name>/operator.log(.1)     standard error of the operator's processes (see OperatorLog)
///
/// Atomic rewrite: write a temporary file, fsync it, rename it over the old one, fsync the directory.
///
/// `operator.json` and the timer files are JSON inside LogStore's `ChecksummedFile` envelope: a header line
/// `#sluice:1 <crc32c>` then the JSON. Files written before the envelope (bare JSON) still load. A damaged file
/// is never trusted, never removed, and reported through `onError`: a damaged `operator.json` keeps that
/// operator from starting; damaged timers load as none.
struct DeploymentStore: Sendable {
    let rootDirectory: String
    let onError: @Sendable (String) -> Void

    init(dataDirectory: String, onError: @escaping @Sendable (String) -> Void = { _ in }) throws {
        self.rootDirectory = dataDirectory + "/operators"
        self.onError = onError
        try FileManager.default.createDirectory(atPath: self.rootDirectory, withIntermediateDirectories: true)
    }

    /// Removes what deploys interrupted by a crash left behind.
    func removeStagingDirectories() {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: self.rootDirectory)) ?? []
        for name in names where name.hasPrefix(".staging-") { self.remove("\(self.rootDirectory)/\(name)") }
    }

    func directory(of name: String) -> String { "\(self.rootDirectory)/\(name)" }
    func versionDirectory(of name: String, version: Int) -> String { "\(self.directory(of: name))/versions/\(version)" }
    func logPath(of name: String) -> String { "\(self.directory(of: name))/operator.log" }

    /// Names of the deployed operators (directories holding an operator.json).
    func deployedNames() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: self.rootDirectory)) ?? []
        return names.filter { !$0.hasPrefix(".") && FileManager.default.fileExists(atPath: "\(self.rootDirectory)/\($0)/operator.json") }
            .sorted()
    }

    /// Throws when the file is missing, fails its checksum (`StorageError.corruptFile`) or is not a record.
    func loadRecord(of name: String) throws -> DeploymentRecord {
        let path = "\(self.directory(of: name))/operator.json"
        let contents = try ChecksummedFile.unwrap(Array(try Data(contentsOf: URL(fileURLWithPath: path))), path: path)
        return try JSONDecoder().decode(DeploymentRecord.self, from: Data(contents.payload))
    }

    func saveRecord(_ record: DeploymentRecord) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try Self.writeAtomically(
            Data(ChecksummedFile.wrap(Array(try encoder.encode(record)))), to: "\(self.directory(of: record.name))/operator.json"
        )
    }

    /// The pending timers in `file`; none when it is missing, and none (reported) when it is damaged.
    func loadTimers(of name: String, file: String = "timers.json") -> [OperatorTimer] {
        let path = "\(self.directory(of: name))/\(file)"
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: path)) else { return [] }
        do {
            let contents = try ChecksummedFile.unwrap(Array(data), path: path)
            return try JSONDecoder().decode([OperatorTimer].self, from: Data(contents.payload))
        } catch {
            self.onError("operator \(name): ignoring its pending timers in \(file): \(error)")
            return []
        }
    }

    func saveTimers(_ timers: [OperatorTimer], of name: String, file: String = "timers.json") throws {
        try Self.writeAtomically(
            Data(ChecksummedFile.wrap(Array(try JSONEncoder().encode(timers)))), to: "\(self.directory(of: name))/\(file)"
        )
    }

    /// Writes `files` into a new staging directory and returns it; the caller renames it into place.
    func stage(_ files: [String: [UInt8]]) throws -> String {
        let staging = "\(self.rootDirectory)/.staging-\(UUID().uuidString)"
        try self.write(files, into: staging)
        return staging
    }

    func write(_ files: [String: [UInt8]], into directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for (path, bytes) in files {
            let full = "\(directory)/\(path)"
            try FileManager.default.createDirectory(
                atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true
            )
            try Data(bytes).write(to: URL(fileURLWithPath: full))
            // Scripts and binaries keep the execute bit they need (bytes carry no mode).
            if Self.looksExecutable(bytes) { chmod(full, 0o755) }
        }
    }

    func remove(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
    }

    static func looksExecutable(_ bytes: [UInt8]) -> Bool {
        bytes.starts(with: [UInt8(ascii: "#"), UInt8(ascii: "!")]) || bytes.starts(with: [0x7f, 0x45, 0x4c, 0x46])
    }

    static func writeAtomically(_ data: Data, to path: String) throws {
        let temporary = path + ".tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw Self.failure("open \(temporary)") }
        let written = data.withUnsafeBytes { bytes -> Bool in
            var offset = 0
            while offset < bytes.count {
                let count = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { return false }
                offset += count
            }
            return true
        }
        let synced = fsync(descriptor) == 0
        close(descriptor)
        guard written, synced else { throw Self.failure("write \(temporary)") }
        guard rename(temporary, path) == 0 else { throw Self.failure("rename \(temporary)") }
        let directory = open((path as NSString).deletingLastPathComponent, O_RDONLY | O_CLOEXEC)
        if directory >= 0 {
            fsync(directory)
            close(directory)
        }
    }

    private static func failure(_ what: String) -> OperatorRuntimeError {
        OperatorRuntimeError(code: .storageFailed, message: "\(what) failed: \(String(cString: strerror(errno)))")
    }
}
