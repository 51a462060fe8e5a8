import Foundation
import LogStore
import SluiceSecurity
import Synchronization

/// The ACL bindings, in `<data>/security/acls.json` inside the checksummed envelope (`ChecksummedFile`),
/// written atomically on every change, and the `Authorizer` over them that requests are checked with:
///
/// ```
/// {"bindings": [{"resourceType": 2, "resourceName": "orders.", "patternType": 4, "principal": "User:alice",
///                "host": "*", "operation": 3, "permission": 3}]}
/// ```
///
/// (Kafka's numbers: resource type 2 TOPIC, pattern 4 PREFIXED, operation 3 READ, permission 3 ALLOW.) A
/// damaged file is reported and, since authorization denies what no binding allows, leaves only super users
/// able to do anything until the ACLs are written again: failing closed.
final class AclStore: Sendable {
    static let fileName = "acls.json"
    static let bindingCountMax = 100_000

    private let path: String
    private let fileIO: FileIO
    private let state: Mutex<Authorizer>
    /// False when `security.authorization` is off: every request is allowed (the bindings are still kept
    /// and managed, so they can be set up before authorization is turned on).
    let isEnabled: Bool

    init(dataDirectory: String, isEnabled: Bool, superUsers: Set<String>, fileIO: FileIO = SystemFileIO(), onError: (String) -> Void) throws {
        let directory = dataDirectory + "/security"
        try fileIO.makeDirectoryIfMissing(dataDirectory)
        try fileIO.makeDirectoryIfMissing(directory)
        self.path = directory + "/" + Self.fileName
        self.fileIO = fileIO
        self.isEnabled = isEnabled
        var bindings: [AclBinding] = []
        if fileIO.fileExists(self.path) {
            do {
                let contents = try ChecksummedFile.unwrap(try fileIO.readSmallFile(self.path), path: self.path)
                bindings = try JSONDecoder().decode(StoredFile.self, from: Data(contents.payload)).bindings
            } catch {
                onError("ignoring the ACLs in \(self.path), which cannot be read (\(error)): only super users are allowed anything")
            }
        }
        self.state = Mutex(Authorizer(bindings: bindings, superUsers: superUsers))
    }

    private struct StoredFile: Codable {
        var bindings: [AclBinding]
    }

    func isAllowed(_ principal: KafkaPrincipal, host: String, _ operation: AclOperation, _ type: AclResourceType, _ name: String) -> Bool {
        guard self.isEnabled else { return true }
        return self.state.withLock { $0.isAllowed(principal, host: host, operation, type, name) }
    }

    func isAllowedOnAny(_ principal: KafkaPrincipal, host: String, _ operation: AclOperation, _ type: AclResourceType) -> Bool {
        guard self.isEnabled else { return true }
        return self.state.withLock { $0.isAllowedOnAny(principal, host: host, operation, type) }
    }

    func isSuperUser(_ principal: KafkaPrincipal) -> Bool {
        self.state.withLock { $0.superUsers.contains(principal.description) }
    }

    func bindings(matching filter: AclFilter) -> [AclBinding] {
        self.state.withLock { $0.bindings.filter(filter.matches) }
    }

    /// Adds `bindings` (already present ones are kept once) and persists; all or nothing.
    func add(_ bindings: [AclBinding]) throws {
        try self.change { current in
            for binding in bindings where !current.contains(binding) { current.append(binding) }
        }
    }

    /// Removes what each filter matches and persists; returns the removed bindings per filter.
    func remove(matching filters: [AclFilter]) throws -> [[AclBinding]] {
        var removed: [[AclBinding]] = []
        try self.change { current in
            removed = filters.map { filter in current.filter(filter.matches) }
            current.removeAll { binding in filters.contains { $0.matches(binding) } }
        }
        return removed
    }

    private func change(_ body: (inout [AclBinding]) -> Void) throws {
        try self.state.withLock { authorizer in
            var bindings = authorizer.bindings
            body(&bindings)
            guard bindings.count <= Self.bindingCountMax else { throw BrokerConfigError(message: "at most \(Self.bindingCountMax) ACLs") }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            try self.fileIO.writeFileAtomically(self.path, ChecksummedFile.wrap(Array(try encoder.encode(StoredFile(bindings: bindings)))))
            authorizer.bindings = bindings
        }
    }
}
