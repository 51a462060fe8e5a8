import NIOCore

/// DeleteGroups (key 42), versions 0–2, flexible from 2.
public struct DeleteGroupsRequest: KafkaRequestMessage {
    public typealias Response = DeleteGroupsResponse
    public static let apiKey = ApiKey.deleteGroups

    public var groupsNames: [String]

    public init(groupsNames: [String]) {
        self.groupsNames = groupsNames
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = version >= 2
        self.groupsNames = try buffer.readWireArray("DeleteGroupsRequest.groupsNames", compact: flexible) {
            try $0.readWireString("DeleteGroupsRequest.groupsNames", compact: flexible)
        }
        if flexible {
            try buffer.readTaggedFields("DeleteGroupsRequest")
        }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = version >= 2
        buffer.writeWireArray(self.groupsNames, compact: flexible) { $0.writeWireString($1, compact: flexible) }
        if flexible {
            buffer.writeEmptyTaggedFields()
        }
    }
}

public struct DeleteGroupsResponse: KafkaResponseMessage {
    public static let apiKey = ApiKey.deleteGroups

    public struct Result: Hashable, Sendable {
        public var groupId: String
        public var errorCode: ErrorCode

        public init(groupId: String, errorCode: ErrorCode = .none) {
            self.groupId = groupId
            self.errorCode = errorCode
        }
    }

    public var throttleTimeMs: Int32
    public var results: [Result]

    public init(throttleTimeMs: Int32 = 0, results: [Result]) {
        self.throttleTimeMs = throttleTimeMs
        self.results = results
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = version >= 2
        self.throttleTimeMs = try buffer.readWireInt32("DeleteGroupsResponse.throttleTimeMs")
        self.results = try buffer.readWireArray("DeleteGroupsResponse.results", compact: flexible) {
            let result = Result(
                groupId: try $0.readWireString("DeleteGroupsResponse.results.groupId", compact: flexible),
                errorCode: try $0.readWireErrorCode("DeleteGroupsResponse.results.errorCode")
            )
            if flexible {
                try $0.readTaggedFields("DeleteGroupsResponse.results")
            }
            return result
        }
        if flexible {
            try buffer.readTaggedFields("DeleteGroupsResponse")
        }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = version >= 2
        buffer.writeInteger(self.throttleTimeMs)
        buffer.writeWireArray(self.results, compact: flexible) { buffer, result in
            buffer.writeWireString(result.groupId, compact: flexible)
            buffer.writeWireErrorCode(result.errorCode)
            if flexible {
                buffer.writeEmptyTaggedFields()
            }
        }
        if flexible {
            buffer.writeEmptyTaggedFields()
        }
    }
}
