import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Where the runtime may create one cgroup per operator process, found once when the runtime starts.
///
/// - cgroup v2: a cgroup2 hierarchy offering the memory, cpu and pids controllers, in which the runtime can
///   create `sluice-operators/` next to its own cgroup's place and enable those controllers in it. That needs
///   the broker at the hierarchy's root (as root, a container's init) or a cgroup delegated to it whose
///   controllers it may enable; elsewhere the v2 rule against processes in inner cgroups refuses it.
/// - cgroup v1 (the "hybrid" layout of older systemd): `memory`, `cpu` and `pids` hierarchies, each given a
///   `sluice-operators/` under the broker's own cgroup in that hierarchy.
/// - none: rlimits only. `reason` says why, and each operator's status says what that leaves unenforced.
struct CgroupLayout: Sendable, Equatable {
    enum Version: String, Sendable { case v1, v2 }

    /// The parent directories of the operators' cgroups, by controller (`memory`, `cpu`, `pids`); one shared
    /// directory under v2.
    var version: Version?
    var parents: [String: String]
    /// Why cgroups are not used, when they are not.
    var reason: String?

    static func none(_ reason: String) -> CgroupLayout { CgroupLayout(version: nil, parents: [:], reason: reason) }

    static let controllers = ["memory", "cpu", "pids"]
    static let directoryName = "sluice-operators"

    /// `operators.cgroups`: `auto` uses v2, else v1, else rlimits only; `off` uses rlimits only.
    static func detect(enabled: Bool, mountInfo: String? = nil, ownCgroups: String? = nil) -> CgroupLayout {
        guard enabled else { return .none("cgroups are turned off (operators.cgroups = off)") }
        let mounts = Self.parseMounts(mountInfo ?? Self.read("/proc/self/mountinfo") ?? "")
        let own = Self.parseOwnCgroups(ownCgroups ?? Self.read("/proc/self/cgroup") ?? "")
        var reasons: [String] = []
        if let unified = mounts.v2 {
            let layout = Self.prepareV2(mount: unified, ownPath: own["" ] ?? "/")
            if layout.version != nil { return layout }
            reasons.append(layout.reason ?? "cgroup v2 unusable")
        }
        if !mounts.v1.isEmpty {
            let layout = Self.prepareV1(mounts: mounts.v1, own: own)
            if layout.version != nil { return layout }
            reasons.append(layout.reason ?? "cgroup v1 unusable")
        }
        if reasons.isEmpty { reasons.append("no cgroup hierarchy is mounted") }
        return .none(reasons.joined(separator: "; "))
    }

    /// Removes the cgroups that brokers no longer running left behind (a broker killed with SIGKILL cannot
    /// remove its operators' cgroups). A leaf's name ends in `-<broker pid>-<random>` (`cgroupLeaf`); one
    /// whose broker is alive, or whose name is not of that form, is left alone.
    func removeAbandoned() {
        for parent in Set(self.parents.values) {
            for leaf in (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? [] {
                let parts = leaf.split(separator: "-")
                guard parts.count >= 3, let pid = pid_t(parts[parts.count - 2]), pid > 0,
                      kill(pid, 0) != 0 && errno == ESRCH
                else { continue }
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: "\(parent)/\(leaf)", isDirectory: &isDirectory),
                      isDirectory.boolValue
                else { continue }
                for line in (Self.read("\(parent)/\(leaf)/cgroup.procs") ?? "").split(separator: "\n") {
                    if let process = pid_t(line) { kill(process, SIGKILL) }
                }
                rmdir("\(parent)/\(leaf)")
            }
        }
    }

    /// Enables memory, cpu and pids below the broker's own v2 cgroup and creates `sluice-operators/` there.
    private static func prepareV2(mount: String, ownPath: String) -> CgroupLayout {
        let available = Set((Self.read("\(mount)/cgroup.controllers") ?? "").split(separator: " ").map(String.init))
        let missing = Self.controllers.filter { !available.contains($0) }
        guard missing.isEmpty else {
            return .none("cgroup v2 at \(mount) lacks the \(missing.joined(separator: ", ")) controller(s) (held by v1?)")
        }
        let base = ownPath == "/" ? mount : mount + ownPath
        let parent = "\(base)/\(Self.directoryName)"
        let enable = Self.controllers.map { "+\($0)" }.joined(separator: " ")
        if let problem = Self.write(enable, to: "\(base)/cgroup.subtree_control") {
            return .none("cgroup v2: cannot enable \(enable) in \(base) (\(problem)); a broker outside the root cgroup "
                + "needs a delegated cgroup")
        }
        if let problem = Self.makeDirectory(parent) ?? Self.write(enable, to: "\(parent)/cgroup.subtree_control") {
            return .none("cgroup v2: cannot prepare \(parent) (\(problem))")
        }
        return CgroupLayout(version: .v2, parents: Dictionary(uniqueKeysWithValues: Self.controllers.map { ($0, parent) }))
    }

    /// Creates `sluice-operators/` under the broker's own cgroup in each of the memory, cpu and pids hierarchies.
    private static func prepareV1(mounts: [String: String], own: [String: String]) -> CgroupLayout {
        var parents: [String: String] = [:]
        for controller in Self.controllers {
            guard let mount = mounts[controller] else {
                return .none("cgroup v1 has no \(controller) hierarchy")
            }
            let ownPath = own[controller] ?? "/"
            let parent = (ownPath == "/" ? mount : mount + ownPath) + "/" + Self.directoryName
            if let problem = Self.makeDirectory(parent) {
                return .none("cgroup v1: cannot create \(parent) (\(problem))")
            }
            parents[controller] = parent
        }
        return CgroupLayout(version: .v1, parents: parents)
    }

    /// The cgroup2 mount point and the v1 mount point of each controller, from `/proc/self/mountinfo`.
    static func parseMounts(_ text: String) -> (v2: String?, v1: [String: String]) {
        var v2: String?
        var v1: [String: String] = [:]
        for line in text.split(separator: "\n") {
            // `id parent major:minor root mountpoint options [optional...] - fstype source superoptions`
            let halves = line.components(separatedBy: " - ")
            guard halves.count == 2 else { continue }
            let fields = halves[0].split(separator: " ")
            let tail = halves[1].split(separator: " ")
            guard fields.count >= 5, let type = tail.first else { continue }
            let mountPoint = String(fields[4])
            if type == "cgroup2", v2 == nil { v2 = mountPoint }
            if type == "cgroup", tail.count >= 3 {
                for option in tail[2].split(separator: ",") where Self.controllers.contains(String(option)) {
                    v1[String(option)] = mountPoint
                }
            }
        }
        return (v2, v1)
    }

    /// The broker's own cgroup path per v1 controller, and under "" its v2 path, from `/proc/self/cgroup`.
    static func parseOwnCgroups(_ text: String) -> [String: String] {
        var paths: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3 else { continue }
            let path = String(parts[2])
            if parts[1].isEmpty { paths[""] = path }
            for controller in parts[1].split(separator: ",") { paths[String(controller)] = path }
        }
        return paths
    }

    // MARK: - Files

    static func read(_ path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    /// Writes `text` in one write(2), as cgroup files want; the error text, nil on success.
    static func write(_ text: String, to path: String) -> String? {
        let descriptor = open(path, O_WRONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return String(cString: strerror(errno)) }
        defer { close(descriptor) }
        let bytes = Array(text.utf8)
        let count = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress!, $0.count) }
        return count == bytes.count ? nil : String(cString: strerror(errno))
    }

    /// mkdir, where an existing directory is fine; the error text, nil on success.
    static func makeDirectory(_ path: String) -> String? {
        if mkdir(path, 0o755) == 0 || errno == EEXIST { return nil }
        return String(cString: strerror(errno))
    }
}
