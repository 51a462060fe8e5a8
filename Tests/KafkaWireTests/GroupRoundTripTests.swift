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
}
