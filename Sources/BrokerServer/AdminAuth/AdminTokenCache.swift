import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// How a presented credential fared.
enum AdminCredentialCheck: Equatable, Sendable {
    case valid(name: String, role: AdminRole)
    /// No known token matches (or, for HTTP Basic, no user with that password).
    case invalid
    /// A SCRAM user whose password is right but who has no role on the admin API.
    case noRole(name: String)
    /// The token file cannot be trusted (damaged, unreadable): every credential is refused until it is fixed.
    case storeUnusable(String)
}

/// The broker's view of the token file: loaded once, and again whenever the file's identity (device, inode,
/// size, modification time) changes, so `sluice token create|delete` take effect from the next request
/// without a restart. An atomic rewrite always gives the file a new inode, so no change goes unseen.
/// Checking costs one `stat` per request; the admin API is a control plane, not a data path.
final class AdminTokenCache: Sendable {
    private struct FileIdentity: Equatable {
        var device: UInt64
        var inode: UInt64
        var sizeBytes: Int64
        var modifiedNs: Int64
    }

    private struct Loaded {
        /// nil while the file is missing.
        var identity: FileIdentity?
        var records: Result<[AdminTokenRecord], AdminTokenStoreError>
    }

    let store: AdminTokenStore
    private let loaded: Mutex<Loaded?> = Mutex(nil)

    init(store: AdminTokenStore) {
        self.store = store
    }

    /// The tokens as the file now holds them (or why they cannot be used).
    func records() -> Result<[AdminTokenRecord], AdminTokenStoreError> {
        let identity = self.currentIdentity()
        return self.loaded.withLock { loaded in
            if let loaded, loaded.identity == identity { return loaded.records }
            let records = Result { () throws(AdminTokenStoreError) in try self.store.load() }
            loaded = Loaded(identity: identity, records: records)
            return records
        }
    }

    func check(token: String) -> AdminCredentialCheck {
        switch self.records() {
        case .failure(let error):
            return .storeUnusable(error.message)
        case .success(let records):
            guard let record = AdminTokenStore.match(token, in: records) else { return .invalid }
            return .valid(name: record.name, role: record.role)
        }
    }

    private func currentIdentity() -> FileIdentity? {
        var status = stat()
        guard stat(self.store.path, &status) == 0 else { return nil }
        return FileIdentity(
            device: UInt64(status.st_dev), inode: UInt64(status.st_ino), sizeBytes: Int64(status.st_size),
            modifiedNs: Int64(status.st_mtim.tv_sec) * 1_000_000_000 + Int64(status.st_mtim.tv_nsec)
        )
    }
}
