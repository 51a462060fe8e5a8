import NIOCore

/// DescribeGroups (key 15), versions 0–5, flexible from 5.
public struct DescribeGroupsRequest: KafkaRequestMessage {
    public typealias Response = DescribeGroupsResponse
    public static let apiKey = ApiKey.describeGroups

    public var groups: [String]
    /// v3+.
    public var includeAuthorizedOperations: Bool

    public init(groups: [String], includeAuthorizedOperations: Bool = false) {
        self.groups = groups
        self.includeAuthorizedOperations = includeAuthorizedOperations
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = version >= 5
        self.groups = try buffer.readWireArray("DescribeGroupsRequest.groups", compact: flexible) {
            try $0.readWireString("DescribeGroupsRequest.groups", compact: flexible)
        }
        self.includeAuthorizedOperations = version >= 3
            ? try buffer.readWireBool("DescribeGroupsRequest.includeAuthorizedOperations") : false
        if flexible {
            try buffer.readTaggedFields("DescribeGroupsRequest")
        }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = version >= 5
        buffer.writeWireArray(self.groups, compact: flexible) { $0.writeWireString($1, compact: flexible) }
        if version >= 3 {
            buffer.writeWireBool(self.includeAuthorizedOperations)
        }
        if flexible {
            buffer.writeEmptyTaggedFields()
        }
    }
}

public struct DescribeGroupsResponse: KafkaResponseMessage {
    public static let apiKey = ApiKey.describeGroups

    public struct Member: Equatable, Sendable {
        public var memberId: String
        /// v4+.
        public var groupInstanceId: String?
        public var clientId: String
        public var clientHost: String
        public var memberMetadata: ByteBuffer
        public var memberAssignment: ByteBuffer

        public init(
            memberId: String,
            groupInstanceId: String? = nil,
            clientId: String,
            clientHost: String,
            memberMetadata: ByteBuffer,
            memberAssignment: ByteBuffer
        ) {
            self.memberId = memberId
            self.groupInstanceId = groupInstanceId
            self.clientId = clientId
            self.clientHost = clientHost
            self.memberMetadata = memberMetadata
            self.memberAssignment = memberAssignment
        }
    }

    public struct Group: Equatable, Sendable {
        public var errorCode: ErrorCode
        public var groupId: String
        public var groupState: String
        public var protocolType: String
        public var protocolData: String
        public var members: [Member]
        /// v3+.
        public var authorizedOperations: Int32

        public init(
            errorCode: ErrorCode = .none,
            groupId: String,
            groupState: String,
            protocolType: String,
            protocolData: String,
            members: [Member],
            authorizedOperations: Int32 = Int32.min
        ) {
            self.errorCode = errorCode
            self.groupId = groupId
            self.groupState = groupState
            self.protocolType = protocolType
            self.protocolData = protocolData
            self.members = members
            self.authorizedOperations = authorizedOperations
        }
    }

    /// v1+.
    public var throttleTimeMs: Int32
    public var groups: [Group]

    public init(throttleTimeMs: Int32 = 0, groups: [Group]) {
        self.throttleTimeMs = throttleTimeMs
        self.groups = groups
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = version >= 5
        self.throttleTimeMs = version >= 1 ? try buffer.readWireInt32("DescribeGroupsResponse.throttleTimeMs") : 0
        self.groups = try buffer.readWireArray("DescribeGroupsResponse.groups", compact: flexible) { buffer in
            var group = Group(
                errorCode: try buffer.readWireErrorCode("DescribeGroupsResponse.groups.errorCode"),
                groupId: try buffer.readWireString("DescribeGroupsResponse.groups.groupId", compact: flexible),
                groupState: try buffer.readWireString("DescribeGroupsResponse.groups.groupState", compact: flexible),
                protocolType: try buffer.readWireString("DescribeGroupsResponse.groups.protocolType", compact: flexible),
                protocolData: try buffer.readWireString("DescribeGroupsResponse.groups.protocolData", compact: flexible),
                members: []
            )
            group.members = try buffer.readWireArray("DescribeGroupsResponse.members", compact: flexible) { buffer in
                let memberId = try buffer.readWireString("DescribeGroupsResponse.members.memberId", compact: flexible)
                let groupInstanceId = version >= 4
                    ? try buffer.readWireNullableString("DescribeGroupsResponse.members.groupInstanceId", compact: flexible)
                    : nil
                let member = Member(
                    memberId: memberId,
                    groupInstanceId: groupInstanceId,
                    clientId: try buffer.readWireString("DescribeGroupsResponse.members.clientId", compact: flexible),
                    clientHost: try buffer.readWireString("DescribeGroupsResponse.members.clientHost", compact: flexible),
                    memberMetadata: try buffer.readWireBytes("DescribeGroupsResponse.members.memberMetadata", compact: flexible),
                    memberAssignment: try buffer.readWireBytes(
                        "DescribeGroupsResponse.members.memberAssignment", compact: flexible
                    )
                )
                if flexible {
                    try buffer.readTaggedFields("DescribeGroupsResponse.members")
                }
                return member
            }
            if version >= 3 {
                group.authorizedOperations = try buffer.readWireInt32("DescribeGroupsResponse.groups.authorizedOperations")
            }
            if flexible {
                try buffer.readTaggedFields("DescribeGroupsResponse.groups")
            }
            return group
        }
        if flexible {
            try buffer.readTaggedFields("DescribeGroupsResponse")
        }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = version >= 5
        if version >= 1 {
            buffer.writeInteger(self.throttleTimeMs)
        }
        buffer.writeWireArray(self.groups, compact: flexible) { buffer, group in
            buffer.writeWireErrorCode(group.errorCode)
            buffer.writeWireString(group.groupId, compact: flexible)
            buffer.writeWireString(group.groupState, compact: flexible)
            buffer.writeWireString(group.protocolType, compact: flexible)
            buffer.writeWireString(group.protocolData, compact: flexible)
            buffer.writeWireArray(group.members, compact: flexible) { buffer, member in
                buffer.writeWireString(member.memberId, compact: flexible)
                if version >= 4 {
                    buffer.writeWireNullableString(member.groupInstanceId, compact: flexible)
                }
                buffer.writeWireString(member.clientId, compact: flexible)
                buffer.writeWireString(member.clientHost, compact: flexible)
                buffer.writeWireBytes(member.memberMetadata, compact: flexible)
                buffer.writeWireBytes(member.memberAssignment, compact: flexible)
                if flexible {
                    buffer.writeEmptyTaggedFields()
                }
            }
            if version >= 3 {
                buffer.writeInteger(group.authorizedOperations)
            }
            if flexible {
                buffer.writeEmptyTaggedFields()
            }
        }
        if flexible {
            buffer.writeEmptyTaggedFields()
        }
    }
}
