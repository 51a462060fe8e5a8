import NIOCore

/// LeaveGroup (key 13), versions 0–5, flexible from 4. Up to v2 one member leaves; from v3 a batch.
public struct LeaveGroupRequest: KafkaRequestMessage {
    public typealias Response = LeaveGroupResponse
    public static let apiKey = ApiKey.leaveGroup

    public struct Member: Hashable, Sendable {
        public var memberId: String
        public var groupInstanceId: String?
        /// v5+.
        public var reason: String?

        public init(memberId: String, groupInstanceId: String? = nil, reason: String? = nil) {
            self.memberId = memberId
            self.groupInstanceId = groupInstanceId
            self.reason = reason
        }
    }

    public var groupId: String
    /// v0–2.
    public var memberId: String
    /// v3+.
    public var members: [Member]

    public init(groupId: String, memberId: String = "", members: [Member] = []) {
        self.groupId = groupId
        self.memberId = memberId
        self.members = members
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = version >= 4
        self.init(groupId: try buffer.readWireString("LeaveGroupRequest.groupId", compact: flexible))
        if version <= 2 {
            self.memberId = try buffer.readWireString("LeaveGroupRequest.memberId", compact: flexible)
        } else {
            self.members = try buffer.readWireArray("LeaveGroupRequest.members", compact: flexible) { buffer in
                var member = Member(
                    memberId: try buffer.readWireString("LeaveGroupRequest.members.memberId", compact: flexible),
                    groupInstanceId: try buffer.readWireNullableString(
                        "LeaveGroupRequest.members.groupInstanceId", compact: flexible
                    )
                )
                if version >= 5 {
                    member.reason = try buffer.readWireNullableString("LeaveGroupRequest.members.reason", compact: flexible)
                }
                if flexible {
                    try buffer.readTaggedFields("LeaveGroupRequest.members")
                }
                return member
            }
        }
        if flexible {
            try buffer.readTaggedFields("LeaveGroupRequest")
        }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = version >= 4
        buffer.writeWireString(self.groupId, compact: flexible)
        if version <= 2 {
            buffer.writeWireString(self.memberId, compact: flexible)
        } else {
            buffer.writeWireArray(self.members, compact: flexible) { buffer, member in
                buffer.writeWireString(member.memberId, compact: flexible)
                buffer.writeWireNullableString(member.groupInstanceId, compact: flexible)
                if version >= 5 {
                    buffer.writeWireNullableString(member.reason, compact: flexible)
                }
                if flexible {
                    buffer.writeEmptyTaggedFields()
                }
            }
        }
        if flexible {
            buffer.writeEmptyTaggedFields()
        }
    }
}

public struct LeaveGroupResponse: KafkaResponseMessage {
    public static let apiKey = ApiKey.leaveGroup

    public struct Member: Hashable, Sendable {
        public var memberId: String
        public var groupInstanceId: String?
        public var errorCode: ErrorCode

        public init(memberId: String, groupInstanceId: String? = nil, errorCode: ErrorCode = .none) {
            self.memberId = memberId
            self.groupInstanceId = groupInstanceId
            self.errorCode = errorCode
        }
    }

    /// v1+.
    public var throttleTimeMs: Int32
    public var errorCode: ErrorCode
    /// v3+.
    public var members: [Member]

    public init(throttleTimeMs: Int32 = 0, errorCode: ErrorCode = .none, members: [Member] = []) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.members = members
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = version >= 4
        self.init()
        if version >= 1 {
            self.throttleTimeMs = try buffer.readWireInt32("LeaveGroupResponse.throttleTimeMs")
        }
        self.errorCode = try buffer.readWireErrorCode("LeaveGroupResponse.errorCode")
        if version >= 3 {
            self.members = try buffer.readWireArray("LeaveGroupResponse.members", compact: flexible) {
                let member = Member(
                    memberId: try $0.readWireString("LeaveGroupResponse.members.memberId", compact: flexible),
                    groupInstanceId: try $0.readWireNullableString("LeaveGroupResponse.members.groupInstanceId", compact: flexible),
                    errorCode: try $0.readWireErrorCode("LeaveGroupResponse.members.errorCode")
                )
                if flexible {
                    try $0.readTaggedFields("LeaveGroupResponse.members")
                }
                return member
            }
        }
        if flexible {
            try buffer.readTaggedFields("LeaveGroupResponse")
        }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = version >= 4
        if version >= 1 {
            buffer.writeInteger(self.throttleTimeMs)
        }
        buffer.writeWireErrorCode(self.errorCode)
        if version >= 3 {
            buffer.writeWireArray(self.members, compact: flexible) { buffer, member in
                buffer.writeWireString(member.memberId, compact: flexible)
                buffer.writeWireNullableString(member.groupInstanceId, compact: flexible)
                buffer.writeWireErrorCode(member.errorCode)
                if flexible {
                    buffer.writeEmptyTaggedFields()
                }
            }
        }
        if flexible {
            buffer.writeEmptyTaggedFields()
        }
    }
}
