import GroupCoordinator
import KafkaWire
import SluiceModel
import SluiceSecurity

/// OffsetDelete (KIP-496): DELETE on the group for the request, READ on each topic for its partitions, as in
/// Kafka; the rules about live subscriptions are the coordinator's.
extension KafkaRequestRouter {
    func handleOffsetDelete(_ request: IncomingRequest) throws {
        let delete = try request.decode(OffsetDeleteRequest.self)
        guard self.authorize(request, .delete, .group, delete.groupId) else {
            request.reply(OffsetDeleteResponse(errorCode: .groupAuthorizationFailed, topics: []))
            return
        }
        let deniedTopics = Set(delete.topics.map(\.name).filter { !self.authorize(request, .read, .topic, $0) })
        let unknown = Set(delete.topics.filter { !deniedTopics.contains($0.name) }.flatMap { topic in
            topic.partitions.map { TopicPartition(topic: topic.name, partition: PartitionID($0)) }
        }.filter { self.logs.partition($0) == nil })
        let asked = delete.topics.filter { !deniedTopics.contains($0.name) }.flatMap { topic in
            topic.partitions.map { TopicPartition(topic: topic.name, partition: PartitionID($0)) }
        }.filter { !unknown.contains($0) }
        self.groups.deleteOffsets(
            groupId: delete.groupId, partitions: asked,
            subscribedTopics: { try? ConsumerProtocolSubscription.topics(from: $0) }
        ) { result in
            guard !result.errorCode.isError else {
                request.reply(OffsetDeleteResponse(errorCode: ErrorCode(result.errorCode), topics: []))
                return
            }
            request.reply(OffsetDeleteResponse(topics: delete.topics.map { topic in
                OffsetDeleteResponse.Topic(name: topic.name, partitions: topic.partitions.map { index in
                    let topicPartition = TopicPartition(topic: topic.name, partition: PartitionID(index))
                    let errorCode: ErrorCode = deniedTopics.contains(topic.name) ? .topicAuthorizationFailed
                        : unknown.contains(topicPartition) ? .unknownTopicOrPartition
                        : result.partitionErrors[topicPartition].map { ErrorCode($0) } ?? .none
                    return OffsetDeleteResponse.Partition(partitionIndex: index, errorCode: errorCode)
                })
            }))
        }
    }
}
