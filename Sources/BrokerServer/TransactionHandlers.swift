import GroupCoordinator
import KafkaWire
import LogStore
import RecordFormat
import SluiceModel
import SluiceSecurity

/// Transactions (`Docs/decisions/0004-transactions.md`): InitProducerId with a transactional id,
/// AddPartitionsToTxn (v0–3), AddOffsetsToTxn, TxnOffsetCommit and EndTxn, translated to the
/// `TransactionCoordinator`, plus the check every transactional produce passes. ACLs as Kafka: WRITE on the
/// TRANSACTIONAL_ID for each of these requests (and for a produce that names one), WRITE on each topic added,
/// READ on the group whose offsets are added or committed.
extension KafkaRequestRouter {
    func handleTransactionalInitProducerId(
        _ request: IncomingRequest, _ initRequest: InitProducerIdRequest, transactionalId: String,
        transactions: TransactionCoordinator
    ) {
        guard self.authorize(request, .write, .transactionalId, transactionalId) else {
            request.reply(InitProducerIdResponse(errorCode: .transactionalIdAuthorizationFailed, producerId: -1, producerEpoch: -1))
            return
        }
        transactions.initProducerId(
            transactionalId: transactionalId, transactionTimeoutMs: initRequest.transactionTimeoutMs,
            producerId: initRequest.producerId, producerEpoch: initRequest.producerEpoch
        ) { result in
            request.reply(InitProducerIdResponse(
                errorCode: ErrorCode(result.errorCode), producerId: result.producerId, producerEpoch: result.producerEpoch
            ))
        }
    }

    func handleAddPartitionsToTxn(_ request: IncomingRequest) throws {
        let add = try request.decode(AddPartitionsToTxnRequest.self)
        let asked = add.topics.flatMap { topic in
            topic.partitions.map { TopicPartition(topic: topic.name, partition: PartitionID($0)) }
        }
        @Sendable func answer(_ codes: [TopicPartition: ErrorCode]) {
            request.reply(AddPartitionsToTxnResponse(results: add.topics.map { topic in
                AddPartitionsToTxnResponse.TopicResult(name: topic.name, partitions: topic.partitions.map { partition in
                    let topicPartition = TopicPartition(topic: topic.name, partition: PartitionID(partition))
                    return .init(partitionIndex: partition, errorCode: codes[topicPartition] ?? .none)
                })
            }))
        }
        func all(_ code: ErrorCode) -> [TopicPartition: ErrorCode] {
            Dictionary(asked.map { ($0, code) }, uniquingKeysWith: { first, _ in first })
        }
        guard let transactions = self.transactions else { return answer(all(.coordinatorNotAvailable)) }
        guard self.authorize(request, .write, .transactionalId, add.transactionalId) else {
            return answer(all(.transactionalIdAuthorizationFailed))
        }
        let deniedTopics = Set(add.topics.map(\.name).filter { !self.authorize(request, .write, .topic, $0) })
        if !deniedTopics.isEmpty {
            // Kafka's answer: the refused topics fail, the rest are not attempted.
            return answer(Dictionary(
                asked.map { ($0, deniedTopics.contains($0.topic) ? ErrorCode.topicAuthorizationFailed : .operationNotAttempted) },
                uniquingKeysWith: { first, _ in first }
            ))
        }
        transactions.addPartitions(
            transactionalId: add.transactionalId, producerId: add.producerId, producerEpoch: add.producerEpoch,
            partitions: asked
        ) { codes in
            answer(codes.mapValues { ErrorCode($0) })
        }
    }

    func handleAddOffsetsToTxn(_ request: IncomingRequest) throws {
        let add = try request.decode(AddOffsetsToTxnRequest.self)
        guard let transactions = self.transactions else {
            return request.reply(AddOffsetsToTxnResponse(errorCode: .coordinatorNotAvailable))
        }
        guard self.authorize(request, .write, .transactionalId, add.transactionalId) else {
            return request.reply(AddOffsetsToTxnResponse(errorCode: .transactionalIdAuthorizationFailed))
        }
        guard self.authorize(request, .read, .group, add.groupId) else {
            return request.reply(AddOffsetsToTxnResponse(errorCode: .groupAuthorizationFailed))
        }
        transactions.addOffsets(
            transactionalId: add.transactionalId, producerId: add.producerId, producerEpoch: add.producerEpoch,
            groupId: add.groupId
        ) { code in
            request.reply(AddOffsetsToTxnResponse(errorCode: ErrorCode(code)))
        }
    }

    func handleTxnOffsetCommit(_ request: IncomingRequest) throws {
        let commit = try request.decode(TxnOffsetCommitRequest.self)
        func answer(_ code: (TopicPartition) -> ErrorCode) {
            request.reply(TxnOffsetCommitResponse(topics: commit.topics.map { topic in
                TxnOffsetCommitResponse.Topic(name: topic.name, partitions: topic.partitions.map { partition in
                    let topicPartition = TopicPartition(topic: topic.name, partition: PartitionID(partition.partitionIndex))
                    return .init(partitionIndex: partition.partitionIndex, errorCode: code(topicPartition))
                })
            }))
        }
        guard let transactions = self.transactions else { return answer { _ in .coordinatorNotAvailable } }
        guard self.authorize(request, .write, .transactionalId, commit.transactionalId) else {
            return answer { _ in .transactionalIdAuthorizationFailed }
        }
        guard self.authorize(request, .read, .group, commit.groupId) else { return answer { _ in .groupAuthorizationFailed } }
        let deniedTopics = Set(commit.topics.map(\.name).filter { !self.authorize(request, .read, .topic, $0) })
        let nowMs = self.clock.wallTimeMs()
        var offsets: [TopicPartition: CommittedOffset] = [:]
        for topic in commit.topics where !deniedTopics.contains(topic.name) {
            for partition in topic.partitions {
                offsets[TopicPartition(topic: topic.name, partition: PartitionID(partition.partitionIndex))] = CommittedOffset(
                    offset: partition.committedOffset, leaderEpoch: partition.committedLeaderEpoch,
                    metadata: partition.committedMetadata ?? "", commitTimestampMs: nowMs
                )
            }
        }
        let codes = transactions.commitOffsets(
            transactionalId: commit.transactionalId, groupId: commit.groupId, producerId: commit.producerId,
            producerEpoch: commit.producerEpoch, offsets: offsets
        )
        answer { topicPartition in
            deniedTopics.contains(topicPartition.topic)
                ? .topicAuthorizationFailed : codes[topicPartition].map { ErrorCode($0) } ?? .none
        }
    }

    func handleEndTxn(_ request: IncomingRequest) throws {
        let end = try request.decode(EndTxnRequest.self)
        guard let transactions = self.transactions else {
            return request.reply(EndTxnResponse(errorCode: .coordinatorNotAvailable))
        }
        guard self.authorize(request, .write, .transactionalId, end.transactionalId) else {
            return request.reply(EndTxnResponse(errorCode: .transactionalIdAuthorizationFailed))
        }
        transactions.endTransaction(
            transactionalId: end.transactionalId, producerId: end.producerId, producerEpoch: end.producerEpoch,
            commit: end.committed
        ) { code in
            request.reply(EndTxnResponse(errorCode: ErrorCode(code)))
        }
    }

    /// Appends a produce's batches. A transactional batch goes in only while its producer's transaction is
    /// Ongoing with this partition added, checked and appended under the coordinator's lock so that no marker
    /// can slip between the check and the write (Kafka 3.6+'s verification; without it a late batch would
    /// open a transaction no coordinator knows, holding the LSO, or join the next one: KAFKA-17754).
    func appendVerifyingTransaction(
        _ batches: UnsafeRawBufferPointer, to log: PartitionLog
    ) throws -> AppendResult {
        guard batches.count >= RecordBatchHeader.sizeBytes else { return try log.append(batches) }
        let attributes = RecordBatchAttributes(
            rawValue: batches.readBigEndian(Int16.self, at: RecordBatchHeader.attributesOffset)
        )
        guard attributes.isTransactional, !attributes.isControl else { return try log.append(batches) }
        let producerId = batches.readBigEndian(Int64.self, at: 43)
        let producerEpoch = batches.readBigEndian(Int16.self, at: 51)
        let refusal = ProducerStateError(
            code: .invalidTransactionState,
            message: "producer \(producerId) epoch \(producerEpoch) has no open transaction with \(log.topicPartition)"
        )
        guard let transactions = self.transactions else { throw refusal }
        let outcome = transactions.whileInTransaction(
            producerId: producerId, producerEpoch: producerEpoch, log.topicPartition
        ) {
            Result { try log.append(batches) }
        }
        guard let outcome else { throw refusal }
        return try outcome.get()
    }
}

extension ErrorCode {
    init(_ code: TransactionErrorCode) {
        self.init(rawValue: code.rawValue)
    }
}
