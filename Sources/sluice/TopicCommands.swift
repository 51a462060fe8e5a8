import ArgumentParser
import NIOHTTP1
import SluiceClient
import SluiceModel

struct TopicCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topic",
        abstract: "Create, list, describe, configure and delete topics.",
        subcommands: [Create.self, List.self, Describe.self, AlterConfig.self, Delete.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a topic.")
        @OptionGroup var brokerOption: BrokerOption
        @Argument(help: "Topic name.") var name: String
        @Option(help: "Number of partitions.") var partitions: Int32 = 1
        @Option(name: .customLong("config"), help: "A Kafka topic config KEY=VALUE, e.g. cleanup.policy=compact; repeatable.")
        var configs: [String] = []

        func run() async throws {
            guard self.partitions >= 1 else { throw ValidationError("--partitions must be at least 1") }
            let configs = try TopicConfigArguments.pairs(self.configs, option: "--config")
            try await withClient(self.brokerOption) { client in
                try await client.createTopic(self.name, partitionCount: self.partitions, configs: configs)
            }
            print("created topic \(self.name) with \(self.partitions) partition\(self.partitions == 1 ? "" : "s")")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List topics with their partition counts.")
        @OptionGroup var brokerOption: BrokerOption

        func run() async throws {
            let metadata = try await withClient(self.brokerOption) { try await $0.metadata(topics: nil) }
            let rows = metadata.topics.compactMap { topic in
                topic.name.map { [$0, String(topic.partitions.count)] }
            }.sorted { $0[0] < $1[0] }
            print(TextTable(headers: ["TOPIC", "PARTITIONS"], rows: rows).rendered(), terminator: "")
        }
    }

    struct Describe: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a topic's partitions, offsets and configs.")
        @OptionGroup var brokerOption: BrokerOption
        @Argument(help: "Topic name.") var name: String

        func run() async throws {
            let (rows, configs) = try await withClient(self.brokerOption) { client in
                let count = try await client.partitionCount(of: self.name)
                let partitions = (0..<Int32(count)).map { PartitionID($0) }
                let earliest = try await client.listOffsets(topic: self.name, partitions: partitions, spec: .earliest)
                let latest = try await client.listOffsets(topic: self.name, partitions: partitions, spec: .latest)
                let rows = partitions.map { partition in
                    let start = earliest[partition] ?? -1
                    let end = latest[partition] ?? -1
                    return [String(partition.rawValue), String(start), String(end), String(max(end - start, 0))]
                }
                return (rows, try await client.topicConfigs(self.name))
            }
            print("topic \(self.name)")
            print(
                TextTable(headers: ["PARTITION", "START OFFSET", "END OFFSET", "RECORDS"], rows: rows).rendered(),
                terminator: ""
            )
            print("")
            let configRows = configs.map { [$0.name, $0.value ?? "", TopicConfigArguments.sourceName($0.configSource)] }
            print(TextTable(headers: ["CONFIG", "VALUE", "SOURCE"], rows: configRows).rendered(), terminator: "")
        }
    }

    struct AlterConfig: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "alter-config",
            abstract: "Set topic configs, or return them to the broker's defaults; takes effect at once."
        )
        @OptionGroup var brokerOption: BrokerOption
        @Argument(help: "Topic name.") var name: String
        @Option(name: .customLong("set"), help: "KEY=VALUE to set, e.g. retention.ms=86400000; repeatable.")
        var settings: [String] = []
        @Option(name: .customLong("delete"), help: "A config KEY to return to the default; repeatable.")
        var deletions: [String] = []

        func run() async throws {
            let settings = try TopicConfigArguments.pairs(self.settings, option: "--set")
            guard !settings.isEmpty || !self.deletions.isEmpty else {
                throw ValidationError("give at least one --set KEY=VALUE or --delete KEY")
            }
            try await withClient(self.brokerOption) { client in
                try await client.alterTopicConfigs(self.name, set: settings, delete: self.deletions)
            }
            print("altered configs of topic \(self.name)")
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a topic and all its records.",
            discussion: "A stream that operators read or write is refused; --force deletes it through the admin API, which first pauses those operators (resume them once the stream exists again)."
        )
        @OptionGroup var brokerOption: BrokerOption
        @OptionGroup var adminOption: AdminOption
        @Argument(help: "Topic name.") var name: String
        @Flag(help: "Delete even if operators use the stream: they are paused, with the reason, first.") var force = false

        func run() async throws {
            // Kafka's DeleteTopics cannot say "force", so a forced delete goes to the admin API.
            if self.force {
                let answer = try await withAdmin(self.adminOption) { admin in
                    try await admin.send(.DELETE, "/v1/streams/\(self.name)?force=true", as: StreamDeletionDocument.self)
                }
                let paused = answer.pausedOperators
                print("deleted topic \(self.name)" + (paused.isEmpty ? "" : "; paused \(paused.joined(separator: ", "))"))
                return
            }
            try await withClient(self.brokerOption) { try await $0.deleteTopic(self.name) }
            print("deleted topic \(self.name)")
        }
    }
}

/// A plain-text table with columns padded to their widest cell, for output a person reads at a glance.
struct TextTable {
    let headers: [String]
    let rows: [[String]]

    func rendered() -> String {
        var widths = self.headers.map(\.count)
        for row in self.rows {
            for (column, cell) in row.enumerated() where column < widths.count {
                widths[column] = max(widths[column], cell.count)
            }
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { column, cell in
                column == cells.count - 1 ? cell : cell + String(repeating: " ", count: widths[column] - cell.count)
            }.joined(separator: "  ") + "\n"
        }
        return ([self.headers] + self.rows).map(line).joined()
    }
}

/// Parsing of `KEY=VALUE` config options and naming of config sources for the topic commands.
enum TopicConfigArguments {
    static func pairs(_ arguments: [String], option: String) throws -> [String: String] {
        var pairs: [String: String] = [:]
        for argument in arguments {
            guard let equals = argument.firstIndex(of: "="), equals != argument.startIndex else {
                throw ValidationError("\(option) wants KEY=VALUE, not '\(argument)'")
            }
            let key = String(argument[..<equals])
            guard pairs[key] == nil else { throw ValidationError("\(option) sets \(key) twice") }
            pairs[key] = String(argument[argument.index(after: equals)...])
        }
        return pairs
    }

    /// Kafka's ConfigSource names.
    static func sourceName(_ source: Int8) -> String {
        switch source {
        case 1: return "topic"
        case 2, 3: return "broker (dynamic)"
        case 4: return "broker"
        case 5: return "default"
        default: return "unknown"
        }
    }
}
