import SluiceModel

/// An operator process that ended because it went over one of its limits, told apart from an ordinary
/// crash so the runtime stops it instead of restarting it into the same wall (`OperatorSupervisor+Limits`).
///
/// Where the kernel says so, that is the evidence: the OOM killer's count in the process's memory cgroup,
/// pids.max refusals in its pids cgroup. Without cgroups the kernel only makes the call fail (malloc under
/// RLIMIT_DATA, open under RLIMIT_NOFILE, fork under RLIMIT_NPROC), so the evidence is the process exiting
/// with a failure and the failure's usual words at the end of its standard error (`MemoryError`,
/// `Too many open files`); an operator that swallows the error and exits quietly counts as a crash.
struct LimitBreach: Sendable, Equatable {
    enum Resource: String, Sendable { case memory, files, processes }

    var resource: Resource
    /// The limit as the status shows it (`64 MiB`, `32`).
    var limit: String
    /// What showed it (`killed by the kernel's OOM killer in its cgroup`).
    var evidence: String

    /// The status's reason: what happened and what to do about it.
    var reason: String {
        "exceeded its \(self.resource.rawValue) limit (\(self.limit)): \(self.evidence); not restarted. "
            + "Raise it with a swap (--\(self.flag) ...) or resume to try again"
    }

    var flag: String {
        switch self.resource {
        case .memory: return "memory-max"
        case .files: return "files-max"
        case .processes: return "processes-max"
        }
    }

    /// How the process ended, as `OperatorProcess` saw it.
    struct Exit: Sendable, Equatable {
        /// The exit code when it exited, nil when a signal ended it.
        var code: Int32?
        var signal: Int32?
        var cgroup: OperatorCgroup.Counters?
    }

    /// The breach that ended the process, if any. `stderrTail` is its last lines of standard error.
    static func classify(_ exit: Exit, stderrTail: [String], limits: OperatorLimits) -> LimitBreach? {
        let failed = exit.signal != nil || (exit.code ?? 0) != 0
        guard failed else { return nil }
        let tail = stderrTail.suffix(10).joined(separator: "\n").lowercased()
        if limits.memoryBytesMax > 0 {
            let limit = OperatorLimits.formatBytes(limits.memoryBytesMax)
            if let counters = exit.cgroup, counters.oomKills > 0 {
                return LimitBreach(resource: .memory, limit: limit, evidence: "killed by the kernel's OOM killer in its cgroup")
            }
            if exit.cgroup == nil, let marker = Self.memoryMarkers.first(where: tail.contains) {
                return LimitBreach(resource: .memory, limit: limit, evidence: "an allocation failed under RLIMIT_DATA (\(marker))")
            }
        }
        if limits.processesMax > 0 {
            let limit = String(limits.processesMax)
            if let counters = exit.cgroup, counters.processLimitHits > 0 {
                return LimitBreach(resource: .processes, limit: limit, evidence: "pids.max refused \(counters.processLimitHits) fork(s) or thread(s)")
            }
            if exit.cgroup == nil, let marker = Self.processMarkers.first(where: tail.contains) {
                return LimitBreach(resource: .processes, limit: limit, evidence: "a fork failed under RLIMIT_NPROC (\(marker))")
            }
        }
        if limits.filesMax > 0, tail.contains("too many open files") {
            return LimitBreach(resource: .files, limit: String(limits.filesMax), evidence: "an open failed with EMFILE (too many open files)")
        }
        return nil
    }

    /// How runtimes report a failed allocation (Python, C++, the C library, Go, the JVM), lowercased.
    static let memoryMarkers = ["memoryerror", "cannot allocate memory", "bad_alloc", "out of memory", "outofmemoryerror"]
    /// How runtimes report a refused fork or thread (Python, the C library), lowercased.
    static let processMarkers = ["can't start new thread", "resource temporarily unavailable"]
}
