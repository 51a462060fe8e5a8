import NIOCore
import XCTest

@testable import KafkaWire

final class GroupRoundTripTests: XCTestCase {
    private let opaque = ByteBuffer(bytes: [0, 1, 0, 0, 0, 1, 0, 6] + Array("orders".utf8))

    func testFindCoordinator() {
        assertRoundTripAllVersions(0...4) { version in
            version >= 4
                ? FindCoordinatorRequest(keyType: 0, coordinatorKeys: ["group-a", "group-b"])
                : FindCoordinatorRequest(key: "group-a", keyType: version >= 1 ? 1 : 0)
        }
        assertRoundTripAllVersions(0...4) { version in
            version >= 4
                ? FindCoordinatorResponse(
                    throttleTimeMs: 1,
                    coordinators: [
                        .init(key: "group-a", nodeId: 1, host: "localhost", port: 9092),
                        .init(key: "group-b", nodeId: -1, host: "", port: -1, errorCode: .coordinatorNotAvailable, errorMessage: "loading"),
                    ]
                )
                : FindCoordinatorResponse(
                    throttleTimeMs: version >= 1 ? 1 : 0,
                    errorCode: .none,
                    errorMessage: version >= 1 ? "fine" : nil,
                    nodeId: 1, host: "localhost", port: 9092
                )
        }
    }

    func testJoinGroup() {
        assertRoundTripAllVersions(0...9) { version in
            JoinGroupRequest(
                groupId: "group-a",
                sessionTimeoutMs: 45_000,
                rebalanceTimeoutMs: version >= 1 ? 300_000 : -1,
                memberId: "",
                groupInstanceId: version >= 5 ? "instance-1" : nil,
                protocolType: "consumer",
                protocols: [.init(name: "range", metadata: self.opaque), .init(name: "roundrobin", metadata: ByteBuffer())],
                reason: version >= 8 ? "joining" : nil
            )
        }
        assertRoundTripAllVersions(0...9) { version in
            JoinGroupResponse(
                throttleTimeMs: version >= 2 ? 4 : 0,
                errorCode: .none,
                generationId: 3,
                protocolType: version >= 7 ? "consumer" : nil,
                protocolName: "range",
                leader: "member-1",
                skipAssignment: version >= 9,
                memberId: "member-1",
                members: [.init(memberId: "member-1", groupInstanceId: version >= 5 ? "instance-1" : nil, metadata: self.opaque)]
            )
        }
    }

    func testSyncGroup() {
        assertRoundTripAllVersions(0...5) { version in
            SyncGroupRequest(
                groupId: "group-a",
                generationId: 3,
                memberId: "member-1",
                groupInstanceId: version >= 3 ? "instance-1" : nil,
                protocolType: version >= 5 ? "consumer" : nil,
                protocolName: version >= 5 ? "range" : nil,
                assignments: [.init(memberId: "member-1", assignment: self.opaque)]
            )
        }
        assertRoundTripAllVersions(0...5) { version in
            SyncGroupResponse(
                throttleTimeMs: version >= 1 ? 2 : 0,
                errorCode: .rebalanceInProgress,
                protocolType: version >= 5 ? "consumer" : nil,
                protocolName: version >= 5 ? "range" : nil,
                assignment: self.opaque
            )
        }
    }

    func testHeartbeat() {
        assertRoundTripAllVersions(0...4) { version in
            HeartbeatRequest(groupId: "group-a", generationId: 3, memberId: "member-1", groupInstanceId: version >= 3 ? "i" : nil)
        }
        assertRoundTripAllVersions(0...4) { version in
            HeartbeatResponse(throttleTimeMs: version >= 1 ? 5 : 0, errorCode: .illegalGeneration)
        }
    }

    func testLeaveGroup() {
        assertRoundTripAllVersions(0...5) { version in
            version >= 3
                ? LeaveGroupRequest(
                    groupId: "group-a",
                    members: [.init(memberId: "member-1", groupInstanceId: "i", reason: version >= 5 ? "shutdown" : nil)]
                )
                : LeaveGroupRequest(groupId: "group-a", memberId: "member-1")
        }
        assertRoundTripAllVersions(0...5) { version in
            LeaveGroupResponse(
                throttleTimeMs: version >= 1 ? 1 : 0,
                errorCode: .none,
                members: version >= 3 ? [.init(memberId: "member-1", groupInstanceId: nil, errorCode: .unknownMemberId)] : []
            )
        }
    }

    func testOffsetCommit() {
        assertRoundTripAllVersions(2...8) { version in
            OffsetCommitRequest(
                groupId: "group-a",
                generationIdOrMemberEpoch: 3,
                memberId: "member-1",
                groupInstanceId: version >= 7 ? "instance-1" : nil,
                retentionTimeMs: version <= 4 ? 86_400_000 : -1,
                topics: [
                    .init(name: "orders", partitions: [
                        .init(partitionIndex: 0, committedOffset: 42, committedLeaderEpoch: version >= 6 ? 2 : -1, committedMetadata: "m"),
                        .init(partitionIndex: 1, committedOffset: 7, committedMetadata: nil),
                    ]),
                ]
            )
        }
        assertRoundTripAllVersions(2...8) { version in
            OffsetCommitResponse(
                throttleTimeMs: version >= 3 ? 1 : 0,
                topics: [.init(name: "orders", partitions: [.init(partitionIndex: 0), .init(partitionIndex: 1, errorCode: .illegalGeneration)])]
            )
        }
    }

    func testOffsetFetch() {
        assertRoundTripAllVersions(1...8) { version in
            version >= 8
                ? OffsetFetchRequest(
                    groups: [
                        .init(groupId: "group-a", topics: [.init(name: "orders", partitionIndexes: [0, 1])]),
                        .init(groupId: "group-b", topics: nil),
                    ],
                    requireStable: true
                )
                : OffsetFetchRequest(
                    groupId: "group-a",
                    topics: [.init(name: "orders", partitionIndexes: [0, 1])],
                    requireStable: version >= 7
                )
        }
        for version: Int16 in 2...7 {
            assertRoundTrip(OffsetFetchRequest(groupId: "group-a", topics: nil), version: version)
        }
        assertRoundTripAllVersions(1...8) { version in
            let topics: [OffsetFetchResponse.Topic] = [
                .init(name: "orders", partitions: [
                    .init(partitionIndex: 0, committedOffset: 42, committedLeaderEpoch: version >= 5 ? 2 : -1, metadata: "m"),
                    .init(partitionIndex: 1, committedOffset: -1, errorCode: .unknownTopicOrPartition),
                ]),
            ]
            return version >= 8
                ? OffsetFetchResponse(
                    throttleTimeMs: 1,
                    groups: [.init(groupId: "group-a", topics: topics), .init(groupId: "group-b", topics: [], errorCode: .notCoordinator)]
                )
                : OffsetFetchResponse(
                    throttleTimeMs: version >= 3 ? 1 : 0,
                    topics: topics,
                    errorCode: version >= 2 ? .coordinatorLoadInProgress : .none
                )
        }
    }

    func testDescribeGroups() {
        assertRoundTripAllVersions(0...5) { version in
            DescribeGroupsRequest(groups: ["group-a", "group-b"], includeAuthorizedOperations: version >= 3)
        }
        assertRoundTripAllVersions(0...5) { version in
            DescribeGroupsResponse(
                throttleTimeMs: version >= 1 ? 1 : 0,
                groups: [
                    .init(
                        groupId: "group-a", groupState: "Stable", protocolType: "consumer", protocolData: "range",
                        members: [
                            .init(
                                memberId: "member-1", groupInstanceId: version >= 4 ? "instance-1" : nil,
                                clientId: "client", clientHost: "/127.0.0.1",
                                memberMetadata: self.opaque, memberAssignment: ByteBuffer(bytes: [0, 1])
                            ),
                        ],
                        authorizedOperations: version >= 3 ? 0x0f : Int32.min
                    ),
                    .init(errorCode: .groupIdNotFound, groupId: "group-b", groupState: "Dead", protocolType: "", protocolData: "", members: []),
                ]
            )
        }
    }

    func testListGroups() {
        assertRoundTripAllVersions(0...4) { version in
            ListGroupsRequest(statesFilter: version >= 4 ? ["Stable", "Empty"] : [])
        }
        assertRoundTripAllVersions(0...4) { version in
            ListGroupsResponse(
                throttleTimeMs: version >= 1 ? 1 : 0,
                groups: [.init(groupId: "group-a", protocolType: "consumer", groupState: version >= 4 ? "Stable" : "")]
            )
        }
    }

    func testDeleteGroups() {
        assertRoundTripAllVersions(0...2) { _ in DeleteGroupsRequest(groupsNames: ["group-a", "group-b"]) }
        assertRoundTripAllVersions(0...2) { _ in
            DeleteGroupsResponse(
                throttleTimeMs: 1,
                results: [.init(groupId: "group-a"), .init(groupId: "group-b", errorCode: .nonEmptyGroup)]
            )
        }
    }

    func testInitProducerId() {
        assertRoundTripAllVersions(0...4) { version in
            InitProducerIdRequest(
                transactionalId: version >= 1 ? "tx" : nil,
                transactionTimeoutMs: 60_000,
                producerId: version >= 3 ? 1_000 : -1,
                producerEpoch: version >= 3 ? 2 : -1
            )
        }
        assertRoundTripAllVersions(0...4) { _ in
            InitProducerIdResponse(throttleTimeMs: 0, errorCode: .none, producerId: 1_000, producerEpoch: 0)
        }
    }

    func testEveryKnownApiKeyIsSupported() {
        for apiKey in ApiKey.allCases {
            XCTAssertNotNil(SupportedApis.range(for: apiKey), "\(apiKey)")
        }
        XCTAssertEqual(SupportedApis.ranges.count, ApiKey.allCases.count)
        XCTAssertEqual(Set(SupportedApis.ranges.map(\.apiKey)).count, SupportedApis.ranges.count, "one range per key")
    }
}
