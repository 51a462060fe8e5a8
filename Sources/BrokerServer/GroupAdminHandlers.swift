import GroupCoordinator
import KafkaWire
import NIOCore
import SluiceModel
import SluiceSecurity

/// OffsetCommit, OffsetFetch, DescribeGroups, ListGroups and DeleteGroups. A commit is answered once the
/// offsets log has it on disk (the coordinator's offsets log always fsyncs), so an acknowledged commit
/// survives `kill -9`.
extension KafkaRequestRouter {
    func handleOffsetCommit(_ request: IncomingRequest) throws {
        let commit = try request.decode(OffsetCommitRequest.self)
        // READ on the group for the whole request; READ on each topic for its partitions.
        let mayUseGroup = self.authorize(request, .read, .group, commit.groupId)
        let deniedTopics = Set(commit.topics.map(\.name).filter { !mayUseGroup || !self.authorize(request, .read, .topic, $0) })
        // A partition that does not exist gets UNKNOWN_TOPIC_OR_PARTITION and is not stored, as in Kafka.
        let unknownPartitions = Set(commit.topics.filter { !deniedTopics.contains($0.name) }.flatMap { topic in
            topic.partitions.map { TopicPartition(topic: topic.name, partition: PartitionID($0.partitionIndex)) }
        }.filter { self.logs.partition($0) == nil })
        let partitions = commit.topics.filter { !deniedTopics.contains($0.name) }.flatMap { topic in
            topic.partitions.filter {
                !unknownPartitions.contains(TopicPartition(topic: topic.name, partition: PartitionID($0.partitionIndex)))
            }.map {
                PartitionOffsetCommit(
                    topicPartition: TopicPartition(topic: topic.name, partition: PartitionID($0.partitionIndex)),
                    offset: $0.committedOffset, leaderEpoch: $0.committedLeaderEpoch, metadata: $0.committedMetadata
                )
            }
        }
        let groupCommit = GroupOffsetCommitRequest(
            groupId: commit.groupId, memberId: commit.memberId, generationId: commit.generationIdOrMemberEpoch,
            groupInstanceId: commit.groupInstanceId, partitions: partitions
        )
        let refusal: ErrorCode = mayUseGroup ? .topicAuthorizationFailed : .groupAuthorizationFailed
        let reply: @Sendable ([PartitionCommitResult]) -> Void = { results in
            var errors: [TopicPartition: ErrorCode] = [:]
            for result in results { errors[result.topicPartition] = ErrorCode(result.errorCode) }
            for topicPartition in unknownPartitions { errors[topicPartition] = .unknownTopicOrPartition }
            for topic in commit.topics where deniedTopics.contains(topic.name) {
                for partition in topic.partitions {
                    errors[TopicPartition(topic: topic.name, partition: PartitionID(partition.partitionIndex))] = refusal
                }
            }
            request.reply(OffsetCommitResponse(topics: commit.topics.map { topic in
                OffsetCommitResponse.Topic(name: topic.name, partitions: topic.partitions.map {
                    let topicPartition = TopicPartition(topic: topic.name, partition: PartitionID($0.partitionIndex))
                    return OffsetCommitResponse.Partition(
                        partitionIndex: $0.partitionIndex, errorCode: errors[topicPartition] ?? .unknownServerError
                    )
                })
            }))
        }
        guard !partitions.isEmpty else { return reply([]) }
        self.groups.commitOffsets(groupCommit, completion: reply)
    }

    func handleOffsetFetch(_ request: IncomingRequest) throws {
        let fetch = try request.decode(OffsetFetchRequest.self)
        if request.version >= 8 {
            let groups = fetch.groups.map { group -> OffsetFetchResponse.Group in
                guard self.authorize(request, .describe, .group, group.groupId) else {
                    return OffsetFetchResponse.Group(groupId: group.groupId, topics: [], errorCode: .groupAuthorizationFailed)
                }
                let (errorCode, topics) = self.committedOffsets(
                    request, groupId: group.groupId, topics: group.topics, requireStable: fetch.requireStable
                )
                return OffsetFetchResponse.Group(groupId: group.groupId, topics: topics, errorCode: errorCode)
            }
            request.reply(OffsetFetchResponse(groups: groups))
        } else {
            guard self.authorize(request, .describe, .group, fetch.groupId) else {
                request.reply(OffsetFetchResponse(topics: [], errorCode: .groupAuthorizationFailed))
                return
            }
            let (errorCode, topics) = self.committedOffsets(
                request, groupId: fetch.groupId, topics: fetch.topics, requireStable: fetch.requireStable
            )
            request.reply(OffsetFetchResponse(topics: topics, errorCode: errorCode))
        }
    }

    /// The group's committed offsets of the asked partitions (all of them when `topics` is nil), -1 where none;
    /// only of topics the client may describe.
    /// With `requireStable` (v7+), a partition with an offset pending in an open transaction answers
    /// UNSTABLE_OFFSET_COMMIT, so the consumer retries instead of starting from an offset about to change.
    private func committedOffsets(
        _ request: IncomingRequest, groupId: String, topics: [OffsetFetchRequest.Topic]?, requireStable: Bool = false
    ) -> (ErrorCode, [OffsetFetchResponse.Topic]) {
        let asked = topics.map { topics in
            topics.flatMap { topic in
                topic.partitionIndexes.map { TopicPartition(topic: topic.name, partition: PartitionID($0)) }
            }
        }
        let result = self.groups.fetchOffsets(groupId: groupId, partitions: asked)
        let byTopic = Dictionary(grouping: result.offsets.keys, by: \.topic)
        let answer = byTopic.keys.sorted().filter { self.authorize(request, .describe, .topic, $0) }.map { topic in
            OffsetFetchResponse.Topic(name: topic, partitions: byTopic[topic, default: []].sorted {
                $0.partition < $1.partition
            }.map { topicPartition in
                let committed = result.offsets[topicPartition]
                if requireStable, self.transactions?.hasPendingOffset(groupId: groupId, topicPartition) == true {
                    return OffsetFetchResponse.Partition(
                        partitionIndex: topicPartition.partition.rawValue, committedOffset: -1,
                        committedLeaderEpoch: -1, metadata: "", errorCode: .unstableOffsetCommit
                    )
                }
                return OffsetFetchResponse.Partition(
                    partitionIndex: topicPartition.partition.rawValue, committedOffset: committed?.offset ?? -1,
                    committedLeaderEpoch: committed?.leaderEpoch ?? -1, metadata: committed?.metadata ?? ""
                )
            })
        }
        return (ErrorCode(result.errorCode), answer)
    }

    func handleDescribeGroups(_ request: IncomingRequest) throws {
        let describe = try request.decode(DescribeGroupsRequest.self)
        let allowed = describe.groups.filter { self.authorize(request, .describe, .group, $0) }
        let refused = describe.groups.filter { !allowed.contains($0) }.map {
            DescribeGroupsResponse.Group(errorCode: .groupAuthorizationFailed, groupId: $0, groupState: "", protocolType: "", protocolData: "", members: [])
        }
        let groups = refused + self.groups.describeGroups(allowed).map { group in
            var described = DescribeGroupsResponse.Group(
                errorCode: ErrorCode(group.errorCode), groupId: group.groupId, groupState: group.state.rawValue,
                protocolType: group.protocolType, protocolData: group.protocolName,
                members: group.members.map {
                    DescribeGroupsResponse.Member(
                        memberId: $0.memberId, groupInstanceId: $0.groupInstanceId, clientId: $0.clientId,
                        clientHost: $0.clientHost, memberMetadata: ByteBuffer(bytes: $0.metadata),
                        memberAssignment: ByteBuffer(bytes: $0.assignment)
                    )
                }
            )
            if describe.includeAuthorizedOperations && !group.errorCode.isError {
                described.authorizedOperations = self.authorizedOperations(request, .group, group.groupId)
            }
            return described
        }
        request.reply(DescribeGroupsResponse(groups: groups))
    }

    func handleListGroups(_ request: IncomingRequest) throws {
        let list = try request.decode(ListGroupsRequest.self)
        let states = list.statesFilter.isEmpty
            ? nil : Set(list.statesFilter.compactMap { name in GroupState.allCases.first { $0.rawValue.lowercased() == name.lowercased() } })
        // The groups the client may describe, as Kafka lists them without DESCRIBE on the cluster.
        let groups = self.groups.listGroups(states: states).filter { self.authorize(request, .describe, .group, $0.groupId) }.map {
            ListGroupsResponse.Group(groupId: $0.groupId, protocolType: $0.protocolType, groupState: $0.state.rawValue)
        }
        request.reply(ListGroupsResponse(groups: groups))
    }

    func handleDeleteGroups(_ request: IncomingRequest) throws {
        let delete = try request.decode(DeleteGroupsRequest.self)
        let allowed = delete.groupsNames.filter { self.authorize(request, .delete, .group, $0) }
        let refused = delete.groupsNames.filter { !allowed.contains($0) }.map {
            DeleteGroupsResponse.Result(groupId: $0, errorCode: .groupAuthorizationFailed)
        }
        guard !allowed.isEmpty else { return request.reply(DeleteGroupsResponse(results: refused)) }
        self.groups.deleteGroups(allowed) { results in
            request.reply(DeleteGroupsResponse(results: refused + results.map {
                DeleteGroupsResponse.Result(groupId: $0.groupId, errorCode: ErrorCode($0.errorCode))
            }))
        }
    }
}
