/// Where one `OperatorSupervisor` sits in its deployment: the live version's instance `index` of `count`, or
/// the canary. It decides which input partitions the supervisor owns, which group commits its offsets,
/// where its outputs and dead letters go, and which file keeps its timers.
///
/// Partition `p` of every input belongs to live instance `p % count`: an instance never sees a partition
/// another one owns, keys stay together (a key always hashes to one partition), and partition `p` of two
/// co-partitioned inputs lands on the same instance.
struct OperatorPlacement: Sendable, Equatable {
    enum Role: Sendable, Equatable {
        case live
        /// A new version run next to the live one on the same inputs, writing to shadow streams.
        case canary(version: Int)
    }

    var operatorName: String
    var role: Role
    var index: Int
    var count: Int

    static func live(_ name: String, index: Int = 0, of count: Int = 1) -> OperatorPlacement {
        OperatorPlacement(operatorName: name, role: .live, index: index, count: count)
    }

    static func canary(_ name: String, version: Int) -> OperatorPlacement {
        OperatorPlacement(operatorName: name, role: .canary(version: version), index: 0, count: 1)
    }

    func owns(partition: Int) -> Bool {
        partition % self.count == self.index
    }

    /// The group its input offsets are committed in: the operator's name, or `<name>@<version>` for a canary,
    /// which has offsets of its own.
    var groupId: String {
        switch self.role {
        case .live: return self.operatorName
        case .canary(let version): return "\(self.operatorName)@\(version)"
        }
    }

    /// The stream a declared output is written to: itself, or `<stream>@<version>` for a canary.
    func stream(forOutput declared: String) -> String {
        switch self.role {
        case .live: return declared
        case .canary(let version): return "\(declared)@\(version)"
        }
    }

    var deadLetterStream: String { "\(self.groupId).dlq" }

    /// `timers.json` for the first live instance (the only one before scaling existed), then one file each.
    var timersFileName: String {
        switch self.role {
        case .live: return self.index == 0 ? "timers.json" : "timers.\(self.index).json"
        case .canary: return "timers.canary.json"
        }
    }

    /// Added to a process's label in logs and errors: nothing for a lone live instance.
    var labelSuffix: String {
        switch self.role {
        case .live: return self.count == 1 ? "" : " [\(self.index + 1)/\(self.count)]"
        case .canary: return " [canary]"
        }
    }
}
