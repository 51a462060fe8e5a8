import ArgumentParser
import KafkaWire
import SluiceClient
import SluiceModel

struct GroupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "group",
        abstract: "List and describe consumer groups, and move their committed offsets.",
        subcommands: [List.self, Describe.self, Reset.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List consumer groups.")
        @OptionGroup var brokerOption: BrokerOption

        func run() async throws {
            let rows = try await withClient(self.brokerOption) { client in
                var rows: [[String]] = []
                for listing in try await client.listGroups() {
                    let group = try await client.describeGroup(listing.groupId)
                    rows.append([listing.groupId, group.groupState, String(group.members.count), group.protocolData])
                }
                return rows
            }
            print(TextTable(headers: ["GROUP", "STATE", "MEMBERS", "ASSIGNOR"], rows: rows).rendered(), terminator: "")
        }
    }

    struct Describe: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a group's members, and per partition its owner, committed offset, end offset and lag."
        )
        @OptionGroup var brokerOption: BrokerOption
        @Argument(help: "Group id.") var group: String

        func run() async throws {
            let (described, rows) = try await withClient(self.brokerOption) { client in
                let described = try await client.describeGroup(self.group)
                return (described, try await GroupReport.rows(client: client, group: described))
            }
            let protocolText = described.protocolData.isEmpty ? "" : ", assignor \(described.protocolData)"
            print("group \(self.group): \(described.groupState)\(protocolText), \(described.members.count) member\(described.members.count == 1 ? "" : "s")")
            print(
                TextTable(headers: ["TOPIC", "PARTITION", "MEMBER", "COMMITTED", "END", "LAG"], rows: rows).rendered(),
                terminator: ""
            )
        }
    }

    struct Reset: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Move a group's committed offsets on a topic (only while the group has no live members)."
        )
        @OptionGroup var brokerOption: BrokerOption
        @Argument(help: "Group id.") var group: String
        @Option(help: "Topic whose offsets move.") var topic: String
        @Option(help: "earliest, latest, an offset, or an ISO-8601 time.") var to: String

        func run() async throws {
            let target = try StartPosition(parsing: self.to)
            let offsets = try await withClient(self.brokerOption) { client in
                let described = try await client.describeGroup(self.group)
                guard described.members.isEmpty else {
                    throw CommandFailure(
                        "group \(self.group) has \(described.members.count) live member\(described.members.count == 1 ? "" : "s") (\(described.groupState)): stop its consumers before resetting its offsets"
                    )
                }
                let count = try await client.partitionCount(of: self.topic)
                let partitions = (0..<Int32(count)).map { PartitionID($0) }
                let offsets = try await target.offsets(client: client, topic: self.topic, partitions: partitions)
                try await client.commitOffsets(group: self.group, topic: self.topic, offsets: offsets)
                return offsets
            }
            let rows = offsets.sorted { $0.key < $1.key }.map { [self.topic, String($0.key.rawValue), String($0.value)] }
            print("reset group \(self.group) on \(self.topic) to \(self.to)")
            print(TextTable(headers: ["TOPIC", "PARTITION", "NEW OFFSET"], rows: rows).rendered(), terminator: "")
        }
    }
}

/// The per-partition rows of `sluice group describe`.
enum GroupReport {
    static func rows(client: KafkaClient, group: DescribeGroupsResponse.Group) async throws -> [[String]] {
        var owners: [TopicPartition: String] = [:]
        for member in group.members {
            let assignment = (try? ConsumerProtocolAssignment(from: member.memberAssignment))?.partitionsByTopic ?? []
            for (topic, partitions) in assignment {
                for partition in partitions {
                    owners[TopicPartition(topic: topic, partition: PartitionID(partition))] =
                        "\(member.clientId) (\(member.clientHost))"
                }
            }
        }
        let committed = try await client.committedOffsets(group: group.groupId)
        let partitions = Set(owners.keys).union(committed.keys).sorted {
            ($0.topic, $0.partition.rawValue) < ($1.topic, $1.partition.rawValue)
        }
        var endOffsets: [TopicPartition: Int64] = [:]
        for topic in Set(partitions.map(\.topic)) {
            let ofTopic = partitions.filter { $0.topic == topic }.map(\.partition)
            for (partition, offset) in try await client.listOffsets(topic: topic, partitions: ofTopic, spec: .latest) {
                endOffsets[TopicPartition(topic: topic, partition: partition)] = offset
            }
        }
        return partitions.map { topicPartition in
            let committedOffset = committed[topicPartition]
            let end = endOffsets[topicPartition]
            let lag = committedOffset.flatMap { committed in end.map { max($0 - committed, 0) } }
            return [
                topicPartition.topic, String(topicPartition.partition.rawValue), owners[topicPartition] ?? "-",
                committedOffset.map(String.init) ?? "-", end.map(String.init) ?? "-", lag.map(String.init) ?? "-",
            ]
        }
    }
}

extension StartPosition {
    /// The offset this position names in each partition (the log end where no record is that recent).
    func offsets(client: KafkaClient, topic: String, partitions: [PartitionID]) async throws -> [PartitionID: Int64] {
        switch self {
        case .earliest: return try await client.listOffsets(topic: topic, partitions: partitions, spec: .earliest)
        case .latest: return try await client.listOffsets(topic: topic, partitions: partitions, spec: .latest)
        case .offset(let offset): return Dictionary(uniqueKeysWithValues: partitions.map { ($0, offset) })
        case .time(let milliseconds):
            let found = try await client.listOffsets(topic: topic, partitions: partitions, spec: .timestamp(milliseconds))
            let latest = try await client.listOffsets(topic: topic, partitions: partitions, spec: .latest)
            return found.reduce(into: [:]) { $0[$1.key] = $1.value >= 0 ? $1.value : latest[$1.key] ?? 0 }
        }
    }
}
