import NIOCore
import XCTest

@testable import KafkaWire

/// CreatePartitions, DeleteRecords, OffsetForLeaderEpoch, DescribeLogDirs, OffsetDelete and DescribeProducers at
/// every supported version, plus hand-computed bytes for the shapes that are easy to get wrong.
final class AdminSurfaceRoundTripTests: XCTestCase {
    func testCreatePartitions() {
        assertRoundTripAllVersions(0...3) { version in
            CreatePartitionsRequest(
                topics: [.init(name: "orders", count: 4, assignments: [[1], [1]]), .init(name: "payments", count: 2)],
                timeoutMs: 5_000, validateOnly: version % 2 == 1
            )
        }
        assertRoundTripAllVersions(0...3) { _ in
            CreatePartitionsResponse(throttleTimeMs: 3, results: [
                .init(name: "orders"),
                .init(name: "payments", errorCode: .invalidPartitions, errorMessage: "the partition count can only grow"),
            ])
        }
    }

    func testCreatePartitionsNullAssignmentsBytes() {
        // v0: array count 1, "t" (int16 length), count 3, assignments null (-1), timeout 0, validate false.
        let request = CreatePartitionsRequest(topics: [.init(name: "t", count: 3)], timeoutMs: 0)
        XCTAssertEqual(
            encoded(request, version: 0),
            [0, 0, 0, 1, 0, 1, 116, 0, 0, 0, 3, 255, 255, 255, 255, 0, 0, 0, 0, 0]
        )
        // v2 (flexible): compact count 2, compact "t", count, null compact array 0, tags, timeout, bool, tags.
        XCTAssertEqual(encoded(request, version: 2), [2, 2, 116, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0])
    }

    func testDeleteRecords() {
        assertRoundTripAllVersions(0...2) { _ in
            DeleteRecordsRequest(topics: [.init(name: "orders", partitions: [
                .init(partitionIndex: 0, offset: 42), .init(partitionIndex: 1, offset: DeleteRecordsRequest.highWatermarkOffset),
            ])], timeoutMs: 1_000)
        }
        assertRoundTripAllVersions(0...2) { _ in
            DeleteRecordsResponse(throttleTimeMs: 1, topics: [.init(name: "orders", partitions: [
                .init(partitionIndex: 0, lowWatermark: 42), .init(partitionIndex: 1, errorCode: .offsetOutOfRange),
            ])])
        }
    }

    func testOffsetForLeaderEpoch() {
        assertRoundTripAllVersions(0...4) { version in
            OffsetForLeaderEpochRequest(
                replicaId: version >= 3 ? -1 : -2,
                topics: [.init(topic: "orders", partitions: [
                    .init(partition: 0, currentLeaderEpoch: version >= 2 ? 0 : -1, leaderEpoch: 0),
                ])]
            )
        }
        assertRoundTripAllVersions(0...4) { version in
            OffsetForLeaderEpochResponse(throttleTimeMs: version >= 2 ? 4 : 0, topics: [.init(topic: "orders", partitions: [
                .init(partition: 0, leaderEpoch: version >= 1 ? 0 : -1, endOffset: 99),
                .init(errorCode: .unknownLeaderEpoch, partition: 1),
            ])])
        }
    }

    func testDescribeLogDirs() {
        assertRoundTripAllVersions(0...4) { version in
            DescribeLogDirsRequest(topics: version == 1 ? nil : [.init(topic: "orders", partitions: [0, 1])])
        }
        assertRoundTripAllVersions(0...4) { version in
            DescribeLogDirsResponse(
                throttleTimeMs: 0, errorCode: version >= 3 ? .clusterAuthorizationFailed : .none,
                results: [.init(
                    logDir: "/var/lib/sluice", topics: [.init(name: "orders", partitions: [.init(partitionIndex: 0, partitionSize: 1234)])],
                    totalBytes: version >= 4 ? 1 << 40 : -1, usableBytes: version >= 4 ? 1 << 39 : -1
                )]
            )
        }
    }

    func testOffsetDelete() {
        assertRoundTripAllVersions(0...0) { _ in
            OffsetDeleteRequest(groupId: "billing", topics: [.init(name: "orders", partitions: [0, 2])])
        }
        assertRoundTripAllVersions(0...0) { _ in
            OffsetDeleteResponse(topics: [.init(name: "orders", partitions: [
                .init(partitionIndex: 0), .init(partitionIndex: 2, errorCode: .groupSubscribedToTopic),
            ])])
        }
    }

    func testDescribeProducers() {
        assertRoundTripAllVersions(0...0) { _ in
            DescribeProducersRequest(topics: [.init(name: "orders", partitionIndexes: [0, 1])])
        }
        assertRoundTripAllVersions(0...0) { _ in
            DescribeProducersResponse(topics: [.init(name: "orders", partitions: [
                .init(partitionIndex: 0, activeProducers: [.init(producerId: 7, producerEpoch: 0, lastSequence: 41)]),
                .init(partitionIndex: 1, errorCode: .unknownTopicOrPartition, errorMessage: "no such partition"),
            ])])
        }
    }

    func testConsumerSubscriptionTopics() throws {
        // version 1, topics ["a", "bc"], null user data, then v1's owned partitions (ignored).
        let bytes: [UInt8] = [0, 1, 0, 0, 0, 2, 0, 1, 97, 0, 2, 98, 99, 255, 255, 255, 255, 0, 0, 0, 0]
        XCTAssertEqual(try ConsumerProtocolSubscription.topics(from: bytes), ["a", "bc"])
        XCTAssertThrowsError(try ConsumerProtocolSubscription.topics(from: [0, 1, 0, 0, 0, 9]))
    }
}
