import ArgumentParser
import Foundation
import NIOHTTP1
import SluiceClient
import SluiceModel

/// `--memory-max`, `--cpu-max`, `--files-max`, `--processes-max` of deploy and swap; what is not given keeps
/// the broker's default (deploy) or the current version's value (swap).
struct LimitOptions: ParsableArguments {
    @Option(name: .customLong("memory-max"), help: "Memory limit, e.g. 256MiB, 1GiB or unlimited.") var memoryMax: String?
    @Option(name: .customLong("cpu-max"), help: "CPU limit in cores, e.g. 0.5, 2 or unlimited (needs cgroups).") var cpuMax: String?
    @Option(name: .customLong("files-max"), help: "Open-file limit, or unlimited.") var filesMax: String?
    @Option(name: .customLong("processes-max"), help: "Process and thread limit, or unlimited.") var processesMax: String?

    func override() throws -> OperatorLimitsOverride {
        do {
            let limits = OperatorLimitsOverride(
                memoryBytesMax: try self.memoryMax.map(OperatorLimits.parseBytes),
                cpuMillicoresMax: try self.cpuMax.map(OperatorLimits.parseCores),
                filesMax: try self.filesMax.map(OperatorLimits.parseCount),
                processesMax: try self.processesMax.map(OperatorLimits.parseCount)
            )
            // Checked here too, so a typo is refused before the code is read and sent.
            if let problem = limits.applied(to: .unlimited).problem { throw ValidationError(problem) }
            return limits
        } catch let error as OperatorLimits.ParseError {
            throw ValidationError(error.message)
        }
    }
}

struct DeployCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deploy",
        abstract: "Deploy an operator: a .py file, an executable, or a directory with --run."
    )
    @OptionGroup var adminOption: AdminOption
    @Argument(help: "The operator's code: FILE.py, an executable, or a directory.") var path: String
    @Option(help: "The operator's name (default: the name its metadata declares).") var name: String?
    @Option(help: "The command that starts it, run inside the uploaded directory.") var run: String?
    @Option(name: .customLong("env"), help: "K=V, set in the operator's environment (repeatable).") var environment: [String] = []
    @Flag(help: "Run this code as a canary of the deployed operator --name: same inputs, own offsets, output to <stream>@<version>.")
    var canary = false
    @OptionGroup var limitOptions: LimitOptions

    func run() async throws {
        let limits = try self.limitOptions.override()
        var document = try OperatorPackage.document(path: self.path, name: self.name, run: self.run, environment: self.environment)
        document.limits = limits.isEmpty ? nil : limits
        if self.canary {
            guard let name = self.name else { throw ValidationError("--canary needs --name NAME of the deployed operator") }
            let status = try await withAdmin(self.adminOption) { admin in
                try await admin.send(.POST, "/v1/operators/\(name)/canary", json: document, as: OperatorDocument.self)
            }
            print(CanaryText.started(status))
            return
        }
        let status = try await withAdmin(self.adminOption) { admin in
            try await admin.send(.POST, "/v1/operators", json: document, as: OperatorDocument.self)
        }
        let inputs = status.inputs.isEmpty ? "(a source: timers)" : status.inputs.joined(separator: ", ")
        print("deployed \(status.name) version \(status.version): \(inputs) → \(status.outputs.joined(separator: ", "))")
    }
}

struct SwapCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swap",
        abstract: "Replace a running operator's code, make-before-break, and print the handoff gap."
    )
    @OptionGroup var adminOption: AdminOption
    @Argument(help: "The operator's name.") var name: String
    @Argument(help: "The new code: FILE.py, an executable, or a directory.") var path: String
    @Option(help: "The command that starts the new version.") var run: String?
    @Option(name: .customLong("env"), help: "K=V (repeatable).") var environment: [String] = []
    @OptionGroup var limitOptions: LimitOptions

    func run() async throws {
        let limits = try self.limitOptions.override()
        var document = try OperatorPackage.document(path: self.path, name: self.name, run: self.run, environment: self.environment)
        document.limits = limits.isEmpty ? nil : limits
        let report = try await withAdmin(self.adminOption) { admin in
            try await admin.send(.POST, "/v1/operators/\(self.name)/swap", json: document, as: SwapDocument.self)
        }
        print(SwapText.line(report))
    }
}

struct RollbackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rollback", abstract: "Swap an operator back to its previous version.")
    @OptionGroup var adminOption: AdminOption
    @Argument(help: "The operator's name.") var name: String

    func run() async throws {
        let report = try await withAdmin(self.adminOption) { admin in
            try await admin.send(.POST, "/v1/operators/\(self.name)/rollback", as: SwapDocument.self)
        }
        print(SwapText.line(report))
    }
}

enum SwapText {
    static func line(_ report: SwapDocument) -> String {
        let gap = String(format: "%.1f", report.handoffGapMs)
        return "swapped \(report.name) from version \(report.fromVersion) to \(report.toVersion); handoff gap \(gap) ms"
    }
}

struct PauseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pause", abstract: "Stop feeding an operator after its in-flight batch.")
    @OptionGroup var adminOption: AdminOption
    @Argument(help: "The operator's name.") var name: String

    func run() async throws {
        let status = try await withAdmin(self.adminOption) { admin in
            try await admin.send(.POST, "/v1/operators/\(self.name)/pause", as: OperatorDocument.self)
        }
        print("\(status.name): \(status.state)")
    }
}

struct ResumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "resume", abstract: "Feed a paused operator again from its committed offsets.")
    @OptionGroup var adminOption: AdminOption
    @Argument(help: "The operator's name.") var name: String

    func run() async throws {
        let status = try await withAdmin(self.adminOption) { admin in
            try await admin.send(.POST, "/v1/operators/\(self.name)/resume", as: OperatorDocument.self)
        }
        print("\(status.name): \(status.state)")
    }
}

struct KillCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "kill", abstract: "Stop an operator and remove its deployment.")
    @OptionGroup var adminOption: AdminOption
    @Argument(help: "The operator's name.") var name: String

    func run() async throws {
        _ = try await withAdmin(self.adminOption) { admin in
            try await admin.send(.DELETE, "/v1/operators/\(self.name)", as: [String: String].self)
        }
        print("killed \(self.name)")
    }
}

struct OpsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ops", abstract: "List operators, or show one in detail.")
    @OptionGroup var adminOption: AdminOption
    @Argument(help: "One operator's name.") var name: String?

    func run() async throws {
        if let name {
            let status = try await withAdmin(self.adminOption) { admin in
                try await admin.send(.GET, "/v1/operators/\(name)", as: OperatorDocument.self)
            }
            print(OpsText.detail(status), terminator: "")
        } else {
            let all = try await withAdmin(self.adminOption) { admin in
                try await admin.send(.GET, "/v1/operators", as: [OperatorDocument].self)
            }
            print(OpsText.table(all), terminator: "")
        }
    }
}

enum OpsText {
    static func table(_ operators: [OperatorDocument]) -> String {
        let rows = operators.sorted { $0.name < $1.name }.map { status in
            [
                status.name, String(status.version), status.state, status.inputs.joined(separator: ","),
                status.outputs.joined(separator: ","), String(status.instances ?? 1), String(status.lag),
                String(format: "%.0f", status.recordsPerSecond),
            ]
        }
        return TextTable(
            headers: ["NAME", "VERSION", "STATE", "INPUTS", "OUTPUTS", "INSTANCES", "LAG", "RECORDS/S"], rows: rows
        ).rendered()
    }

    /// Each live instance of a scaled operator: its process, state and the partitions it owns.
    static func instances(_ instances: [InstanceDocument]) -> String {
        let rows = instances.sorted { $0.index < $1.index }.map { instance in
            [
                String(instance.index + 1), instance.process ?? "-", instance.state,
                instance.partitions.joined(separator: ","), String(instance.lag),
                String(format: "%.0f", instance.recordsPerSecond),
            ]
        }
        return "instances:\n" + TextTable(
            headers: ["#", "PROCESS", "STATE", "PARTITIONS", "LAG", "RECORDS/S"], rows: rows
        ).rendered()
    }

    static func detail(_ status: OperatorDocument) -> String {
        var text = OpsText.table([status])
        text += "records in \(status.recordsIn), out \(status.recordsOut); restarts \(status.restarts); dead-lettered \(status.deadLettered)\n"
        if let reason = status.reason { text += "\(status.state): \(reason)\n" }
        if let limits = status.limits {
            text += "limits: \(limits.summary)" + (status.limitsEnforcement.map { " (\($0))" } ?? "") + "\n"
        }
        if let instances = status.instanceDetails, instances.count > 1 { text += Self.instances(instances) }
        if let canary = status.canary { text += CanaryText.line(canary) + "\n" }
        if !status.previousVersions.isEmpty {
            text += "previous versions: \(status.previousVersions.map(String.init).joined(separator: ", "))\n"
        }
        if !status.lastErrors.isEmpty {
            text += "last errors:\n" + status.lastErrors.map(Self.indentedError).joined()
        }
        return text
    }

    /// An error under its bullet: a Python traceback spans many lines, and every one is indented so the
    /// list stays readable and no line looks like the next part of the report.
    private static func indentedError(_ error: String) -> String {
        let lines = error.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces).isEmpty ? "" : String($0) }
        let trimmed = lines.reversed().drop { $0.isEmpty }.reversed()
        return trimmed.enumerated().map { index, line in (index == 0 ? "  " : "    ") + line + "\n" }.joined()
    }
}

struct LogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logs", abstract: "Show an operator's log (its standard error).")
    @OptionGroup var adminOption: AdminOption
    @Argument(help: "The operator's name.") var name: String
    @Flag(name: .shortAndLong, help: "Keep printing new lines as they come.") var follow = false
    @Option(help: "How many of the last lines to show.") var tail: Int = 100

    func run() async throws {
        let path = "/v1/operators/\(self.name)/logs?tail=\(max(self.tail, 0))\(self.follow ? "&follow=true" : "")"
        try await withAdmin(self.adminOption) { admin in
            try await admin.streamText(path) { text in
                fputs(text, stdout)
                fflush(stdout)
            }
        }
    }
}

/// Reads an operator's code from disk into a deploy document, deciding how it starts.
enum OperatorPackage {
    static let sizeBytesMax = 128 * 1024 * 1024

    static func document(path: String, name: String?, run: String?, environment: [String]) throws -> DeployDocument {
        var variables: [String: String] = [:]
        for entry in environment {
            guard let equals = entry.firstIndex(of: "="), equals != entry.startIndex else {
                throw ValidationError("--env takes K=V, not '\(entry)'")
            }
            variables[String(entry[..<equals])] = String(entry[entry.index(after: equals)...])
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw CommandFailure("\(path): no such file or directory")
        }
        if isDirectory.boolValue {
            guard let run else { throw CommandFailure("\(path) is a directory: say how to start it with --run \"COMMAND\"") }
            return DeployDocument(name: name, files: try self.files(inDirectory: path), run: run, environment: variables)
        }
        let fileName = URL(fileURLWithPath: path).lastPathComponent
        let command: String
        if let run {
            command = run
        } else if fileName.hasSuffix(".py") {
            command = "python3 \(fileName)"
        } else if FileManager.default.isExecutableFile(atPath: path) {
            command = "./\(fileName)"
        } else {
            throw CommandFailure("\(path) is not an operator: expected a .py file, an executable, or --run")
        }
        return DeployDocument(name: name, files: [fileName: try self.base64(path)], run: command, environment: variables)
    }

    private static func files(inDirectory directory: String) throws -> [String: String] {
        var files: [String: String] = [:]
        var total = 0
        guard let enumerator = FileManager.default.enumerator(atPath: directory) else { return [:] }
        for case let relative as String in enumerator {
            var isDirectory: ObjCBool = false
            let full = directory + "/" + relative
            guard FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory), !isDirectory.boolValue,
                  !relative.split(separator: "/").contains(where: { $0 == "__pycache__" || $0.hasPrefix(".") })
            else { continue }
            let encoded = try self.base64(full)
            total += encoded.utf8.count
            guard total <= self.sizeBytesMax else { throw CommandFailure("\(directory) is larger than \(self.sizeBytesMax) bytes") }
            files[relative] = encoded
        }
        return files
    }

    private static func base64(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else { throw CommandFailure("cannot read \(path)") }
        guard data.count <= self.sizeBytesMax else { throw CommandFailure("\(path) is larger than \(self.sizeBytesMax) bytes") }
        return data.base64EncodedString()
    }
}
