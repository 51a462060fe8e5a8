import NIOCore

/// JoinGroup (key 11), versions 0–9, flexible from 6. Protocol metadata stays opaque bytes: the
/// coordinator hands it to the leader without reading it.
public struct JoinGroupRequest: KafkaRequestMessage {
    public typealias Response = JoinGroupResponse
    public static let apiKey = ApiKey.joinGroup

    public struct GroupProtocol: Equatable, Sendable {
        public var name: String
        public var metadata: ByteBuffer

        public init(name: String, metadata: ByteBuffer) {
            self.name = name
            self.metadata = metadata
        }
    }

    public var groupId: String
    public var sessionTimeoutMs: Int32
    /// v1+; below v1 the session timeout is also the rebalance timeout.
    public var rebalanceTimeoutMs: Int32
    public var memberId: String
    /// v5+.
    public var groupInstanceId: String?
    public var protocolType: String
    public var protocols: [GroupProtocol]
    /// v8+.
    public var reason: String?

    public init(
        groupId: String,
        sessionTimeoutMs: Int32,
        rebalanceTimeoutMs: Int32 = -1,
        memberId: String,
        groupInstanceId: String? = nil,
        protocolType: String,
        protocols: [GroupProtocol],
        reason: String? = nil
    ) {
        self.groupId = groupId
        self.sessionTimeoutMs = sessionTimeoutMs
        self.rebalanceTimeoutMs = rebalanceTimeoutMs
        self.memberId = memberId
        self.groupInstanceId = groupInstanceId
        self.protocolType = protocolType
        self.protocols = protocols
        self.reason = reason
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = version >= 6
        self.init(groupId: "", sessionTimeoutMs: 0, memberId: "", protocolType: "", protocols: [])
        self.groupId = try buffer.readWireString("JoinGroupRequest.groupId", compact: flexible)
        self.sessionTimeoutMs = try buffer.readWireInt32("JoinGroupRequest.sessionTimeoutMs")
        if version >= 1 {
            self.rebalanceTimeoutMs = try buffer.readWireInt32("JoinGroupRequest.rebalanceTimeoutMs")
        }
        self.memberId = try buffer.readWireString("JoinGroupRequest.memberId", compact: flexible)
        if version >= 5 {
            self.groupInstanceId = try buffer.readWireNullableString("JoinGroupRequest.groupInstanceId", compact: flexible)
        }
        self.protocolType = try buffer.readWireString("JoinGroupRequest.protocolType", compact: flexible)
        self.protocols = try buffer.readWireArray("JoinGroupRequest.protocols", compact: flexible) {
            let groupProtocol = GroupProtocol(
                name: try $0.readWireString("JoinGroupRequest.protocols.name", compact: flexible),
                metadata: try $0.readWireBytes("JoinGroupRequest.protocols.metadata", compact: flexible)
            )
            if flexible {
                try $0.readTaggedFields("JoinGroupRequest.protocols")
            }
            return groupProtocol
        }
        if version >= 8 {
            self.reason = try buffer.readWireNullableString("JoinGroupRequest.reason", compact: flexible)
        }
        if flexible {
            try buffer.readTaggedFields("JoinGroupRequest")
        }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = version >= 6
        buffer.writeWireString(self.groupId, compact: flexible)
        buffer.writeInteger(self.sessionTimeoutMs)
        if version >= 1 {
            buffer.writeInteger(self.rebalanceTimeoutMs)
        }
        buffer.writeWireString(self.memberId, compact: flexible)
        if version >= 5 {
            buffer.writeWireNullableString(self.groupInstanceId, compact: flexible)
        }
        buffer.writeWireString(self.protocolType, compact: flexible)
        buffer.writeWireArray(self.protocols, compact: flexible) { buffer, groupProtocol in
            buffer.writeWireString(groupProtocol.name, compact: flexible)
            buffer.writeWireBytes(groupProtocol.metadata, compact: flexible)
            if flexible {
                buffer.writeEmptyTaggedFields()
            }
        }
        if version >= 8 {
            buffer.writeWireNullableString(self.reason, compact: flexible)
        }
        if flexible {
            buffer.writeEmptyTaggedFields()
        }
    }
}

public struct JoinGroupResponse: KafkaResponseMessage {
    public static let apiKey = ApiKey.joinGroup

    public struct Member: Equatable, Sendable {
        public var memberId: String
        /// v5+.
        public var groupInstanceId: String?
        public var metadata: ByteBuffer

        public init(memberId: String, groupInstanceId: String? = nil, metadata: ByteBuffer) {
            self.memberId = memberId
            self.groupInstanceId = groupInstanceId
            self.metadata = metadata
        }
    }

    /// v2+.
    public var throttleTimeMs: Int32
    public var errorCode: ErrorCode
    public var generationId: Int32
    /// v7+.
    public var protocolType: String?
    /// Nullable from v7; written as "" below v7 when nil.
    public var protocolName: String?
    public var leader: String
    /// v9+.
    public var skipAssignment: Bool
    public var memberId: String
    public var members: [Member]

    public init(
        throttleTimeMs: Int32 = 0,
        errorCode: ErrorCode = .none,
        generationId: Int32 = -1,
        protocolType: String? = nil,
        protocolName: String?,
        leader: String,
        skipAssignment: Bool = false,
        memberId: String,
        members: [Member] = []
    ) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.generationId = generationId
        self.protocolType = protocolType
        self.protocolName = protocolName
        self.leader = leader
        self.skipAssignment = skipAssignment
        self.memberId = memberId
        self.members = members
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = version >= 6
        self.init(protocolName: nil, leader: "", memberId: "")
        if version >= 2 {
            self.throttleTimeMs = try buffer.readWireInt32("JoinGroupResponse.throttleTimeMs")
        }
        self.errorCode = try buffer.readWireErrorCode("JoinGroupResponse.errorCode")
        self.generationId = try buffer.readWireInt32("JoinGroupResponse.generationId")
        if version >= 7 {
            self.protocolType = try buffer.readWireNullableString("JoinGroupResponse.protocolType", compact: flexible)
            self.protocolName = try buffer.readWireNullableString("JoinGroupResponse.protocolName", compact: flexible)
        } else {
            self.protocolName = try buffer.readWireString("JoinGroupResponse.protocolName", compact: flexible)
        }
        self.leader = try buffer.readWireString("JoinGroupResponse.leader", compact: flexible)
        if version >= 9 {
            self.skipAssignment = try buffer.readWireBool("JoinGroupResponse.skipAssignment")
        }
        self.memberId = try buffer.readWireString("JoinGroupResponse.memberId", compact: flexible)
        self.members = try buffer.readWireArray("JoinGroupResponse.members", compact: flexible) { buffer in
            var member = Member(
                memberId: try buffer.readWireString("JoinGroupResponse.members.memberId", compact: flexible),
                metadata: ByteBuffer()
            )
            if version >= 5 {
                member.groupInstanceId = try buffer.readWireNullableString(
                    "JoinGroupResponse.members.groupInstanceId", compact: flexible
                )
            }
            member.metadata = try buffer.readWireBytes("JoinGroupResponse.members.metadata", compact: flexible)
            if flexible {
                try buffer.readTaggedFields("JoinGroupResponse.members")
            }
            return member
        }
        if flexible {
            try buffer.readTaggedFields("JoinGroupResponse")
        }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = version >= 6
        if version >= 2 {
            buffer.writeInteger(self.throttleTimeMs)
        }
        buffer.writeWireErrorCode(self.errorCode)
        buffer.writeInteger(self.generationId)
        if version >= 7 {
            buffer.writeWireNullableString(self.protocolType, compact: flexible)
            buffer.writeWireNullableString(self.protocolName, compact: flexible)
        } else {
            buffer.writeWireString(self.protocolName ?? "", compact: flexible)
        }
        buffer.writeWireString(self.leader, compact: flexible)
        if version >= 9 {
            buffer.writeWireBool(self.skipAssignment)
        }
        buffer.writeWireString(self.memberId, compact: flexible)
        buffer.writeWireArray(self.members, compact: flexible) { buffer, member in
            buffer.writeWireString(member.memberId, compact: flexible)
            if version >= 5 {
                buffer.writeWireNullableString(member.groupInstanceId, compact: flexible)
            }
            buffer.writeWireBytes(member.metadata, compact: flexible)
            if flexible {
                buffer.writeEmptyTaggedFields()
            }
        }
        if flexible {
            buffer.writeEmptyTaggedFields()
        }
    }
}
