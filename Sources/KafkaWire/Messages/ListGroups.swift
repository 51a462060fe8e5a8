import NIOCore

/// ListGroups (key 16), versions 0–4, flexible from 3.
public struct ListGroupsRequest: KafkaRequestMessage {
    public typealias Response = ListGroupsResponse
    public static let apiKey = ApiKey.listGroups

    /// v4+; empty lists groups in every state.
    public var statesFilter: [String]

    public init(statesFilter: [String] = []) {
        self.statesFilter = statesFilter
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = version >= 3
        self.init()
        if version >= 4 {
            self.statesFilter = try buffer.readWireArray("ListGroupsRequest.statesFilter", compact: flexible) {
                try $0.readWireString("ListGroupsRequest.statesFilter", compact: flexible)
            }
        }
        if flexible {
            try buffer.readTaggedFields("ListGroupsRequest")
        }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = version >= 3
        if version >= 4 {
            buffer.writeWireArray(self.statesFilter, compact: flexible) { $0.writeWireString($1, compact: flexible) }
        }
        if flexible {
            buffer.writeEmptyTaggedFields()
        }
    }
}

public struct ListGroupsResponse: KafkaResponseMessage {
    public static let apiKey = ApiKey.listGroups

    public struct Group: Hashable, Sendable {
        public var groupId: String
        public var protocolType: String
        /// v4+.
        public var groupState: String

        public init(groupId: String, protocolType: String, groupState: String = "") {
            self.groupId = groupId
            self.protocolType = protocolType
            self.groupState = groupState
        }
    }

    /// v1+.
    public var throttleTimeMs: Int32
    public var errorCode: ErrorCode
    public var groups: [Group]

    public init(throttleTimeMs: Int32 = 0, errorCode: ErrorCode = .none, groups: [Group]) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.groups = groups
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = version >= 3
        self.throttleTimeMs = version >= 1 ? try buffer.readWireInt32("ListGroupsResponse.throttleTimeMs") : 0
        self.errorCode = try buffer.readWireErrorCode("ListGroupsResponse.errorCode")
        self.groups = try buffer.readWireArray("ListGroupsResponse.groups", compact: flexible) { buffer in
            var group = Group(
                groupId: try buffer.readWireString("ListGroupsResponse.groups.groupId", compact: flexible),
                protocolType: try buffer.readWireString("ListGroupsResponse.groups.protocolType", compact: flexible)
            )
            if version >= 4 {
                group.groupState = try buffer.readWireString("ListGroupsResponse.groups.groupState", compact: flexible)
            }
            if flexible {
                try buffer.readTaggedFields("ListGroupsResponse.groups")
            }
            return group
        }
        if flexible {
            try buffer.readTaggedFields("ListGroupsResponse")
        }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = version >= 3
        if version >= 1 {
            buffer.writeInteger(self.throttleTimeMs)
        }
        buffer.writeWireErrorCode(self.errorCode)
        buffer.writeWireArray(self.groups, compact: flexible) { buffer, group in
            buffer.writeWireString(group.groupId, compact: flexible)
            buffer.writeWireString(group.protocolType, compact: flexible)
            if version >= 4 {
                buffer.writeWireString(group.groupState, compact: flexible)
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
