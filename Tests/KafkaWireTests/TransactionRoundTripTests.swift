import NIOCore
import XCTest

@testable import KafkaWire

/// The transaction APIs at every supported version (the real clients in `test_transactions.py` check the layout
/// against librdkafka, kafka-python and aiokafka).
final class TransactionRoundTripTests: XCTestCase {
    func testAddPartitionsToTxn() {
        assertRoundTripAllVersions(0...3) { _ in
            AddPartitionsToTxnRequest(
                transactionalId: "txn-a", producerId: 42, producerEpoch: 3,
                topics: [.init(name: "orders", partitions: [0, 2]), .init(name: "audit", partitions: [])]
            )
        }
        assertRoundTripAllVersions(0...3) { _ in
            AddPartitionsToTxnResponse(throttleTimeMs: 5, results: [
                .init(name: "orders", partitions: [.init(partitionIndex: 0, errorCode: .none),
                                                   .init(partitionIndex: 2, errorCode: .invalidTxnState)]),
            ])
        }
    }

    func testAddOffsetsToTxn() {
        assertRoundTripAllVersions(0...3) { _ in
            AddOffsetsToTxnRequest(transactionalId: "txn-a", producerId: 42, producerEpoch: 3, groupId: "group-a")
        }
        assertRoundTripAllVersions(0...3) { _ in AddOffsetsToTxnResponse(throttleTimeMs: 1, errorCode: .producerFenced) }
    }

    func testEndTxn() {
        assertRoundTripAllVersions(0...3) { version in
            EndTxnRequest(transactionalId: "txn-a", producerId: 42, producerEpoch: 3, committed: version % 2 == 0)
        }
        assertRoundTripAllVersions(0...3) { _ in EndTxnResponse(throttleTimeMs: 1, errorCode: .concurrentTransactions) }
    }

    func testTxnOffsetCommit() {
        assertRoundTripAllVersions(0...3) { version in
            TxnOffsetCommitRequest(
                transactionalId: "txn-a", groupId: "group-a", producerId: 42, producerEpoch: 3,
                generationId: version >= 3 ? 7 : -1, memberId: version >= 3 ? "member-1" : "",
                groupInstanceId: version >= 3 ? "instance-1" : nil,
                topics: [.init(name: "in", partitions: [
                    .init(partitionIndex: 0, committedOffset: 99, committedLeaderEpoch: version >= 2 ? 4 : -1,
                          committedMetadata: "meta"),
                    .init(partitionIndex: 1, committedOffset: 5, committedMetadata: nil),
                ])]
            )
        }
        assertRoundTripAllVersions(0...3) { _ in
            TxnOffsetCommitResponse(throttleTimeMs: 2, topics: [
                .init(name: "in", partitions: [.init(partitionIndex: 0, errorCode: .none),
                                               .init(partitionIndex: 1, errorCode: .unstableOffsetCommit)]),
            ])
        }
    }
}
