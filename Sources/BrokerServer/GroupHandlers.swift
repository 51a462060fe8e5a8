import GroupCoordinator
import KafkaWire
import NIOCore
import SluiceModel
import SluiceSecurity

/// FindCoordinator, JoinGroup, SyncGroup, Heartbeat and LeaveGroup: translation between the wire and the
/// group coordinator, whose error codes are Kafka's own numbers. Joins and syncs complete later (when the
/// rebalance does); the coordinator calls back on whatever thread finished the phase and the connection
/// handler hops the answer to the right event loop.
extension KafkaRequestRouter {
    func handleFindCoordinator(_ request: IncomingRequest) throws {
        let find = try request.decode(FindCoordinatorRequest.self)
        let advertised = request.context.session.listener.advertised
        // Sluice is one node: it coordinates every group and every transactional id (key type 1).
        func coordinator(for key: String) -> FindCoordinatorResponse.Coordinator {
            if find.keyType == FindCoordinatorRequest.keyTypeTransaction && self.transactions != nil {
                guard self.authorize(request, .describe, .transactionalId, key) else {
                    return FindCoordinatorResponse.Coordinator(
                        key: key, nodeId: -1, host: "", port: -1, errorCode: .transactionalIdAuthorizationFailed,
                        errorMessage: "DESCRIBE on transactional id \(key) is needed"
                    )
                }
                return FindCoordinatorResponse.Coordinator(
                    key: key, nodeId: Self.nodeId, host: advertised.host, port: Int32(advertised.port)
                )
            }
            guard find.keyType == FindCoordinatorRequest.keyTypeGroup else {
                return FindCoordinatorResponse.Coordinator(
                    key: key, nodeId: -1, host: "", port: -1, errorCode: .coordinatorNotAvailable,
                    errorMessage: "only group coordinators are offered"
                )
            }
            guard self.authorize(request, .describe, .group, key) else {
                return FindCoordinatorResponse.Coordinator(
                    key: key, nodeId: -1, host: "", port: -1, errorCode: .groupAuthorizationFailed,
                    errorMessage: "DESCRIBE on group \(key) is needed"
                )
            }
            return FindCoordinatorResponse.Coordinator(
                key: key, nodeId: Self.nodeId, host: advertised.host, port: Int32(advertised.port)
            )
        }
        let keys = request.version >= 4 ? find.coordinatorKeys : [find.key]
        let coordinators = keys.map(coordinator)
        let first = coordinators.first ?? coordinator(for: "")
        request.reply(FindCoordinatorResponse(
            errorCode: first.errorCode, errorMessage: first.errorMessage, nodeId: first.nodeId, host: first.host,
            port: first.port, coordinators: coordinators
        ))
    }

    func handleJoinGroup(_ request: IncomingRequest) throws {
        let join = try request.decode(JoinGroupRequest.self)
        guard self.authorize(request, .read, .group, join.groupId) else {
            request.reply(JoinGroupResponse(
                errorCode: .groupAuthorizationFailed, protocolName: nil, leader: "", memberId: join.memberId
            ))
            return
        }
        let groupJoin = GroupJoinRequest(
            memberId: join.memberId, groupInstanceId: join.groupInstanceId, clientId: request.header.clientId ?? "",
            clientHost: request.context.remoteHost, sessionTimeoutMs: join.sessionTimeoutMs,
            // v0 has no rebalance timeout; Kafka uses the session timeout in its place.
            rebalanceTimeoutMs: request.version >= 1 ? join.rebalanceTimeoutMs : join.sessionTimeoutMs,
            protocolType: join.protocolType,
            protocols: join.protocols.map { GroupProtocol(name: $0.name, metadata: Array($0.metadata.readableBytesView)) },
            requireKnownMemberId: request.version >= 4, supportsSkipAssignment: request.version >= 9
        )
        self.groups.joinGroup(groupId: join.groupId, request: groupJoin) { result in
            request.reply(JoinGroupResponse(
                errorCode: ErrorCode(result.errorCode), generationId: result.generationId,
                protocolType: result.protocolType, protocolName: result.protocolName, leader: result.leaderId,
                skipAssignment: result.skipAssignment, memberId: result.memberId,
                members: result.members.map {
                    JoinGroupResponse.Member(
                        memberId: $0.memberId, groupInstanceId: $0.groupInstanceId, metadata: ByteBuffer(bytes: $0.metadata)
                    )
                }
            ))
        }
    }

    func handleSyncGroup(_ request: IncomingRequest) throws {
        let sync = try request.decode(SyncGroupRequest.self)
        guard self.authorize(request, .read, .group, sync.groupId) else {
            request.reply(SyncGroupResponse(errorCode: .groupAuthorizationFailed, assignment: ByteBuffer()))
            return
        }
        let groupSync = GroupSyncRequest(
            memberId: sync.memberId, generationId: sync.generationId, groupInstanceId: sync.groupInstanceId,
            protocolType: sync.protocolType, protocolName: sync.protocolName,
            assignments: sync.assignments.map {
                MemberAssignment(memberId: $0.memberId, assignment: Array($0.assignment.readableBytesView))
            }
        )
        self.groups.syncGroup(groupId: sync.groupId, request: groupSync) { result in
            request.reply(SyncGroupResponse(
                errorCode: ErrorCode(result.errorCode), protocolType: result.protocolType,
                protocolName: result.protocolName, assignment: ByteBuffer(bytes: result.assignment)
            ))
        }
    }

    func handleHeartbeat(_ request: IncomingRequest) throws {
        let heartbeat = try request.decode(HeartbeatRequest.self)
        guard self.authorize(request, .read, .group, heartbeat.groupId) else {
            request.reply(HeartbeatResponse(errorCode: .groupAuthorizationFailed))
            return
        }
        let errorCode = self.groups.heartbeat(groupId: heartbeat.groupId, request: GroupHeartbeatRequest(
            memberId: heartbeat.memberId, generationId: heartbeat.generationId, groupInstanceId: heartbeat.groupInstanceId
        ))
        request.reply(HeartbeatResponse(errorCode: ErrorCode(errorCode)))
    }

    func handleLeaveGroup(_ request: IncomingRequest) throws {
        let leave = try request.decode(LeaveGroupRequest.self)
        guard self.authorize(request, .read, .group, leave.groupId) else {
            request.reply(LeaveGroupResponse(errorCode: .groupAuthorizationFailed))
            return
        }
        // v0-2 name one member at the top level; v3+ list members, static ones by instance id.
        let leaving = request.version <= 2
            ? [LeavingMember(memberId: leave.memberId, groupInstanceId: nil)]
            : leave.members.map { LeavingMember(memberId: $0.memberId, groupInstanceId: $0.groupInstanceId) }
        let result = self.groups.leaveGroup(groupId: leave.groupId, members: leaving)
        let topLevelError = request.version <= 2 ? (result.members.first?.errorCode ?? result.errorCode) : result.errorCode
        request.reply(LeaveGroupResponse(
            errorCode: ErrorCode(topLevelError),
            members: result.members.map {
                LeaveGroupResponse.Member(
                    memberId: $0.memberId, groupInstanceId: $0.groupInstanceId, errorCode: ErrorCode($0.errorCode)
                )
            }
        ))
    }
}

extension ErrorCode {
    /// The coordinator's codes are Kafka's numbers, so the mapping is the identity.
    init(_ groupErrorCode: GroupErrorCode) {
        self.init(rawValue: groupErrorCode.rawValue)
    }
}
