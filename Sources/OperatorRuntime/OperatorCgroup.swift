import Foundation
import SluiceModel

#if canImport(Glibc)
import Glibc
#endif

/// The cgroup(s) of one operator process: created with its limits before the spawn, joined by the child
/// before exec (through the open `cgroup.procs` files), read after the process is reaped (did the kernel
/// kill it for memory, did it hit pids.max?) and removed with anything the operator left running in them.
final class OperatorCgroup: Sendable {
    /// What the kernel counted while the process ran.
    struct Counters: Sendable, Equatable {
        /// Processes the OOM killer killed in the cgroup (memory limit reached).
        var oomKills: Int64 = 0
        /// Forks or thread creations refused by pids.max.
        var processLimitHits: Int64 = 0
    }

    let version: CgroupLayout.Version
    /// The cgroup directory of each controller (one shared directory under v2).
    let directories: [String: String]
    /// Open `cgroup.procs` of each distinct directory, closed by `remove` (or on a failed creation).
    let procsDescriptors: [Int32]

    /// Creates the cgroups named `leaf` under the layout's parents and writes the limits; throws with the
    /// file that refused a value.
    init(layout: CgroupLayout, leaf: String, limits: OperatorLimits) throws {
        guard let version = layout.version else { preconditionFailure("a cgroup needs a layout with cgroups") }
        self.version = version
        var directories: [String: String] = [:]
        for (controller, parent) in layout.parents { directories[controller] = "\(parent)/\(leaf)" }
        self.directories = directories
        var descriptors: [Int32] = []
        do {
            for directory in Set(directories.values).sorted() {
                if let problem = CgroupLayout.makeDirectory(directory) { throw Self.failure("mkdir \(directory)", problem) }
            }
            try Self.writeLimits(limits, version: version, directories: directories)
            for directory in Set(directories.values).sorted() {
                let descriptor = open("\(directory)/cgroup.procs", O_WRONLY | O_CLOEXEC)
                guard descriptor >= 0 else { throw Self.failure("open \(directory)/cgroup.procs", String(cString: strerror(errno))) }
                descriptors.append(descriptor)
            }
        } catch {
            descriptors.forEach { close($0) }
            Self.removeDirectories(Array(Set(directories.values)))
            throw error
        }
        self.procsDescriptors = descriptors
    }

    private static func writeLimits(
        _ limits: OperatorLimits, version: CgroupLayout.Version, directories: [String: String]
    ) throws {
        // A quota of `millicores` per 100 ms period: 500 millicores runs 50 ms of every 100 ms.
        let periodUs: Int64 = 100_000
        let quotaUs = limits.cpuMillicoresMax * periodUs / 1000
        var writes: [(String?, String, String)] = []
        switch version {
        case .v2:
            if limits.memoryBytesMax > 0 { writes.append((directories["memory"], "memory.max", "\(limits.memoryBytesMax)")) }
            // Without this, a process at its limit would swap instead of being stopped.
            writes.append((directories["memory"], "memory.swap.max?", "0"))
            // The whole operator (children included) is killed together, not one process of it.
            writes.append((directories["memory"], "memory.oom.group?", "1"))
            if quotaUs > 0 { writes.append((directories["cpu"], "cpu.max", "\(quotaUs) \(periodUs)")) }
            if limits.processesMax > 0 { writes.append((directories["pids"], "pids.max", "\(limits.processesMax)")) }
        case .v1:
            if limits.memoryBytesMax > 0 {
                writes.append((directories["memory"], "memory.limit_in_bytes", "\(limits.memoryBytesMax)"))
                // Memory plus swap at the same bound: no swapping past the limit (absent without swap accounting).
                writes.append((directories["memory"], "memory.memsw.limit_in_bytes?", "\(limits.memoryBytesMax)"))
            }
            if quotaUs > 0 {
                writes.append((directories["cpu"], "cpu.cfs_period_us", "\(periodUs)"))
                writes.append((directories["cpu"], "cpu.cfs_quota_us", "\(quotaUs)"))
            }
            if limits.processesMax > 0 { writes.append((directories["pids"], "pids.max", "\(limits.processesMax)")) }
        }
        for (directory, file, value) in writes {
            guard let directory else { continue }
            // A trailing '?' marks a file that some kernels do not have.
            let isOptional = file.hasSuffix("?")
            let name = isOptional ? String(file.dropLast()) : file
            if let problem = CgroupLayout.write(value, to: "\(directory)/\(name)"), !isOptional {
                throw Self.failure("writing \(value) to \(directory)/\(name)", problem)
            }
        }
    }

    /// The kernel's counts, read after the process was reaped and before `remove`.
    func counters() -> Counters {
        var counters = Counters()
        if let memory = self.directories["memory"] {
            // v2 memory.events and v1 memory.oom_control (kernel 4.13+) both have an `oom_kill N` line.
            let file = self.version == .v2 ? "memory.events" : "memory.oom_control"
            counters.oomKills = Self.field("oom_kill", in: CgroupLayout.read("\(memory)/\(file)"))
        }
        if let pids = self.directories["pids"] {
            counters.processLimitHits = Self.field("max", in: CgroupLayout.read("\(pids)/pids.events"))
        }
        return counters
    }

    /// Kills whatever is left in the cgroups (children the operator started), then removes them.
    func remove() {
        self.procsDescriptors.forEach { close($0) }
        let directories = Array(Set(self.directories.values))
        for directory in directories {
            if self.version == .v2, CgroupLayout.write("1", to: "\(directory)/cgroup.kill") == nil { continue }
            for line in (CgroupLayout.read("\(directory)/cgroup.procs") ?? "").split(separator: "\n") {
                if let pid = pid_t(line) { kill(pid, SIGKILL) }
            }
        }
        Self.removeDirectories(directories)
    }

    /// rmdir, retried briefly: a killed process leaves its cgroup a moment after it is reaped.
    private static func removeDirectories(_ directories: [String]) {
        for directory in directories {
            for attempt in 0..<50 {
                if rmdir(directory) == 0 || errno == ENOENT { break }
                if attempt < 49 { usleep(10_000) }
            }
        }
    }

    /// The number after `name` on its own line of a `key value` file; 0 when absent.
    static func field(_ name: String, in text: String?) -> Int64 {
        for line in (text ?? "").split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2, parts[0] == name, let value = Int64(parts[1]) { return value }
        }
        return 0
    }

    private static func failure(_ what: String, _ problem: String) -> OperatorRuntimeError {
        OperatorRuntimeError(code: .startFailed, message: "cgroup: \(what) failed: \(problem)")
    }
}
