import LogStore
import RecordFormat
import SluiceModel
import XCTest

@testable import GroupCoordinator

/// The transaction coordinator over a real log directory: producer ids and epochs, the two-phase end with its
/// markers and offsets, fencing, timeouts with a manual clock, and what a restart does with the state log.
final class TransactionCoordinatorTests: XCTestCase {
    private var directory: TemporaryDirectory!
    private var clock: ManualClock!
    private var logManager: LogManager!
    private let output = TopicPartition(topic: "out", partition: PartitionID(0))
    private let input = TopicPartition(topic: "in", partition: PartitionID(0))

    override func setUpWithError() throws {
        self.directory = try TemporaryDirectory()
        self.clock = ManualClock()
        self.logManager = try LogManager(dataDirectory: self.directory.path, defaultConfig: LogConfig(), clock: self.clock)
        try self.logManager.createTopic("out", partitionCount: 1)
    }

    override func tearDownWithError() throws {
        try self.logManager?.close()
        self.directory.remove()
    }

    private func makeCoordinator() throws -> (TransactionCoordinator, OffsetStore) {
        let store = try OffsetStore(logManager: self.logManager, clock: self.clock)
        let coordinator = try TransactionCoordinator(
            logs: self.logManager, offsetStore: store, producerIds: self.logManager.makeProducerIdAllocator(),
            clock: self.clock
        )
        return (coordinator, store)
    }

    private var outputLog: PartitionLog { self.logManager.partition(self.output)! }

    /// Completions waiting for the offsets log (fsync `always`) run on its flusher queue: wait for them.
    private func initProducer(
        _ coordinator: TransactionCoordinator, _ id: String = "t", timeoutMs: Int32 = 60_000
    ) -> InitProducerIdResult {
        let results = Collected<InitProducerIdResult>()
        coordinator.initProducerId(transactionalId: id, transactionTimeoutMs: timeoutMs) { results.append($0) }
        waitUntil { !results.all.isEmpty }
        return results.all[0]
    }

    private func addPartition(_ coordinator: TransactionCoordinator, _ producer: InitProducerIdResult) -> TransactionErrorCode? {
        let results = Collected<[TopicPartition: TransactionErrorCode]>()
        coordinator.addPartitions(
            transactionalId: "t", producerId: producer.producerId, producerEpoch: producer.producerEpoch,
            partitions: [self.output]
        ) { results.append($0) }
        waitUntil { !results.all.isEmpty }
        return results.all[0][self.output]
    }

    private func end(
        _ coordinator: TransactionCoordinator, _ producer: InitProducerIdResult, commit: Bool
    ) -> TransactionErrorCode {
        let results = Collected<TransactionErrorCode>()
        coordinator.endTransaction(
            transactionalId: "t", producerId: producer.producerId, producerEpoch: producer.producerEpoch, commit: commit
        ) { results.append($0) }
        waitUntil { !results.all.isEmpty }
        return results.all[0]
    }

    /// Appends one transactional batch of `producer` through the coordinator's check.
    private func produce(
        _ coordinator: TransactionCoordinator, _ producer: InitProducerIdResult, sequence: Int32 = 0
    ) throws -> AppendResult? {
        var builder = RecordBatchBuilder(
            producerId: producer.producerId, producerEpoch: producer.producerEpoch, baseSequence: sequence,
            isTransactional: true
        )
        try builder.append(timestampMs: 0, key: nil, value: [1, 2, 3])
        let batch = try builder.finish()
        let log = self.outputLog
        return try coordinator.whileInTransaction(
            producerId: producer.producerId, producerEpoch: producer.producerEpoch, self.output
        ) {
            Result { try batch.withUnsafeBytes { try log.append($0) } }
        }?.get()
    }

    func testInitProducerIdGivesANewIdThenBumpsItsEpoch() throws {
        let (coordinator, _) = try self.makeCoordinator()
        let first = self.initProducer(coordinator)
        XCTAssertEqual(first.errorCode, .none)
        XCTAssertEqual(first.producerEpoch, 0)
        let second = self.initProducer(coordinator)
        XCTAssertEqual(second.producerId, first.producerId)
        XCTAssertEqual(second.producerEpoch, 1)
        XCTAssertNotEqual(self.initProducer(coordinator, "other").producerId, first.producerId)
        XCTAssertEqual(self.initProducer(coordinator, timeoutMs: 0).errorCode, .invalidTransactionTimeout)
        XCTAssertEqual(self.initProducer(coordinator, timeoutMs: 900_001).errorCode, .invalidTransactionTimeout)
        XCTAssertEqual(self.addPartition(coordinator, first), .invalidProducerEpoch, "the first producer is fenced")
    }

    func testCommitWritesMarkersThenMakesTheOffsetsVisible() throws {
        let (coordinator, store) = try self.makeCoordinator()
        let producer = self.initProducer(coordinator)
        XCTAssertNil(try self.produce(coordinator, producer), "a partition not added is refused")
        XCTAssertEqual(self.addPartition(coordinator, producer), TransactionErrorCode.none)
        XCTAssertEqual(try self.produce(coordinator, producer)?.firstOffset, Offset(0))
        XCTAssertEqual(self.outputLog.lastStableOffset, Offset(0))

        let added = Collected<TransactionErrorCode>()
        coordinator.addOffsets(
            transactionalId: "t", producerId: producer.producerId, producerEpoch: producer.producerEpoch, groupId: "g"
        ) { added.append($0) }
        waitUntil { !added.all.isEmpty }
        XCTAssertEqual(added.all, [.none])
        let committed = coordinator.commitOffsets(
            transactionalId: "t", groupId: "g", producerId: producer.producerId, producerEpoch: producer.producerEpoch,
            offsets: [self.input: CommittedOffset(offset: 42, commitTimestampMs: 0)]
        )
        XCTAssertEqual(committed, [self.input: .none])
        XCTAssertTrue(coordinator.hasPendingOffset(groupId: "g", self.input))
        XCTAssertEqual(store.fetch(groupId: "g", partitions: [self.input])[self.input]?.offset, -1, "not before the commit")

        XCTAssertEqual(self.end(coordinator, producer, commit: true), .none)
        XCTAssertEqual(self.outputLog.lastStableOffset, Offset(2), "batch at 0, commit marker at 1")
        XCTAssertEqual(store.fetch(groupId: "g", partitions: [self.input])[self.input]?.offset, 42)
        XCTAssertFalse(coordinator.hasPendingOffset(groupId: "g", self.input))
        XCTAssertEqual(coordinator.metadata(of: "t")?.state, .completeCommit)
        XCTAssertEqual(self.end(coordinator, producer, commit: true), .none, "a retried EndTxn is answered again")
        XCTAssertEqual(self.end(coordinator, producer, commit: false), .invalidTxnState)
    }

    func testAbortIndexesTheTransactionAndDropsItsOffsets() throws {
        let (coordinator, store) = try self.makeCoordinator()
        let producer = self.initProducer(coordinator)
        XCTAssertEqual(self.addPartition(coordinator, producer), TransactionErrorCode.none)
        _ = try self.produce(coordinator, producer)
        let added = Collected<TransactionErrorCode>()
        coordinator.addOffsets(
            transactionalId: "t", producerId: producer.producerId, producerEpoch: producer.producerEpoch, groupId: "g"
        ) { added.append($0) }
        _ = coordinator.commitOffsets(
            transactionalId: "t", groupId: "g", producerId: producer.producerId, producerEpoch: producer.producerEpoch,
            offsets: [self.input: CommittedOffset(offset: 42, commitTimestampMs: 0)]
        )
        XCTAssertEqual(self.end(coordinator, producer, commit: false), .none)
        XCTAssertEqual(self.outputLog.abortedTransactionCount, 1)
        XCTAssertEqual(self.outputLog.lastStableOffset, Offset(2))
        XCTAssertEqual(store.fetch(groupId: "g", partitions: [self.input])[self.input]?.offset, -1)
        XCTAssertFalse(coordinator.hasPendingOffset(groupId: "g", self.input))
    }

    func testANewProducerAbortsTheOpenTransactionAndFencesTheOldOne() throws {
        let (coordinator, _) = try self.makeCoordinator()
        let zombie = self.initProducer(coordinator)
        XCTAssertEqual(self.addPartition(coordinator, zombie), TransactionErrorCode.none)
        _ = try self.produce(coordinator, zombie)
        let successor = self.initProducer(coordinator)
        XCTAssertEqual(successor.producerId, zombie.producerId)
        XCTAssertEqual(successor.producerEpoch, 1)
        XCTAssertEqual(self.outputLog.abortedTransactionCount, 1, "aborted with its markers")
        XCTAssertEqual(self.outputLog.lastStableOffset, self.outputLog.logEndOffset)
        XCTAssertEqual(self.end(coordinator, zombie, commit: true), .invalidProducerEpoch)
        XCTAssertNil(try self.produce(coordinator, zombie))
        // Even written straight to the log (a produce already past the check), the zombie's batch is refused.
        var builder = RecordBatchBuilder(producerId: zombie.producerId, producerEpoch: 0, baseSequence: 1, isTransactional: true)
        try builder.append(timestampMs: 0, key: nil, value: [9])
        let late = try builder.finish()
        XCTAssertThrowsError(try late.withUnsafeBytes { try self.outputLog.append($0) })
        XCTAssertEqual(self.addPartition(coordinator, successor), TransactionErrorCode.none)
        XCTAssertEqual(try self.produce(coordinator, successor)?.firstOffset, Offset(2))
        XCTAssertEqual(self.end(coordinator, successor, commit: true), .none)
    }

    func testAnExpiredTransactionIsAbortedAndItsProducerFenced() throws {
        let (coordinator, _) = try self.makeCoordinator()
        let producer = self.initProducer(coordinator, timeoutMs: 1000)
        XCTAssertEqual(self.addPartition(coordinator, producer), TransactionErrorCode.none)
        _ = try self.produce(coordinator, producer)
        self.clock.advance(byMs: 999)
        coordinator.tick()
        XCTAssertEqual(coordinator.metadata(of: "t")?.state, .ongoing)
        self.clock.advance(byMs: 1)
        coordinator.tick()
        XCTAssertEqual(coordinator.metadata(of: "t")?.state, .completeAbort)
        XCTAssertEqual(coordinator.metadata(of: "t")?.producerEpoch, 1)
        XCTAssertEqual(self.outputLog.lastStableOffset, self.outputLog.logEndOffset)
        XCTAssertEqual(self.end(coordinator, producer, commit: true), .invalidProducerEpoch)
    }

    func testARestartAbortsOpenTransactionsAndCompletesDecidedOnes() throws {
        do {
            let (coordinator, _) = try self.makeCoordinator()
            let open = self.initProducer(coordinator)
            XCTAssertEqual(self.addPartition(coordinator, open), TransactionErrorCode.none)
            _ = try self.produce(coordinator, open)
            // A second id whose commit was decided (its Prepare record written) when the broker stopped.
            let decided = self.initProducer(coordinator, "decided")
            coordinator.state.withLock { state in
                var metadata = state.transactions["decided"]!
                metadata.state = .prepareCommit
                metadata.partitions = [self.output]
                metadata.pendingOffsets = ["g": [self.input: CommittedOffset(offset: 7, commitTimestampMs: 0)]]
                var writes = TransactionCoordinator.Writes()
                try! coordinator.persist(metadata, in: &state, writes: &writes)
            }
            XCTAssertEqual(decided.errorCode, .none)
        }
        try self.logManager.close()
        self.logManager = try LogManager(dataDirectory: self.directory.path, defaultConfig: LogConfig(), clock: self.clock)
        XCTAssertEqual(self.outputLog.lastStableOffset, Offset(0), "the open transaction survived in the log")
        let (coordinator, store) = try self.makeCoordinator()
        XCTAssertEqual(coordinator.metadata(of: "t")?.state, .completeAbort)
        XCTAssertEqual(coordinator.metadata(of: "t")?.producerEpoch, 1, "aborted with the epoch bumped")
        XCTAssertEqual(coordinator.metadata(of: "decided")?.state, .completeCommit)
        XCTAssertEqual(store.fetch(groupId: "g", partitions: [self.input])[self.input]?.offset, 7)
        XCTAssertEqual(self.outputLog.lastStableOffset, self.outputLog.logEndOffset)
        XCTAssertEqual(self.outputLog.abortedTransactionCount, 1)
        XCTAssertEqual(self.initProducer(coordinator).producerEpoch, 2)
    }

    func testTheStateLogMustNotExpire() throws {
        var configuration = TransactionCoordinatorConfiguration()
        XCTAssertNil(configuration.logConfig.retentionMs)
        configuration.logConfig.retentionMs = 1000
        let store = try OffsetStore(logManager: self.logManager, clock: self.clock)
        XCTAssertThrowsError(try TransactionCoordinator(
            logs: self.logManager, offsetStore: store, producerIds: self.logManager.makeProducerIdAllocator(),
            clock: self.clock, configuration: configuration
        ))
    }

    func testStateRecordsRoundTripAndRefuseDamage() {
        let metadata = TransactionMetadata(
            transactionalId: "tx-é", producerId: 12, producerEpoch: 4, timeoutMs: 60_000, state: .prepareCommit,
            partitions: [self.output, self.input], groups: ["g", "h"],
            pendingOffsets: ["g": [self.input: CommittedOffset(offset: 3, leaderEpoch: 2, metadata: "m", commitTimestampMs: 9)]]
        )
        let key = TransactionRecordCodec.key(transactionalId: metadata.transactionalId)
        let value = TransactionRecordCodec.value(metadata)
        XCTAssertEqual(TransactionRecordCodec.parse(key: key, value: value), metadata)
        for length in 0..<value.count {
            XCTAssertNil(TransactionRecordCodec.parse(key: key, value: Array(value.prefix(length))), "cut at \(length)")
        }
        XCTAssertNil(TransactionRecordCodec.parse(key: key, value: value + [0]))
        var badState = value
        badState[15] = 9
        XCTAssertNil(TransactionRecordCodec.parse(key: key, value: badState))
    }
}
