import ArgumentParser
import Foundation
import SluiceModel

/// `scale`, `promote` and `abort`: changing a running topology one operator at a time.
struct ScaleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scale",
        abstract: "Run N instances of an operator, each owning a share of its input partitions."
    )
    @OptionGroup var adminOption: AdminOption
    @Argument(help: "The operator's name.") var name: String
    @Argument(help: "How many instances (1 to 64).") var instances: Int

    func run() async throws {
        let report = try await withAdmin(self.adminOption) { admin in
            try await admin.send(
                .POST, "/v1/operators/\(self.name)/scale", json: ScaleRequestDocument(instances: self.instances),
                as: ScaleDocument.self
            )
        }
        let gap = String(format: "%.1f", report.handoffGapMs)
        print("scaled \(report.name) from \(report.fromInstances) to \(report.toInstances) instance(s); handoff gap \(gap) ms")
    }
}

struct PromoteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "promote", abstract: "Make an operator's canary its live version (a swap handoff)."
    )
    @OptionGroup var adminOption: AdminOption
    @Argument(help: "The operator's name.") var name: String

    func run() async throws {
        let report = try await withAdmin(self.adminOption) { admin in
            try await admin.send(.POST, "/v1/operators/\(self.name)/promote", as: SwapDocument.self)
        }
        print("promoted: " + SwapText.line(report))
    }
}

struct AbortCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "abort", abstract: "Stop an operator's canary and forget its version (shadow streams stay)."
    )
    @OptionGroup var adminOption: AdminOption
    @Argument(help: "The operator's name.") var name: String

    func run() async throws {
        let status = try await withAdmin(self.adminOption) { admin in
            try await admin.send(.POST, "/v1/operators/\(self.name)/abort", as: OperatorDocument.self)
        }
        print("aborted the canary of \(status.name); version \(status.version) runs alone")
    }
}

enum CanaryText {
    static func started(_ status: OperatorDocument) -> String {
        guard let canary = status.canary else { return "\(status.name): no canary running" }
        return "canary \(status.name) version \(canary.version) runs next to version \(status.version), writing "
            + canary.outputs.joined(separator: ", ")
    }

    static func line(_ canary: CanaryDocument) -> String {
        "canary: version \(canary.version), \(canary.state), writing \(canary.outputs.joined(separator: ", ")); "
            + "lag \(canary.lag), records in \(canary.recordsIn), out \(canary.recordsOut)"
    }
}
