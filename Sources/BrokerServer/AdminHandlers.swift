import KafkaWire
import LogStore
import SluiceModel
import SluiceSecurity

/// ListOffsets, CreateTopics, DeleteTopics and DescribeConfigs (AlterConfigs and IncrementalAlterConfigs:
/// `ConfigHandlers.swift`).
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
                    listOffsetsVersion: request.version, readCommitted: listOffsets.isolationLevel == 1
                )
            })
        }
        request.reply(ListOffsetsResponse(topics: topics))
    }

    /// `readCommitted` (isolation_level 1): "latest" is the last stable offset, as Kafka answers.
    private func listOffset(
        _ topicPartition: TopicPartition, _ asked: ListOffsetsRequest.Partition, listOffsetsVersion: Int16,
        readCommitted: Bool = false
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
        case -2, -4:  // earliest; earliest local (v8+), the same log without tiered storage
            answer.offset = log.logStartOffset.rawValue
        case -3 where listOffsetsVersion >= 7:  // the record with the largest timestamp (KIP-734)
            do {
                if let found = try log.offsetOfMaxTimestamp() {
                    answer.offset = found.offset.rawValue
                    answer.timestamp = found.timestampMs
                }
            } catch {
                answer.errorCode = ErrorMapping.errorCode(for: error)
            }
        case -5 where listOffsetsVersion >= 9:  // latest tiered (v9+): nothing is tiered, as Kafka answers then
            answer.offset = -1
            answer.leaderEpoch = -1
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
            answer.errorCode = .invalidRequest  // a special timestamp of a later version than the request's
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
            switch Self.requestedConfigs(of: topic) {
            case .failure(let refusal):
                result.errorCode = refusal.errorCode
                result.errorMessage = refusal.message
            case .success(let configs):
                let outcome = self.topics.create(
                    name: topic.name, partitionCount: topic.numPartitions,
                    replicationFactor: topic.replicationFactor, configs: configs, validateOnly: create.validateOnly
                )
                result.errorCode = outcome.errorCode
                result.errorMessage = outcome.message
                if let info = outcome.topic {
                    result.numPartitions = Int32(info.partitionCount)
                    result.replicationFactor = 1
                    // As Kafka: the configs are returned to whoever may describe them, else a per-topic error.
                    if self.authorize(request, .describeConfigs, .topic, topic.name) {
                        result.configs = self.configDescriptions.createdTopicConfigs(info)
                    } else {
                        result.topicConfigErrorCode = .topicAuthorizationFailed
                    }
                }
            }
            results.append(result)
        }
        request.reply(CreateTopicsResponse(topics: results))
    }

    /// The configs a CreateTopics topic sets, by name; a null value means the default (left out).
    private static func requestedConfigs(of topic: CreateTopicsRequest.Topic) -> Result<[String: String], ConfigRefusal> {
        if !topic.assignments.isEmpty {
            return .failure(ConfigRefusal(
                errorCode: .invalidReplicaAssignment,
                message: "manual replica assignment is not supported by a single-node broker"
            ))
        }
        var configs: [String: String] = [:]
        for config in topic.configs {
            guard configs[config.name] == nil else {
                return .failure(ConfigRefusal(
                    errorCode: .invalidRequest, message: "topic config '\(config.name)' is given more than once"
                ))
            }
            if let value = config.value { configs[config.name] = value }
        }
        return .success(configs)
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
            var result = DescribeConfigsResponse.Result(
                resourceType: resource.resourceType, resourceName: resource.resourceName, configs: []
            )
            if let refusal = self.configAccessRefusal(request, .describeConfigs, resource.resourceType, resource.resourceName) {
                result.errorCode = refusal.errorCode
                result.errorMessage = refusal.message
                return result
            }
            let keys = resource.configurationKeys.map(Set.init)
            let descriptions = self.configDescriptions
            if resource.resourceType == ConfigDescriptions.ResourceType.topic {
                guard let info = self.logs.topic(resource.resourceName) else {
                    result.errorCode = .unknownTopicOrPartition
                    result.errorMessage = "topic \(resource.resourceName) does not exist"
                    return result
                }
                result.configs = descriptions.topicConfigs(
                    info, keys: keys, includeSynonyms: describe.includeSynonyms,
                    includeDocumentation: describe.includeDocumentation
                )
            } else {
                result.configs = descriptions.brokerConfigs(
                    keys: keys, includeSynonyms: describe.includeSynonyms,
                    includeDocumentation: describe.includeDocumentation
                )
            }
            return result
        }
        request.reply(DescribeConfigsResponse(results: results))
    }
}
