import Foundation
import GroupCoordinator
import LogStore
import SluiceModel
import Synchronization
import XCTest

/// Member ids `<client>-m1`, `<client>-m2`, … in the order they are handed out.
func sequentialMemberIds() -> MemberIdGenerator {
    let counter = Mutex(0)
    return MemberIdGenerator {
        counter.withLock { value in
            value += 1
            return "m\(value)"
        }
    }
}

func testConfiguration(initialRebalanceDelayMs: Int64 = 0) -> GroupConfiguration {
    var configuration = GroupConfiguration()
    configuration.initialRebalanceDelayMs = initialRebalanceDelayMs
    return configuration
}

func makeMachine(initialRebalanceDelayMs: Int64 = 0, membersPerGroupMax: Int = 1000) -> GroupStateMachine {
    var configuration = testConfiguration(initialRebalanceDelayMs: initialRebalanceDelayMs)
    configuration.membersPerGroupMax = membersPerGroupMax
    return GroupStateMachine(groupId: "group", configuration: configuration, memberIdGenerator: sequentialMemberIds())
}

let defaultProtocols = [GroupProtocol(name: "range", metadata: [1, 2, 3])]

func joinRequest(
    memberId: String = "", instance: String? = nil, client: String = "client", sessionTimeoutMs: Int32 = 10_000,
    rebalanceTimeoutMs: Int32 = 30_000, protocolType: String = "consumer",
    protocols: [GroupProtocol] = defaultProtocols, requireKnownMemberId: Bool = true,
    supportsSkipAssignment: Bool = true
) -> GroupJoinRequest {
    GroupJoinRequest(
        memberId: memberId, groupInstanceId: instance, clientId: client, clientHost: "/127.0.0.1",
        sessionTimeoutMs: sessionTimeoutMs, rebalanceTimeoutMs: rebalanceTimeoutMs, protocolType: protocolType,
        protocols: protocols, requireKnownMemberId: requireKnownMemberId, supportsSkipAssignment: supportsSkipAssignment
    )
}

extension Array where Element == GroupAction {
    var joinReply: JoinGroupResult? {
        for case .replyJoin(let result) in self { return result }
        return nil
    }

    var syncReply: SyncGroupResult? {
        for case .replySync(let result) in self { return result }
        return nil
    }

    var completedJoins: [String: JoinGroupResult] {
        var results: [String: JoinGroupResult] = [:]
        for case .completeJoin(let memberId, let result) in self { results[memberId] = result }
        return results
    }

    var completedSyncs: [String: SyncGroupResult] {
        var results: [String: SyncGroupResult] = [:]
        for case .completeSync(let memberId, let result) in self { results[memberId] = result }
        return results
    }

    var awaitedJoins: [String] {
        var memberIds: [String] = []
        for case .awaitJoin(let memberId) in self { memberIds.append(memberId) }
        return memberIds
    }

    var awaitedSyncs: [String] {
        var memberIds: [String] = []
        for case .awaitSync(let memberId) in self { memberIds.append(memberId) }
        return memberIds
    }
}

extension GroupStateMachine {
    /// A new member's whole KIP-394 round trip: MEMBER_ID_REQUIRED, then the rejoin with the id. Returns the
    /// id and the rejoin's actions.
    mutating func joinNewMember(
        client: String = "client", protocols: [GroupProtocol] = defaultProtocols, nowMs: Int64
    ) -> (String, [GroupAction]) {
        let first = self.join(joinRequest(client: client, protocols: protocols), nowMs: nowMs)
        let memberId = first.joinReply!.memberId
        precondition(first.joinReply!.errorCode == .memberIdRequired)
        return (memberId, self.join(joinRequest(memberId: memberId, client: client, protocols: protocols), nowMs: nowMs))
    }

    /// Forms a stable group of `count` dynamic members (the first is the leader), each assigned its index.
    mutating func formStableGroup(count: Int, nowMs: Int64) -> [String] {
        var memberIds: [String] = []
        for _ in 0..<count {
            let (memberId, _) = self.joinNewMember(nowMs: nowMs)
            for earlier in memberIds {
                _ = self.join(joinRequest(memberId: earlier), nowMs: nowMs)
            }
            memberIds.append(memberId)
        }
        precondition(self.state == .completingRebalance)
        let assignments = memberIds.enumerated().map { MemberAssignment(memberId: $1, assignment: [UInt8($0)]) }
        for follower in memberIds.dropFirst() {
            _ = self.sync(GroupSyncRequest(memberId: follower, generationId: self.generationId), nowMs: nowMs)
        }
        _ = self.sync(
            GroupSyncRequest(memberId: memberIds[0], generationId: self.generationId, assignments: assignments),
            nowMs: nowMs
        )
        precondition(self.state == .stable)
        return memberIds
    }
}

/// A data directory under the system's temporary directory, removed by `remove()`.
struct TemporaryDirectory {
    let path: String

    init() throws {
        self.path = NSTemporaryDirectory() + "sluice-groups-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: self.path, withIntermediateDirectories: true)
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: self.path)
    }
}

/// Collects values delivered to completions from any thread.
final class Collected<Value: Sendable>: Sendable {
    private let values = Mutex<[Value]>([])

    func append(_ value: Value) {
        self.values.withLock { $0.append(value) }
    }

    var all: [Value] { self.values.withLock { $0 } }
}

/// Waits until `condition` holds (for work the flusher finishes on its own queue), failing after 5 s.
func waitUntil(_ condition: () -> Bool, file: StaticString = #filePath, line: UInt = #line) {
    for _ in 0..<500 {
        if condition() { return }
        usleep(10_000)
    }
    XCTFail("condition did not hold within 5 s", file: file, line: line)
}
