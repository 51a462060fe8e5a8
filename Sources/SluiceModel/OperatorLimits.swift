/// The resources one operator process may use: memory, CPU, open files and processes (threads included).
/// Part of a deployment's version, persisted in its `operator.json`, shown in its status; the operator
/// runtime enforces them (`Docs/security.md`, "Operator limits"). 0 in a field means no limit.
///
/// Shared by the CLI (`sluice deploy --memory-max 256MiB`), the admin API (the deploy document), the config
/// file (`[operators]`) and the runtime, so every one of them parses and checks a value the same way.
public struct OperatorLimits: Codable, Sendable, Equatable {
    /// Memory the process may use, bytes (resident memory under cgroups, writable data under rlimits).
    public var memoryBytesMax: Int64
    /// CPU the process may use, in thousandths of a core (500 = half a core); enforced by cgroups only.
    public var cpuMillicoresMax: Int64
    /// Open file descriptors (RLIMIT_NOFILE).
    public var filesMax: Int64
    /// Processes and threads (cgroup pids.max, RLIMIT_NPROC).
    public var processesMax: Int64

    public init(memoryBytesMax: Int64, cpuMillicoresMax: Int64, filesMax: Int64, processesMax: Int64) {
        self.memoryBytesMax = memoryBytesMax
        self.cpuMillicoresMax = cpuMillicoresMax
        self.filesMax = filesMax
        self.processesMax = processesMax
    }

    /// Why these defaults: a stateless operator needs tens of MiB, so 1 GiB stops a runaway long before
    /// it hurts a machine with a few GiB, yet fits any batch of the protocol (64 MiB frames) several times;
    /// 1024 files is the usual soft `ulimit -n`; 128 tasks leave room for the threads of a runtime (the Swift
    /// SDK, a JVM) while stopping a fork bomb. CPU is unlimited: a quota only slows an operator down, which
    /// the operator's lag shows; give one where operators share a machine with latency-bound work.
    public static let defaults = OperatorLimits(
        memoryBytesMax: 1 << 30, cpuMillicoresMax: 0, filesMax: 1024, processesMax: 128
    )
    public static let unlimited = OperatorLimits(memoryBytesMax: 0, cpuMillicoresMax: 0, filesMax: 0, processesMax: 0)

    // Bounds of a value that is not 0 (unlimited). Below the minimums no interpreter starts, so a typo
    // ("--memory-max 64" meaning MiB) is an error instead of an operator that can never run.
    public static let memoryBytesRange: ClosedRange<Int64> = (16 << 20)...(1 << 40)
    public static let cpuMillicoresRange: ClosedRange<Int64> = 10...1_024_000
    public static let filesRange: ClosedRange<Int64> = 16...1_048_576
    public static let processesRange: ClosedRange<Int64> = 1...65_536

    /// The first value out of its bounds, as a message naming the flag; nil when all are fine.
    public var problem: String? {
        let checks: [(String, Int64, ClosedRange<Int64>, (Int64) -> String)] = [
            ("memory-max", self.memoryBytesMax, Self.memoryBytesRange, Self.formatBytes),
            ("cpu-max", self.cpuMillicoresMax, Self.cpuMillicoresRange, Self.formatCores),
            ("files-max", self.filesMax, Self.filesRange, String.init),
            ("processes-max", self.processesMax, Self.processesRange, String.init),
        ]
        for (flag, value, range, format) in checks where value != 0 && !range.contains(value) {
            return "\(flag) must be \(format(range.lowerBound))...\(format(range.upperBound)) or unlimited, "
                + "not \(value < 0 ? String(value) : format(value))"
        }
        return nil
    }

    /// One line for `sluice ops`: `memory 256 MiB, cpu 0.5 cores, files 256, processes 32`.
    public var summary: String {
        func show(_ value: Int64, _ format: (Int64) -> String) -> String { value == 0 ? "unlimited" : format(value) }
        return "memory \(show(self.memoryBytesMax, Self.formatBytes)), cpu \(show(self.cpuMillicoresMax, Self.formatCores)), "
            + "files \(show(self.filesMax, String.init)), processes \(show(self.processesMax, String.init))"
    }
}

/// The limits a deploy or swap asks for; a field left nil keeps the value it would have had (the config
/// file's default for a deploy, the current version's for a swap). 0 asks for no limit.
public struct OperatorLimitsOverride: Codable, Sendable, Equatable {
    public var memoryBytesMax: Int64?
    public var cpuMillicoresMax: Int64?
    public var filesMax: Int64?
    public var processesMax: Int64?

    public init(memoryBytesMax: Int64? = nil, cpuMillicoresMax: Int64? = nil, filesMax: Int64? = nil, processesMax: Int64? = nil) {
        self.memoryBytesMax = memoryBytesMax
        self.cpuMillicoresMax = cpuMillicoresMax
        self.filesMax = filesMax
        self.processesMax = processesMax
    }

    public var isEmpty: Bool { self == OperatorLimitsOverride() }

    public func applied(to base: OperatorLimits) -> OperatorLimits {
        OperatorLimits(
            memoryBytesMax: self.memoryBytesMax ?? base.memoryBytesMax,
            cpuMillicoresMax: self.cpuMillicoresMax ?? base.cpuMillicoresMax,
            filesMax: self.filesMax ?? base.filesMax,
            processesMax: self.processesMax ?? base.processesMax
        )
    }
}

/// Text forms of limit values, for flags and the config file.
extension OperatorLimits {
    public struct ParseError: Error, Equatable, CustomStringConvertible {
        public var message: String
        public var description: String { self.message }
    }

    /// `268435456`, `256MiB`, `256M` (binary, as ulimit and Docker read it), `512MB` (decimal), `1.5GiB`
    /// or `unlimited` (0). Case and a space before the unit do not matter.
    public static func parseBytes(_ text: String) throws -> Int64 {
        let trimmed = text.filter { $0 != " " && $0 != "_" }.lowercased()
        if trimmed == "unlimited" { return 0 }
        let kibi = 1024.0
        let units: [(String, Double)] = [
            ("kib", kibi), ("mib", kibi * kibi), ("gib", kibi * kibi * kibi), ("tib", kibi * kibi * kibi * kibi),
            ("kb", 1e3), ("mb", 1e6), ("gb", 1e9), ("tb", 1e12),
            ("k", kibi), ("m", kibi * kibi), ("g", kibi * kibi * kibi), ("t", kibi * kibi * kibi * kibi), ("b", 1),
        ]
        var number = Substring(trimmed)
        var multiplier: Double = 1
        if let (unit, factor) = units.first(where: { trimmed.hasSuffix($0.0) }) {
            number = number.dropLast(unit.count)
            multiplier = factor
        }
        guard let value = Self.decimal(number), value >= 0, value * multiplier < 9.0e18 else {
            throw ParseError(message: "'\(text)' is not a size (e.g. 268435456, 256MiB, 1GiB or unlimited)")
        }
        return Int64((value * multiplier).rounded())
    }

    /// `0.5`, `2`, `500m` (millicores) or `unlimited` (0), in thousandths of a core.
    public static func parseCores(_ text: String) throws -> Int64 {
        let trimmed = text.filter { $0 != " " }.lowercased()
        if trimmed == "unlimited" { return 0 }
        if trimmed.hasSuffix("m"), let millicores = Int64(trimmed.dropLast()), millicores >= 0 { return millicores }
        guard let cores = Self.decimal(Substring(trimmed)), cores >= 0, cores < 1e12 else {
            throw ParseError(message: "'\(text)' is not a number of cores (e.g. 0.5, 2, 500m or unlimited)")
        }
        return Int64((cores * 1000).rounded())
    }

    /// A positive count or `unlimited` (0).
    public static func parseCount(_ text: String) throws -> Int64 {
        let trimmed = text.filter { $0 != " " && $0 != "_" }.lowercased()
        if trimmed == "unlimited" { return 0 }
        guard let count = Int64(trimmed), count >= 0 else {
            throw ParseError(message: "'\(text)' is not a count (a whole number or unlimited)")
        }
        return count
    }

    /// `256 MiB`, `1.5 GiB`, `100 B`: the largest binary unit that keeps the number at 1 or more.
    public static func formatBytes(_ bytes: Int64) -> String {
        let units: [(String, Int64)] = [("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)]
        for (unit, size) in units where bytes >= size {
            return Self.trimmedDecimal(bytes, per: size) + " " + unit
        }
        return "\(bytes) B"
    }

    /// `0.5 cores`, `1 core`.
    public static func formatCores(_ millicores: Int64) -> String {
        Self.trimmedDecimal(millicores, per: 1000) + (millicores == 1000 ? " core" : " cores")
    }

    /// `value / unit` with at most three decimals and no trailing zeros, without Foundation's formatting;
    /// the remainder is scaled alone so that no value overflows.
    private static func trimmedDecimal(_ value: Int64, per unit: Int64) -> String {
        var whole = value / unit
        var thousandths = (value % unit * 1000 + unit / 2) / unit
        if thousandths == 1000 {
            whole += 1
            thousandths = 0
        }
        guard thousandths != 0 else { return String(whole) }
        var digits = String(thousandths)
        digits = String(repeating: "0", count: 3 - digits.count) + digits
        while digits.hasSuffix("0") { digits.removeLast() }
        return "\(whole).\(digits)"
    }

    /// Digits with at most one decimal point; nil for anything else (Double's own parser takes "nan", "1e9").
    private static func decimal(_ text: Substring) -> Double? {
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
              text.filter({ $0 == "." }).count <= 1, text != "."
        else { return nil }
        return Double(text)
    }
}
