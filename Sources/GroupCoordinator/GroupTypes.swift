/// The states of the classic Kafka group protocol; the raw values are what DescribeGroups and ListGroups
/// report.
public enum GroupState: String, Sendable, CaseIterable {
    /// No members (offsets may still be committed by simple consumers).
    case empty = "Empty"
    /// Collecting JoinGroup requests for the next generation.
    case preparingRebalance = "PreparingRebalance"
    /// The generation is formed; waiting for the leader's SyncGroup with the assignments.
    case completingRebalance = "CompletingRebalance"
    /// Every member has its assignment.
    case stable = "Stable"
    /// Deleted; a request still holding the group gets COORDINATOR_NOT_AVAILABLE and finds the new one.
    case dead = "Dead"
}

/// One protocol (assignor) a member offers, with its opaque metadata (the coordinator only relays it).
public struct GroupProtocol: Sendable, Equatable {
    public var name: String
    public var metadata: [UInt8]

    public init(name: String, metadata: [UInt8]) {
        self.name = name
        self.metadata = metadata
    }
}

/// A JoinGroup request, as the server decoded it (any version).
public struct GroupJoinRequest: Sendable, Equatable {
    /// Empty for a member joining for the first time.
    public var memberId: String
    /// KIP-345 static membership: the same for every incarnation of one consumer.
    public var groupInstanceId: String?
    public var clientId: String
    public var clientHost: String
    public var sessionTimeoutMs: Int32
    /// JoinGroup v0 has none; the server passes the session timeout then, as Kafka does.
    public var rebalanceTimeoutMs: Int32
    public var protocolType: String
    public var protocols: [GroupProtocol]
    /// True from JoinGroup v4 on (KIP-394): a new member first gets MEMBER_ID_REQUIRED and a member id.
    public var requireKnownMemberId: Bool
    /// True from JoinGroup v9 on (KIP-814): a static leader rejoining a stable group can be told to keep
    /// the current assignment instead of computing a new one.
    public var supportsSkipAssignment: Bool

    public init(
        memberId: String = "", groupInstanceId: String? = nil, clientId: String, clientHost: String = "",
        sessionTimeoutMs: Int32, rebalanceTimeoutMs: Int32, protocolType: String, protocols: [GroupProtocol],
        requireKnownMemberId: Bool = true, supportsSkipAssignment: Bool = true
    ) {
        self.memberId = memberId
        self.groupInstanceId = groupInstanceId
        self.clientId = clientId
        self.clientHost = clientHost
        self.sessionTimeoutMs = sessionTimeoutMs
        self.rebalanceTimeoutMs = rebalanceTimeoutMs
        self.protocolType = protocolType
        self.protocols = protocols
        self.requireKnownMemberId = requireKnownMemberId
        self.supportsSkipAssignment = supportsSkipAssignment
    }
}

/// A member as the leader sees it in its JoinGroup response.
public struct JoinedMember: Sendable, Equatable {
    public var memberId: String
    public var groupInstanceId: String?
    public var metadata: [UInt8]

    public init(memberId: String, groupInstanceId: String?, metadata: [UInt8]) {
        self.memberId = memberId
        self.groupInstanceId = groupInstanceId
        self.metadata = metadata
    }
}

/// A JoinGroup response.
public struct JoinGroupResult: Sendable, Equatable {
    public var errorCode: GroupErrorCode
    public var generationId: Int32
    public var protocolType: String?
    public var protocolName: String?
    public var leaderId: String
    /// True when a static leader rejoined a stable group and must not compute a new assignment.
    public var skipAssignment: Bool
    /// The member's id; on MEMBER_ID_REQUIRED the id to rejoin with.
    public var memberId: String
    /// Every member's metadata for the chosen protocol; only the leader gets them.
    public var members: [JoinedMember]

    public init(
        errorCode: GroupErrorCode, generationId: Int32, protocolType: String?, protocolName: String?,
        leaderId: String, skipAssignment: Bool, memberId: String, members: [JoinedMember]
    ) {
        self.errorCode = errorCode
        self.generationId = generationId
        self.protocolType = protocolType
        self.protocolName = protocolName
        self.leaderId = leaderId
        self.skipAssignment = skipAssignment
        self.memberId = memberId
        self.members = members
    }

    public static func failure(_ errorCode: GroupErrorCode, memberId: String = "") -> JoinGroupResult {
        JoinGroupResult(
            errorCode: errorCode, generationId: -1, protocolType: nil, protocolName: nil, leaderId: "",
            skipAssignment: false, memberId: memberId, members: []
        )
    }
}

/// One member's assignment in the leader's SyncGroup request.
public struct MemberAssignment: Sendable, Equatable {
    public var memberId: String
    public var assignment: [UInt8]

    public init(memberId: String, assignment: [UInt8]) {
        self.memberId = memberId
        self.assignment = assignment
    }
}

/// A SyncGroup request.
public struct GroupSyncRequest: Sendable, Equatable {
    public var memberId: String
    public var generationId: Int32
    public var groupInstanceId: String?
    /// SyncGroup v5+: checked against the group's when present.
    public var protocolType: String?
    public var protocolName: String?
    /// Only the leader's are used.
    public var assignments: [MemberAssignment]

    public init(
        memberId: String, generationId: Int32, groupInstanceId: String? = nil, protocolType: String? = nil,
        protocolName: String? = nil, assignments: [MemberAssignment] = []
    ) {
        self.memberId = memberId
        self.generationId = generationId
        self.groupInstanceId = groupInstanceId
        self.protocolType = protocolType
        self.protocolName = protocolName
        self.assignments = assignments
    }
}

/// A SyncGroup response.
public struct SyncGroupResult: Sendable, Equatable {
    public var errorCode: GroupErrorCode
    public var protocolType: String?
    public var protocolName: String?
    public var assignment: [UInt8]

    public init(errorCode: GroupErrorCode, protocolType: String?, protocolName: String?, assignment: [UInt8]) {
        self.errorCode = errorCode
        self.protocolType = protocolType
        self.protocolName = protocolName
        self.assignment = assignment
    }

    public static func failure(_ errorCode: GroupErrorCode) -> SyncGroupResult {
        SyncGroupResult(errorCode: errorCode, protocolType: nil, protocolName: nil, assignment: [])
    }
}

/// A Heartbeat request.
public struct GroupHeartbeatRequest: Sendable, Equatable {
    public var memberId: String
    public var generationId: Int32
    public var groupInstanceId: String?

    public init(memberId: String, generationId: Int32, groupInstanceId: String? = nil) {
        self.memberId = memberId
        self.generationId = generationId
        self.groupInstanceId = groupInstanceId
    }
}

/// One member named in a LeaveGroup request: v0–v2 name one member id; v3+ a batch, where a static
/// member is named by its instance id (its member id may be empty).
public struct LeavingMember: Sendable, Equatable {
    public var memberId: String
    public var groupInstanceId: String?

    public init(memberId: String, groupInstanceId: String? = nil) {
        self.memberId = memberId
        self.groupInstanceId = groupInstanceId
    }
}

/// The outcome for one member of a LeaveGroup request.
public struct LeftMember: Sendable, Equatable {
    public var memberId: String
    public var groupInstanceId: String?
    public var errorCode: GroupErrorCode

    public init(memberId: String, groupInstanceId: String?, errorCode: GroupErrorCode) {
        self.memberId = memberId
        self.groupInstanceId = groupInstanceId
        self.errorCode = errorCode
    }
}

/// A LeaveGroup response: v0–v2 answer `members[0].errorCode` as the top-level error.
public struct LeaveGroupResult: Sendable, Equatable {
    public var errorCode: GroupErrorCode
    public var members: [LeftMember]

    public init(errorCode: GroupErrorCode, members: [LeftMember]) {
        self.errorCode = errorCode
        self.members = members
    }
}

/// One member in a DescribeGroups response.
public struct MemberDescription: Sendable, Equatable {
    public var memberId: String
    public var groupInstanceId: String?
    public var clientId: String
    public var clientHost: String
    /// The metadata for the chosen protocol; empty unless the group is stable (as Kafka answers).
    public var metadata: [UInt8]
    /// Empty unless the group is stable.
    public var assignment: [UInt8]
}

/// A DescribeGroups entry.
public struct GroupDescription: Sendable, Equatable {
    public var groupId: String
    public var errorCode: GroupErrorCode
    public var state: GroupState
    public var protocolType: String
    /// Only while stable, as Kafka answers.
    public var protocolName: String
    public var members: [MemberDescription]

    /// The answer for a group the coordinator does not hold: Kafka describes it as Dead with no error.
    static func unknown(_ groupId: String, errorCode: GroupErrorCode = .none) -> GroupDescription {
        GroupDescription(
            groupId: groupId, errorCode: errorCode, state: .dead, protocolType: "", protocolName: "", members: []
        )
    }
}

/// A ListGroups entry.
public struct GroupListing: Sendable, Equatable {
    public var groupId: String
    public var protocolType: String
    public var state: GroupState
}

/// What the caller of a `GroupStateMachine` method must do; the state machine never calls back.
public enum GroupAction: Sendable, Equatable {
    /// Answer the JoinGroup request being handled now.
    case replyJoin(JoinGroupResult)
    /// Answer the SyncGroup request being handled now.
    case replySync(SyncGroupResult)
    /// Keep the JoinGroup request being handled until a `completeJoin` for this member.
    case awaitJoin(memberId: String)
    /// Keep the SyncGroup request being handled until a `completeSync` for this member.
    case awaitSync(memberId: String)
    /// Answer the JoinGroup request kept for this member.
    case completeJoin(memberId: String, JoinGroupResult)
    /// Answer the SyncGroup request kept for this member.
    case completeSync(memberId: String, SyncGroupResult)
}
