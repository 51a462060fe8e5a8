import KafkaWire
import LogStore
import SluiceModel
import SluiceSecurity

/// CreatePartitions, DeleteRecords, OffsetForLeaderEpoch, DescribeLogDirs and DescribeProducers: the admin
/// requests about partitions and their logs. The storage rules (growth only, where the log start may go) live
/// in LogStore; these handlers check ACLs as Kafka does and map the outcome to Kafka's codes.
extension KafkaRequestRouter {
    /// The one leader epoch of every partition: a single node never changes leader (Metadata says 0 too).
    static let leaderEpoch: Int32 = 0

    func handleCreatePartitions(_ request: IncomingRequest) throws {
        let create = try request.decode(CreatePartitionsRequest.self)
        var seen: Set<String> = []
        let results = create.topics.map { topic -> CreatePartitionsResponse.Result in
            // Kafka answers a topic named twice with INVALID_REQUEST for each occurrence after the first.
            guard seen.insert(topic.name).inserted else {
                return .init(name: topic.name, errorCode: .invalidRequest, errorMessage: "topic \(topic.name) is named twice")
            }
            guard self.authorize(request, .alter, .topic, topic.name) else {
                return .init(
                    name: topic.name, errorCode: .topicAuthorizationFailed, errorMessage: "ALTER on topic \(topic.name) is needed"
                )
            }
            return self.createPartitions(topic, validateOnly: create.validateOnly)
        }
        request.reply(CreatePartitionsResponse(results: results))
    }

    private func createPartitions(_ topic: CreatePartitionsRequest.Topic, validateOnly: Bool) -> CreatePartitionsResponse.Result {
        var result = CreatePartitionsResponse.Result(name: topic.name)
        guard let info = self.logs.topic(topic.name), !TopicNames.isInternal(topic.name) else {
            result.errorCode = .unknownTopicOrPartition
            result.errorMessage = "topic \(topic.name) does not exist"
            return result
        }
        let added = Int(topic.count) - info.partitionCount
        // A count that does not grow the topic is INVALID_PARTITIONS (from storage) whatever the assignments say.
        if let assignments = topic.assignments, added > 0 {
            guard assignments.count == added else {
                result.errorCode = .invalidReplicaAssignment
                result.errorMessage = "\(assignments.count) assignments given for \(added) new partitions"
                return result
            }
            guard assignments.allSatisfy({ $0 == [Self.nodeId] }) else {
                result.errorCode = .invalidReplicaAssignment
                result.errorMessage = "a single-node broker places every partition on broker \(Self.nodeId) alone"
                return result
            }
        }
        do {
            try self.logs.addPartitions(topic.name, partitionCount: Int(topic.count), validateOnly: validateOnly)
            if !validateOnly {
                self.logger.info("added partitions", metadata: ["topic": "\(topic.name)", "partitions": "\(topic.count)"])
            }
        } catch {
            result.errorCode = ErrorMapping.errorCode(for: error)
            result.errorMessage = ErrorMapping.message(for: error)
        }
        return result
    }

    func handleDeleteRecords(_ request: IncomingRequest) throws {
        let delete = try request.decode(DeleteRecordsRequest.self)
        let topics = delete.topics.map { topic in
            let mayDelete = !TopicNames.isInternal(topic.name) && self.authorize(request, .delete, .topic, topic.name)
            return DeleteRecordsResponse.Topic(name: topic.name, partitions: topic.partitions.map { asked in
                var answer = DeleteRecordsResponse.Partition(partitionIndex: asked.partitionIndex)
                guard mayDelete else {
                    answer.errorCode = .topicAuthorizationFailed
                    return answer
                }
                let topicPartition = TopicPartition(topic: topic.name, partition: PartitionID(asked.partitionIndex))
                guard let log = self.logs.partition(topicPartition) else {
                    answer.errorCode = .unknownTopicOrPartition
                    return answer
                }
                guard asked.offset >= 0 || asked.offset == DeleteRecordsRequest.highWatermarkOffset else {
                    answer.errorCode = .offsetOutOfRange
                    return answer
                }
                do {
                    let target = asked.offset == DeleteRecordsRequest.highWatermarkOffset ? nil : Offset(asked.offset)
                    answer.lowWatermark = try log.deleteRecords(before: target).rawValue
                } catch {
                    answer.errorCode = ErrorMapping.errorCode(for: error)
                }
                return answer
            })
        }
        request.reply(DeleteRecordsResponse(topics: topics))
    }

    /// Kafka's leader answer with a single epoch (0) that began at offset 0: the requested epoch 0 ends at the
    /// log end (the high watermark here); a later epoch is unknown (-1, -1); a stale or future current epoch
    /// is fenced or unknown.
    func handleOffsetForLeaderEpoch(_ request: IncomingRequest) throws {
        let asked = try request.decode(OffsetForLeaderEpochRequest.self)
        let mayReadInternal = self.mayReadInternalTopic(request)
        let topics = asked.topics.map { topic in
            let isAllowed = TopicNames.isInternal(topic.topic)
                ? mayReadInternal : self.authorize(request, .describe, .topic, topic.topic)
            return OffsetForLeaderEpochResponse.Topic(topic: topic.topic, partitions: topic.partitions.map { partition in
                var answer = OffsetForLeaderEpochResponse.Partition(partition: partition.partition)
                guard isAllowed else {
                    answer.errorCode = .topicAuthorizationFailed
                    return answer
                }
                let topicPartition = TopicPartition(topic: topic.topic, partition: PartitionID(partition.partition))
                guard let log = self.logs.partition(topicPartition) else {
                    answer.errorCode = .unknownTopicOrPartition
                    return answer
                }
                if partition.currentLeaderEpoch >= 0 && partition.currentLeaderEpoch != Self.leaderEpoch {
                    answer.errorCode = partition.currentLeaderEpoch < Self.leaderEpoch ? .fencedLeaderEpoch : .unknownLeaderEpoch
                    return answer
                }
                if partition.leaderEpoch == Self.leaderEpoch {
                    answer.leaderEpoch = Self.leaderEpoch
                    answer.endOffset = log.logEndOffset.rawValue
                }
                return answer
            })
        }
        request.reply(OffsetForLeaderEpochResponse(topics: topics))
    }

    /// One log directory, the data directory, holding every partition (internal topics are the broker's and
    /// not listed). DESCRIBE on the cluster is needed, as in Kafka.
    func handleDescribeLogDirs(_ request: IncomingRequest) throws {
        let describe = try request.decode(DescribeLogDirsRequest.self)
        guard self.authorizeCluster(request, .describe) else {
            request.reply(DescribeLogDirsResponse(errorCode: .clusterAuthorizationFailed, results: []))
            return
        }
        let wanted: [(String, [Int32]?)] = describe.topics.map { topics in topics.map { ($0.topic, Optional($0.partitions)) } }
            ?? self.logs.topicNames().filter { !TopicNames.isInternal($0) }.map { ($0, nil) }
        var topics: [DescribeLogDirsResponse.Topic] = []
        for (name, partitions) in wanted where !TopicNames.isInternal(name) {
            guard let info = self.logs.topic(name) else { continue }
            let indexes = partitions ?? (0..<Int32(info.partitionCount)).map { $0 }
            let described = indexes.compactMap { index -> DescribeLogDirsResponse.Partition? in
                guard let log = self.logs.partition(TopicPartition(topic: name, partition: PartitionID(index))) else {
                    return nil
                }
                return DescribeLogDirsResponse.Partition(partitionIndex: index, partitionSize: log.sizeBytes)
            }
            if !described.isEmpty { topics.append(DescribeLogDirsResponse.Topic(name: name, partitions: described)) }
        }
        let space = self.logs.diskSpaceGuard.currentSpace()
        request.reply(DescribeLogDirsResponse(results: [DescribeLogDirsResponse.Result(
            logDir: self.logs.dataDirectory, topics: topics, totalBytes: space?.totalBytes ?? -1,
            usableBytes: space?.availableBytes ?? -1
        )]))
    }

    /// The idempotent producers each partition remembers. READ on the topic is needed, as in Kafka. There are no
    /// transactions yet, so the coordinator epoch and the transaction start are always -1.
    func handleDescribeProducers(_ request: IncomingRequest) throws {
        let describe = try request.decode(DescribeProducersRequest.self)
        let topics = describe.topics.map { topic in
            let isAllowed = !TopicNames.isInternal(topic.name) && self.authorize(request, .read, .topic, topic.name)
            return DescribeProducersResponse.Topic(name: topic.name, partitions: topic.partitionIndexes.map { index in
                var answer = DescribeProducersResponse.Partition(partitionIndex: index)
                guard isAllowed else {
                    answer.errorCode = .topicAuthorizationFailed
                    return answer
                }
                guard let log = self.logs.partition(TopicPartition(topic: topic.name, partition: PartitionID(index))) else {
                    answer.errorCode = .unknownTopicOrPartition
                    return answer
                }
                answer.activeProducers = log.activeProducers().map {
                    DescribeProducersResponse.ProducerState(
                        producerId: $0.producerId, producerEpoch: Int32($0.producerEpoch), lastSequence: $0.lastSequence,
                        lastTimestamp: $0.lastTimestampMs,
                        currentTxnStartOffset: $0.currentTransactionStartOffset?.rawValue ?? -1
                    )
                }
                return answer
            })
        }
        request.reply(DescribeProducersResponse(topics: topics))
    }
}
