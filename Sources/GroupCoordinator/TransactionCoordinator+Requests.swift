import LogStore
import SluiceModel

/// What InitProducerId answers.
public struct InitProducerIdResult: Sendable, Equatable {
    public var errorCode: TransactionErrorCode
    public var producerId: Int64
    public var producerEpoch: Int16

    public init(errorCode: TransactionErrorCode, producerId: Int64 = -1, producerEpoch: Int16 = -1) {
        self.errorCode = errorCode
        self.producerId = producerId
        self.producerEpoch = producerEpoch
    }
}

/// The client requests: InitProducerId with a transactional id, AddPartitionsToTxn, AddOffsetsToTxn,
/// TxnOffsetCommit and EndTxn. Each checks the producer id and epoch first (an older epoch is a zombie:
/// INVALID_PRODUCER_EPOCH, which clients treat as fenced), then changes the id's state, writes it to the state
/// log and answers once that is durable.
extension TransactionCoordinator {
    /// A new producer id at epoch 0 for a new transactional id; otherwise the same id with its epoch bumped (a
    /// new id once the epoch is exhausted), which fences every older producer of that transactional id. An open
    /// transaction of the id is aborted first, its markers written with the bumped epoch, and the new producer
    /// gets that epoch. With `producerId`/`producerEpoch` (KIP-360, v3+) they must be the current ones.
    public func initProducerId(
        transactionalId: String, transactionTimeoutMs: Int32, producerId: Int64 = -1, producerEpoch: Int16 = -1,
        completion: @escaping @Sendable (InitProducerIdResult) -> Void
    ) {
        guard transactionTimeoutMs > 0, transactionTimeoutMs <= self.configuration.transactionTimeoutMsMax else {
            completion(InitProducerIdResult(errorCode: .invalidTransactionTimeout))
            return
        }
        var writes = Writes()
        let result = self.state.withLock { state -> InitProducerIdResult in
            do throws(GroupCoordinatorError) {
                guard var metadata = state.transactions[transactionalId] else {
                    guard state.transactions.count < self.configuration.transactionalIdsMax else {
                        return InitProducerIdResult(errorCode: .coordinatorNotAvailable)
                    }
                    let metadata = TransactionMetadata(
                        transactionalId: transactionalId, producerId: try self.allocateProducerId(), producerEpoch: 0,
                        timeoutMs: transactionTimeoutMs
                    )
                    try self.persist(metadata, in: &state, writes: &writes)
                    self.onEvent("transactional id \(transactionalId): producer \(metadata.producerId) epoch 0")
                    return InitProducerIdResult(errorCode: .none, producerId: metadata.producerId, producerEpoch: 0)
                }
                if state.completing.contains(transactionalId) || metadata.state.isPreparing {
                    return InitProducerIdResult(errorCode: .concurrentTransactions)
                }
                if producerId >= 0 && (producerId != metadata.producerId || producerEpoch != metadata.producerEpoch) {
                    return InitProducerIdResult(errorCode: .invalidProducerEpoch)
                }
                if metadata.state == .ongoing {
                    guard try self.fenceAndAbort(transactionalId, in: &state, writes: &writes, reason: "a new producer") else {
                        return InitProducerIdResult(errorCode: .concurrentTransactions)
                    }
                    metadata = state.transactions[transactionalId]!
                    metadata.timeoutMs = transactionTimeoutMs
                    metadata.reset(to: .empty)
                } else if let epoch = Self.bumpedEpoch(metadata.producerEpoch) {
                    metadata.producerEpoch = epoch
                    metadata.timeoutMs = transactionTimeoutMs
                    metadata.reset(to: .empty)
                } else {
                    metadata = TransactionMetadata(
                        transactionalId: transactionalId, producerId: try self.allocateProducerId(), producerEpoch: 0,
                        timeoutMs: transactionTimeoutMs
                    )
                }
                try self.persist(metadata, in: &state, writes: &writes)
                return InitProducerIdResult(
                    errorCode: .none, producerId: metadata.producerId, producerEpoch: metadata.producerEpoch
                )
            } catch {
                self.onEvent("InitProducerId of \(transactionalId) failed: \(error)")
                return InitProducerIdResult(errorCode: .coordinatorNotAvailable)
            }
        }
        Self.answer(result, after: writes, failed: InitProducerIdResult(errorCode: .coordinatorNotAvailable), completion)
    }

    /// Adds partitions to the producer's transaction (starting one when none is open). A partition of a topic
    /// that does not exist fails with UNKNOWN_TOPIC_OR_PARTITION and the others with OPERATION_NOT_ATTEMPTED,
    /// as Kafka answers.
    public func addPartitions(
        transactionalId: String, producerId: Int64, producerEpoch: Int16, partitions: [TopicPartition],
        completion: @escaping @Sendable ([TopicPartition: TransactionErrorCode]) -> Void
    ) {
        let all = { (code: TransactionErrorCode) in Dictionary(partitions.map { ($0, code) }, uniquingKeysWith: { a, _ in a }) }
        let unknown = Set(partitions.filter { self.logs.partition($0) == nil || TopicNames.isInternal($0.topic) })
        if !unknown.isEmpty {
            completion(Dictionary(
                partitions.map { ($0, unknown.contains($0) ? .unknownTopicOrPartition : .operationNotAttempted) },
                uniquingKeysWith: { a, _ in a }
            ))
            return
        }
        var writes = Writes()
        let code = self.state.withLock { state -> TransactionErrorCode in
            if let error = self.checkOpenable(transactionalId, producerId, producerEpoch, in: state) { return error }
            var metadata = state.transactions[transactionalId]!
            if metadata.state != .ongoing { self.begin(&metadata, in: &state) }
            let before = metadata.partitions.count
            metadata.partitions.formUnion(partitions)
            guard metadata.partitions.count <= self.configuration.partitionsPerTransactionMax else {
                return .invalidRequest
            }
            if metadata.partitions.count == before && state.transactions[transactionalId]!.state == .ongoing {
                return .none  // a retry: nothing new to record
            }
            do throws(GroupCoordinatorError) {
                try self.persist(metadata, in: &state, writes: &writes)
                return .none
            } catch {
                return .coordinatorNotAvailable
            }
        }
        Self.answer(all(code), after: writes, failed: all(.coordinatorNotAvailable), completion)
    }

    /// Adds a group whose offsets the transaction will commit.
    public func addOffsets(
        transactionalId: String, producerId: Int64, producerEpoch: Int16, groupId: String,
        completion: @escaping @Sendable (TransactionErrorCode) -> Void
    ) {
        var writes = Writes()
        let code = self.state.withLock { state -> TransactionErrorCode in
            if let error = self.checkOpenable(transactionalId, producerId, producerEpoch, in: state) { return error }
            var metadata = state.transactions[transactionalId]!
            if metadata.state != .ongoing { self.begin(&metadata, in: &state) }
            if metadata.groups.contains(groupId) && state.transactions[transactionalId]!.state == .ongoing { return .none }
            metadata.groups.insert(groupId)
            guard metadata.groups.count <= self.configuration.groupsPerTransactionMax else { return .invalidRequest }
            do throws(GroupCoordinatorError) {
                try self.persist(metadata, in: &state, writes: &writes)
                return .none
            } catch {
                return .coordinatorNotAvailable
            }
        }
        Self.answer(code, after: writes, failed: .coordinatorNotAvailable, completion)
    }

    /// TxnOffsetCommit: keeps the offsets with the transaction (after AddOffsetsToTxn for the group); they reach
    /// the offset store when the transaction commits and vanish when it aborts. Nothing is written here: the
    /// Prepare* record carries them.
    public func commitOffsets(
        transactionalId: String, groupId: String, producerId: Int64, producerEpoch: Int16,
        offsets: [TopicPartition: CommittedOffset]
    ) -> [TopicPartition: TransactionErrorCode] {
        let metadataLengthMax = self.offsetStore.configuration.metadataLengthBytesMax
        return self.state.withLock { state in
            let all = { (code: TransactionErrorCode) in offsets.mapValues { _ in code } }
            if let error = self.checkProducer(transactionalId, producerId, producerEpoch, in: state) { return all(error) }
            if state.completing.contains(transactionalId) { return all(.concurrentTransactions) }
            var metadata = state.transactions[transactionalId]!
            guard metadata.state == .ongoing, metadata.groups.contains(groupId) else { return all(.invalidTxnState) }
            var results: [TopicPartition: TransactionErrorCode] = [:]
            for (topicPartition, committed) in offsets {
                if committed.metadata.utf8.count > metadataLengthMax {
                    results[topicPartition] = .offsetMetadataTooLarge
                    continue
                }
                metadata.pendingOffsets[groupId, default: [:]][topicPartition] = committed
                results[topicPartition] = TransactionErrorCode.none
            }
            let pendingCount = metadata.pendingOffsets.values.reduce(0) { $0 + $1.count }
            guard pendingCount <= self.configuration.pendingOffsetsPerTransactionMax else { return all(.invalidRequest) }
            state.transactions[transactionalId] = metadata
            return results
        }
    }

    /// EndTxn: writes the decision (Prepare*) and waits for it to be durable, then writes a marker on every
    /// partition of the transaction, commits its offsets (or drops them) and records Complete*; answers once all
    /// of that is durable. A retry of an EndTxn that completed answers NONE; one that meets the transaction
    /// completing answers CONCURRENT_TRANSACTIONS (clients retry it).
    public func endTransaction(
        transactionalId: String, producerId: Int64, producerEpoch: Int16, commit: Bool,
        completion: @escaping @Sendable (TransactionErrorCode) -> Void
    ) {
        var writes = Writes()
        let decision = self.state.withLock { state -> TransactionErrorCode? in
            if let error = self.checkProducer(transactionalId, producerId, producerEpoch, in: state) { return error }
            if state.completing.contains(transactionalId) { return .concurrentTransactions }
            var metadata = state.transactions[transactionalId]!
            switch metadata.state {
            case .ongoing:
                metadata.state = commit ? .prepareCommit : .prepareAbort
                if !commit { metadata.pendingOffsets = [:] }
                do throws(GroupCoordinatorError) {
                    try self.persist(metadata, in: &state, writes: &writes)
                } catch {
                    return .coordinatorNotAvailable
                }
                state.startedNsById.removeValue(forKey: transactionalId)
                state.completing.insert(transactionalId)
                return nil
            case .prepareCommit, .prepareAbort:
                return .concurrentTransactions
            case .completeCommit:
                return commit ? TransactionErrorCode.none : .invalidTxnState
            case .completeAbort:
                return commit ? .invalidTxnState : TransactionErrorCode.none
            case .empty:
                return .invalidTxnState
            }
        }
        if let decision {
            completion(decision)
            return
        }
        // The decision must be on disk before the first marker: a crash in between then completes it.
        writes.whenDurable { isDurable in
            var completionWrites = Writes()
            let isComplete = self.state.withLock { state -> Bool in
                defer { state.completing.remove(transactionalId) }
                guard isDurable else { return false }
                return self.completePrepared(transactionalId, in: &state, writes: &completionWrites)
            }
            guard isComplete else {
                completion(.coordinatorNotAvailable)
                return
            }
            completionWrites.whenDurable { isDurable in completion(isDurable ? .none : .coordinatorNotAvailable) }
        }
    }

    // MARK: - Checks

    /// The producer id and epoch must be the id's current ones.
    func checkProducer(
        _ transactionalId: String, _ producerId: Int64, _ producerEpoch: Int16, in state: State
    ) -> TransactionErrorCode? {
        guard let metadata = state.transactions[transactionalId], metadata.producerId == producerId else {
            return .invalidProducerIdMapping
        }
        return metadata.producerEpoch == producerEpoch ? nil : .invalidProducerEpoch
    }

    /// For AddPartitionsToTxn and AddOffsetsToTxn: a known producer whose transaction is not ending.
    private func checkOpenable(
        _ transactionalId: String, _ producerId: Int64, _ producerEpoch: Int16, in state: State
    ) -> TransactionErrorCode? {
        if let error = self.checkProducer(transactionalId, producerId, producerEpoch, in: state) { return error }
        if state.completing.contains(transactionalId) || state.transactions[transactionalId]!.state.isPreparing {
            return .concurrentTransactions
        }
        return nil
    }

    /// Starts a transaction: Ongoing, nothing in it yet, its timeout running from now.
    private func begin(_ metadata: inout TransactionMetadata, in state: inout State) {
        metadata.reset(to: .ongoing)
        state.startedNsById[metadata.transactionalId] = self.clock.monotonicNs()
    }

    private func allocateProducerId() throws(GroupCoordinatorError) -> Int64 {
        do {
            return try self.producerIds.allocate()
        } catch {
            throw GroupCoordinatorError(code: .storageFailure, message: "no producer id: \(error)")
        }
    }

    /// Calls `completion` with `value` once `writes` are durable, with `failed` when they could not be.
    static func answer<Value: Sendable>(
        _ value: Value, after writes: Writes, failed: Value, _ completion: @escaping @Sendable (Value) -> Void
    ) {
        writes.whenDurable { isDurable in completion(isDurable ? value : failed) }
    }
}
