import KafkaWire
import SluiceModel

/// Consumer-group inspection and offset administration, as the `sluice group` commands need them. On a
/// single node every group's coordinator is the broker this client is connected to.
extension KafkaClient {
    public struct GroupListing: Sendable, Equatable {
        public var groupId: String
        public var protocolType: String
        public var state: String
    }

    public func listGroups() async throws -> [GroupListing] {
        let response = try await self.connection.send(ListGroupsRequest())
        guard response.errorCode == .none else {
            throw KafkaClientError.brokerError(response.errorCode, "list groups")
        }
        return response.groups.map {
            GroupListing(groupId: $0.groupId, protocolType: $0.protocolType, state: $0.groupState)
        }.sorted { $0.groupId < $1.groupId }
    }

    public func describeGroup(_ groupId: String) async throws -> DescribeGroupsResponse.Group {
        let response = try await self.connection.send(DescribeGroupsRequest(groups: [groupId]))
        guard let group = response.groups.first(where: { $0.groupId == groupId }) else {
            throw KafkaClientError.unexpectedResponse("describe-groups response without \(groupId)")
        }
        guard group.errorCode == .none else {
            throw KafkaClientError.brokerError(group.errorCode, "describe group \(groupId)")
        }
        return group
    }

    /// The group's committed offsets (of every topic it committed for), keyed by partition.
    public func committedOffsets(group groupId: String) async throws -> [TopicPartition: Int64] {
        let request = OffsetFetchRequest(groupId: groupId, topics: nil, groups: [
            OffsetFetchRequest.Group(groupId: groupId, topics: nil),
        ])
        let response = try await self.connection.send(request)
        // v8+ answers per group; earlier versions answer at the top level.
        let (errorCode, topics) = response.groups.first.map { ($0.errorCode, $0.topics) }
            ?? (response.errorCode, response.topics)
        guard errorCode == .none else {
            throw KafkaClientError.brokerError(errorCode, "fetch committed offsets of \(groupId)")
        }
        var offsets: [TopicPartition: Int64] = [:]
        for topic in topics {
            for partition in topic.partitions where partition.errorCode == .none && partition.committedOffset >= 0 {
                offsets[TopicPartition(topic: topic.name, partition: PartitionID(partition.partitionIndex))] =
                    partition.committedOffset
            }
        }
        return offsets
    }

    /// Commits offsets outside any generation (as `assign()` consumers and admin tools do); the broker
    /// refuses it while the group has live members.
    public func commitOffsets(group groupId: String, topic: String, offsets: [PartitionID: Int64]) async throws {
        let partitions = offsets.sorted { $0.key < $1.key }.map {
            OffsetCommitRequest.Partition(partitionIndex: $0.key.rawValue, committedOffset: $0.value)
        }
        let response = try await self.connection.send(OffsetCommitRequest(
            groupId: groupId, topics: [OffsetCommitRequest.Topic(name: topic, partitions: partitions)]
        ))
        for answer in response.topics.flatMap(\.partitions) where answer.errorCode != .none {
            throw KafkaClientError.brokerError(
                answer.errorCode, "commit offset of \(groupId) for \(topic)-\(answer.partitionIndex)"
            )
        }
    }
}
