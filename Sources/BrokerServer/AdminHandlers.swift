import KafkaWire
import LogStore
import SluiceModel
import SluiceSecurity

/// ListOffsets, CreateTopics, DeleteTopics and DescribeConfigs.
extension KafkaRequestRouter {
    func handleListOffsets(_ request: IncomingRequest) throws {
        let listOffsets = try request.decode(ListOffsetsRequest.self)
        let mayReadInternal = self.mayReadInternalTopic(request)
        let topics = listOffsets.topics.map { topic in
            let isDenied = TopicNames.isInternal(topic.name) ? !mayReadInternal : !self.authorize(request, .describe, .topic, topic.name)
            return ListOffsetsResponse.Topic(name: topic.name, partitions: topic.partitions.map { asked in
                guard !isDenied else {
                    var refused = ListOffsetsResponse.Partition(partitionIndex: asked.partitionIndex)
                    refused.errorCode = .topicAuthorizationFailed
                    return refused
                }
                return self.listOffset(
                    TopicPartition(topic: topic.name, partition: PartitionID(asked.partitionIndex)), asked,
                    readCommitted: listOffsets.isolationLevel == 1
                )
            })
        }
        request.reply(ListOffsetsResponse(topics: topics))
    }

    /// `readCommitted` (isolation_level 1): "latest" is the last stable offset, as Kafka answers.
    private func listOffset(
        _ topicPartition: TopicPartition, _ asked: ListOffsetsRequest.Partition, readCommitted: Bool = false
    ) -> ListOffsetsResponse.Partition {
        var answer = ListOffsetsResponse.Partition(partitionIndex: asked.partitionIndex)
        guard let log = self.logs.partition(topicPartition) else {
            answer.errorCode = .unknownTopicOrPartition
            return answer
        }
        answer.leaderEpoch = 0
        switch asked.timestamp {
        case -1:  // latest
            answer.offset = (readCommitted ? log.lastStableOffset : log.logEndOffset).rawValue
        case -2:  // earliest
            answer.offset = log.logStartOffset.rawValue
        case let timestampMs where timestampMs >= 0:
            do {
                if let offset = try log.offset(forTimestampMs: timestampMs) {
                    answer.offset = offset.rawValue
                    answer.timestamp = timestampMs
                }
            } catch {
                answer.errorCode = ErrorMapping.errorCode(for: error)
            }
        default:
            answer.errorCode = .invalidRequest  // -3 (max timestamp) and others belong to versions not offered
        }
        return answer
    }

    func handleCreateTopics(_ request: IncomingRequest) throws {
        let create = try request.decode(CreateTopicsRequest.self)
        var results: [CreateTopicsResponse.TopicResult] = []
        for topic in create.topics {
            var result = CreateTopicsResponse.TopicResult(name: topic.name)
            guard self.mayCreateTopic(request, topic.name) else {
                result.errorCode = .topicAuthorizationFailed
                result.errorMessage = "CREATE on the cluster or on topic \(topic.name) is needed"
                results.append(result)
                continue
            }
            switch self.topicConfig(for: topic) {
            case .failure(let error):
                result.errorCode = .invalidConfig
                result.errorMessage = error.message
            case .success(let config):
                let (errorCode, message) = self.topics.create(
                    name: topic.name, partitionCount: topic.numPartitions,
                    replicationFactor: topic.replicationFactor, config: config, validateOnly: create.validateOnly
                )
                result.errorCode = errorCode
                result.errorMessage = message
                if errorCode == .none {
                    result.numPartitions = topic.numPartitions == -1 ? Int32(self.config.defaultPartitions) : topic.numPartitions
                    result.replicationFactor = 1
                }
            }
            results.append(result)
        }
        request.reply(CreateTopicsResponse(topics: results))
    }

    private func topicConfig(for topic: CreateTopicsRequest.Topic) -> Result<LogConfig?, TopicConfigError> {
        if !topic.assignments.isEmpty {
            return .failure(TopicConfigError(message: "manual replica assignment is not supported by a single-node broker"))
        }
        guard !topic.configs.isEmpty else { return .success(nil) }
        return TopicConfigKey.apply(topic.configs.map { ($0.name, $0.value) }, to: self.logs.defaultConfig)
            .map { Optional($0) }
    }

    func handleDeleteTopics(_ request: IncomingRequest) throws {
        let delete = try request.decode(DeleteTopicsRequest.self)
        let results = delete.allTopicNames.map { name in
            guard self.authorize(request, .delete, .topic, name) else {
                return DeleteTopicsResponse.Result(
                    name: name, errorCode: .topicAuthorizationFailed, errorMessage: "DELETE on topic \(name) is needed"
                )
            }
            let (errorCode, message) = self.topics.delete(name: name)
            return DeleteTopicsResponse.Result(name: name, errorCode: errorCode, errorMessage: message)
        }
        request.reply(DeleteTopicsResponse(responses: results))
    }

    func handleDescribeConfigs(_ request: IncomingRequest) throws {
        let describe = try request.decode(DescribeConfigsRequest.self)
        let results = describe.resources.map { resource in
            let (type, name) = resource.resourceType == Self.topicResourceType
                ? (AclResourceType.topic, resource.resourceName) : (AclResourceType.cluster, AclBinding.clusterName)
            guard self.authorize(request, .describeConfigs, type, name) else {
                var refused = DescribeConfigsResponse.Result(
                    resourceType: resource.resourceType, resourceName: resource.resourceName, configs: []
                )
                refused.errorCode = type == .topic ? .topicAuthorizationFailed : .clusterAuthorizationFailed
                refused.errorMessage = "DESCRIBE_CONFIGS is needed"
                return refused
            }
            return self.describeConfigs(resource, includeDocumentation: describe.includeDocumentation)
        }
        request.reply(DescribeConfigsResponse(results: results))
    }

    private static let topicResourceType: Int8 = 2
    private static let brokerResourceType: Int8 = 4
    /// ConfigSource values of DescribeConfigs.
    private static let dynamicTopicConfig: Int8 = 1
    private static let defaultConfig: Int8 = 5

    private func describeConfigs(_ resource: DescribeConfigsRequest.Resource, includeDocumentation: Bool)
        -> DescribeConfigsResponse.Result
    {
        var result = DescribeConfigsResponse.Result(
            resourceType: resource.resourceType, resourceName: resource.resourceName, configs: []
        )
        let wanted = resource.configurationKeys.map(Set.init)
        switch resource.resourceType {
        case Self.topicResourceType:
            guard let info = self.logs.topic(resource.resourceName) else {
                result.errorCode = .unknownTopicOrPartition
                result.errorMessage = "topic \(resource.resourceName) does not exist"
                return result
            }
            let defaults = self.logs.defaultConfig
            for key in TopicConfigKey.all where wanted?.contains(key.name) ?? true {
                let value = key.read(info.config)
                result.configs.append(DescribeConfigsResponse.Config(
                    name: key.name, value: value, readOnly: key.write == nil,
                    configSource: value == key.read(defaults) ? Self.defaultConfig : Self.dynamicTopicConfig,
                    isSensitive: false, configType: key.configType
                ))
            }
        case Self.brokerResourceType:
            let brokerValues: [(String, String)] = [
                ("auto.create.topics.enable", String(self.config.autoCreateTopics)),
                ("num.partitions", String(self.config.defaultPartitions)),
                ("message.max.bytes", String(self.config.batchSizeBytesMax)),
                ("log.retention.ms", String(self.config.retentionMs)),
                ("log.segment.bytes", String(self.config.segmentSizeBytes)),
            ]
            for (name, value) in brokerValues where wanted?.contains(name) ?? true {
                result.configs.append(DescribeConfigsResponse.Config(
                    name: name, value: value, readOnly: true, configSource: Self.defaultConfig, isSensitive: false
                ))
            }
        default:
            result.errorCode = .invalidRequest
            result.errorMessage = "resource type \(resource.resourceType) is not supported"
        }
        return result
    }
}
