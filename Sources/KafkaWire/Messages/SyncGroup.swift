import NIOCore

/// SyncGroup (key 14), versions 0–5, flexible from 4. Assignments stay opaque bytes.
public struct SyncGroupRequest: KafkaRequestMessage {
    public typealias Response = SyncGroupResponse
    public static let apiKey = ApiKey.syncGroup

    public struct Assignment: Equatable, Sendable {
        public var memberId: String
        public var assignment: ByteBuffer

        public init(memberId: String, assignment: ByteBuffer) {
            self.memberId = memberId
            self.assignment = assignment
        }
    }

    public var groupId: String
    public var generationId: Int32
    public var memberId: String
    /// v3+.
    public var groupInstanceId: String?
    /// v5+.
    public var protocolType: String?
    /// v5+.
    public var protocolName: String?
    /// Only the leader sends assignments; followers send an empty array.
    public var assignments: [Assignment]

    public init(
        groupId: String,
        generationId: Int32,
        memberId: String,
        groupInstanceId: String? = nil,
        protocolType: String? = nil,
        protocolName: String? = nil,
        assignments: [Assignment] = []
    ) {
        self.groupId = groupId
        self.generationId = generationId
        self.memberId = memberId
        self.groupInstanceId = groupInstanceId
        self.protocolType = protocolType
        self.protocolName = protocolName
        self.assignments = assignments
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = version >= 4
        self.init(groupId: "", generationId: 0, memberId: "")
        self.groupId = try buffer.readWireString("SyncGroupRequest.groupId", compact: flexible)
        self.generationId = try buffer.readWireInt32("SyncGroupRequest.generationId")
        self.memberId = try buffer.readWireString("SyncGroupRequest.memberId", compact: flexible)
        if version >= 3 {
            self.groupInstanceId = try buffer.readWireNullableString("SyncGroupRequest.groupInstanceId", compact: flexible)
        }
        if version >= 5 {
            self.protocolType = try buffer.readWireNullableString("SyncGroupRequest.protocolType", compact: flexible)
            self.protocolName = try buffer.readWireNullableString("SyncGroupRequest.protocolName", compact: flexible)
        }
        self.assignments = try buffer.readWireArray("SyncGroupRequest.assignments", compact: flexible) {
            let assignment = Assignment(
                memberId: try $0.readWireString("SyncGroupRequest.assignments.memberId", compact: flexible),
                assignment: try $0.readWireBytes("SyncGroupRequest.assignments.assignment", compact: flexible)
            )
            if flexible {
                try $0.readTaggedFields("SyncGroupRequest.assignments")
            }
            return assignment
        }
        if flexible {
            try buffer.readTaggedFields("SyncGroupRequest")
        }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = version >= 4
        buffer.writeWireString(self.groupId, compact: flexible)
        buffer.writeInteger(self.generationId)
        buffer.writeWireString(self.memberId, compact: flexible)
        if version >= 3 {
            buffer.writeWireNullableString(self.groupInstanceId, compact: flexible)
        }
        if version >= 5 {
            buffer.writeWireNullableString(self.protocolType, compact: flexible)
            buffer.writeWireNullableString(self.protocolName, compact: flexible)
        }
        buffer.writeWireArray(self.assignments, compact: flexible) { buffer, assignment in
            buffer.writeWireString(assignment.memberId, compact: flexible)
            buffer.writeWireBytes(assignment.assignment, compact: flexible)
            if flexible {
                buffer.writeEmptyTaggedFields()
            }
        }
        if flexible {
            buffer.writeEmptyTaggedFields()
        }
    }
}

public struct SyncGroupResponse: KafkaResponseMessage {
    public static let apiKey = ApiKey.syncGroup

    /// v1+.
    public var throttleTimeMs: Int32
    public var errorCode: ErrorCode
    /// v5+.
    public var protocolType: String?
    /// v5+.
    public var protocolName: String?
    public var assignment: ByteBuffer

    public init(
        throttleTimeMs: Int32 = 0,
        errorCode: ErrorCode = .none,
        protocolType: String? = nil,
        protocolName: String? = nil,
        assignment: ByteBuffer
    ) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.protocolType = protocolType
        self.protocolName = protocolName
        self.assignment = assignment
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = version >= 4
        self.init(assignment: ByteBuffer())
        if version >= 1 {
            self.throttleTimeMs = try buffer.readWireInt32("SyncGroupResponse.throttleTimeMs")
        }
        self.errorCode = try buffer.readWireErrorCode("SyncGroupResponse.errorCode")
        if version >= 5 {
            self.protocolType = try buffer.readWireNullableString("SyncGroupResponse.protocolType", compact: flexible)
            self.protocolName = try buffer.readWireNullableString("SyncGroupResponse.protocolName", compact: flexible)
        }
        self.assignment = try buffer.readWireBytes("SyncGroupResponse.assignment", compact: flexible)
        if flexible {
            try buffer.readTaggedFields("SyncGroupResponse")
        }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = version >= 4
        if version >= 1 {
            buffer.writeInteger(self.throttleTimeMs)
        }
        buffer.writeWireErrorCode(self.errorCode)
        if version >= 5 {
            buffer.writeWireNullableString(self.protocolType, compact: flexible)
            buffer.writeWireNullableString(self.protocolName, compact: flexible)
        }
        buffer.writeWireBytes(self.assignment, compact: flexible)
        if flexible {
            buffer.writeEmptyTaggedFields()
        }
    }
}
