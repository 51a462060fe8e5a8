import KafkaWire
import LogStore
import SluiceModel

/// ApiVersions and Metadata: what the broker speaks, and where every partition lives (here: this one
/// node leads every partition, with itself as the only replica).
extension KafkaRequestRouter {
    /// The node id Sluice gives itself in metadata.
    static let nodeId: Int32 = 1

    func handleApiVersions(_ request: IncomingRequest) throws {
        _ = try request.decode(ApiVersionsRequest.self)
        request.reply(ApiVersionsResponse(apiKeys: Self.advertisedApiVersions))
    }

    func handleMetadata(_ request: IncomingRequest) throws {
        let metadata = try request.decode(MetadataRequest.self)
        let names: [String]
        if let asked = metadata.topics {
            // Before v4 there is no flag, and Kafka creates topics asked for by name when allowed.
            let mayCreate = request.version < 4 || metadata.allowAutoTopicCreation
            names = asked.compactMap(\.name)
            if mayCreate {
                for name in names { self.topics.ensureTopicExists(name) }
            }
        } else {
            names = self.logs.topicNames().filter { !TopicAdministration.isInternal($0) }.sorted()
        }
        let advertised = request.context.session.listener.advertised
        let response = MetadataResponse(
            brokers: [MetadataResponse.Broker(nodeId: Self.nodeId, host: advertised.host, port: Int32(advertised.port))],
            clusterId: "sluice",
            controllerId: Self.nodeId,
            topics: names.map { self.describe(topic: $0) }
        )
        request.reply(response)
    }

    private func describe(topic name: String) -> MetadataResponse.Topic {
        guard let info = self.logs.topic(name) else {
            let invalid = !TopicNames.isValid(name)
            return MetadataResponse.Topic(
                errorCode: invalid ? .invalidTopicException : .unknownTopicOrPartition, name: name, partitions: []
            )
        }
        let partitions = (0..<Int32(info.partitionCount)).map { index in
            MetadataResponse.Partition(
                partitionIndex: index, leaderId: Self.nodeId, leaderEpoch: 0,
                replicaNodes: [Self.nodeId], isrNodes: [Self.nodeId]
            )
        }
        return MetadataResponse.Topic(name: name, isInternal: TopicAdministration.isInternal(name), partitions: partitions)
    }
}
