import Foundation
import SluiceModel

#if canImport(Glibc)
import Glibc
#endif

/// How the runtime confines operator processes on this machine: the cgroup layout it found, the user
/// operators run as, and from these, for one process with its limits, the cgroup to create and the rlimits
/// to set in the child before exec (`sluice_spawn`).
///
/// The rules (`Docs/security.md`, "Operator limits"):
/// - memory: the cgroup's memory limit when there is one (resident memory, so interpreters that reserve
///   address space are not stopped for it; over it the kernel kills the process); otherwise RLIMIT_DATA
///   (writable private memory: allocations over it fail, a Python operator dies of MemoryError).
///   RLIMIT_AS is never used: a JVM or Go runtime reserves more address space than it ever touches.
/// - CPU: a cgroup quota only (RLIMIT_CPU bounds CPU time, not cores); unenforced without cgroups.
/// - files: RLIMIT_NOFILE always (no cgroup counts descriptors).
/// - processes: the cgroup's pids.max when there is one; otherwise RLIMIT_NPROC, which counts every
///   process of the user (not of the operator) and which the kernel ignores for root.
struct OperatorConfinement: Sendable {
    let layout: CgroupLayout
    /// The user operators run as (`operators.run_as_user`), nil for the broker's own.
    let user: RunAsUser?

    struct RunAsUser: Sendable, Equatable {
        var name: String
        var uid: uid_t
        var gid: gid_t
        var home: String
    }

    /// What one spawn applies.
    struct Plan: Sendable {
        var cgroup: OperatorCgroup?
        var rlimits: [(resource: Int32, value: UInt64)]
        var user: RunAsUser?
    }

    /// Looks up `userName` (nil runs operators as the broker's user); throws when it does not exist or the
    /// broker, not being root, cannot switch to it.
    static func make(cgroupsEnabled: Bool, runAsUser userName: String?) throws -> OperatorConfinement {
        var user: RunAsUser?
        if let userName, !userName.isEmpty {
            guard let entry = getpwnam(userName) else {
                throw OperatorRuntimeError(code: .invalidRequest, message: "operators.run_as_user: no user named \(userName)")
            }
            guard getuid() == 0 || geteuid() == entry.pointee.pw_uid else {
                throw OperatorRuntimeError(
                    code: .invalidRequest, message: "operators.run_as_user = \(userName) needs the broker to run as root"
                )
            }
            user = RunAsUser(
                name: userName, uid: entry.pointee.pw_uid, gid: entry.pointee.pw_gid,
                home: String(cString: entry.pointee.pw_dir)
            )
        }
        let layout = CgroupLayout.detect(enabled: cgroupsEnabled)
        layout.removeAbandoned()
        return OperatorConfinement(layout: layout, user: user)
    }

    var hasCgroups: Bool { self.layout.version != nil }

    /// The cgroup (created now, with the limits written) and the rlimits for one process; `leaf` names its
    /// cgroup directory. Throws when a cgroup cannot be created or a limit is refused.
    func plan(limits: OperatorLimits, leaf: String) throws -> Plan {
        var rlimits: [(Int32, UInt64)] = []
        if limits.filesMax > 0 { rlimits.append((Int32(RLIMIT_NOFILE.rawValue), UInt64(limits.filesMax))) }
        if !self.hasCgroups {
            if limits.memoryBytesMax > 0 { rlimits.append((Int32(RLIMIT_DATA.rawValue), UInt64(limits.memoryBytesMax))) }
            if limits.processesMax > 0 { rlimits.append((Int32(__RLIMIT_NPROC.rawValue), UInt64(limits.processesMax))) }
        }
        let cgroup = self.hasCgroups ? try OperatorCgroup(layout: self.layout, leaf: leaf, limits: limits) : nil
        return Plan(cgroup: cgroup, rlimits: rlimits, user: self.user)
    }

    /// How `limits` are enforced here, for the status and the log: `cgroup v1 (memory, cpu, pids) and
    /// rlimits (files)`, or `rlimits (memory as RLIMIT_DATA, files, processes); not enforced: cpu (…)`.
    func enforcement(of limits: OperatorLimits) -> String {
        var text: String
        if let version = self.layout.version {
            text = "cgroup \(version.rawValue) (memory, cpu, pids) and rlimits (files)"
        } else {
            var parts = ["files"]
            if limits.memoryBytesMax > 0 { parts.insert("memory as RLIMIT_DATA", at: 0) }
            if limits.processesMax > 0 { parts.append("processes as RLIMIT_NPROC, per user") }
            text = "rlimits (\(parts.joined(separator: ", ")))"
            if limits.cpuMillicoresMax > 0 {
                text += "; cpu-max not enforced: \(self.layout.reason ?? "no cgroups")"
            }
        }
        if let user = self.user { text += "; runs as \(user.name)" }
        return text
    }
}
