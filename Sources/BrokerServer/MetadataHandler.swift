import KafkaWire
import LogStore
import SluiceModel
import SluiceSecurity

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
        var denied: Set<String> = []
        // v0 has no null array: an empty one asks for every topic. From v1 on, null does and empty asks for none.
        let askedTopics = request.version == 0 && metadata.topics?.isEmpty == true ? nil : metadata.topics
        if let asked = askedTopics {
            // Before v4 there is no flag, and Kafka creates topics asked for by name when allowed.
            let mayCreate = request.version < 4 || metadata.allowAutoTopicCreation
            names = asked.compactMap(\.name)
            denied = Set(names.filter { !self.authorize(request, .describe, .topic, $0) })
            for name in names where mayCreate && !denied.contains(name) && self.mayCreateTopic(request, name) {
                self.topics.ensureTopicExists(name)
            }
        } else {
            // Every topic the client may describe: the others are not listed at all, as in Kafka.
            names = self.logs.topicNames()
                .filter { !TopicAdministration.isInternal($0) && self.authorize(request, .describe, .topic, $0) }.sorted()
        }
        let advertised = request.context.session.listener.advertised
        var response = MetadataResponse(
            brokers: [MetadataResponse.Broker(nodeId: Self.nodeId, host: advertised.host, port: Int32(advertised.port))],
            clusterId: "sluice",
            controllerId: Self.nodeId,
            topics: names.map { name in
                denied.contains(name)
                    ? MetadataResponse.Topic(errorCode: .topicAuthorizationFailed, name: name, partitions: [])
                    : self.describe(topic: name)
            }
        )
        if metadata.includeClusterAuthorizedOperations && request.version >= 8 && request.version <= 10 {
            response.clusterAuthorizedOperations = self.authorizedOperations(request, .cluster, AclBinding.clusterName)
        }
        if metadata.includeTopicAuthorizedOperations && request.version >= 8 {
            for index in response.topics.indices where response.topics[index].errorCode == .none {
                guard let name = response.topics[index].name else { continue }
                response.topics[index].topicAuthorizedOperations = self.authorizedOperations(request, .topic, name)
            }
        }
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
