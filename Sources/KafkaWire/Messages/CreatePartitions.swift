import NIOCore

/// CreatePartitions (key 37), versions 0–3, flexible from 2. Grows topics; never shrinks them.
public struct CreatePartitionsRequest: KafkaRequestMessage {
    public typealias Response = CreatePartitionsResponse
    public static let apiKey = ApiKey.createPartitions

    public struct Topic: Hashable, Sendable {
        public var name: String
        /// The new total partition count.
        public var count: Int32
        /// The broker ids of each new partition's replicas; nil lets the broker choose.
        public var assignments: [[Int32]]?

        public init(name: String, count: Int32, assignments: [[Int32]]? = nil) {
            self.name = name
            self.count = count
            self.assignments = assignments
        }
    }

    public var topics: [Topic]
    public var timeoutMs: Int32
    public var validateOnly: Bool

    public init(topics: [Topic], timeoutMs: Int32 = 30_000, validateOnly: Bool = false) {
        self.topics = topics
        self.timeoutMs = timeoutMs
        self.validateOnly = validateOnly
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = version >= 2
        self.topics = try buffer.readWireArray("CreatePartitionsRequest.topics", compact: flexible) { buffer in
            let name = try buffer.readWireString("CreatePartitionsRequest.topics.name", compact: flexible)
            let count = try buffer.readWireInt32("CreatePartitionsRequest.topics.count")
            let assignments = try buffer.readWireNullableArray(
                "CreatePartitionsRequest.topics.assignments", compact: flexible
            ) { buffer in
                let brokerIds = try buffer.readWireArray("CreatePartitionsRequest.assignments.brokerIds", compact: flexible) {
                    try $0.readWireInt32("CreatePartitionsRequest.assignments.brokerIds")
                }
                if flexible { try buffer.readTaggedFields("CreatePartitionsRequest.assignments") }
                return brokerIds
            }
            if flexible { try buffer.readTaggedFields("CreatePartitionsRequest.topics") }
            return Topic(name: name, count: count, assignments: assignments)
        }
        self.timeoutMs = try buffer.readWireInt32("CreatePartitionsRequest.timeoutMs")
        self.validateOnly = try buffer.readWireBool("CreatePartitionsRequest.validateOnly")
        if flexible { try buffer.readTaggedFields("CreatePartitionsRequest") }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = version >= 2
        buffer.writeWireArray(self.topics, compact: flexible) { buffer, topic in
            buffer.writeWireString(topic.name, compact: flexible)
            buffer.writeInteger(topic.count)
            buffer.writeWireNullableArray(topic.assignments, compact: flexible) { buffer, brokerIds in
                buffer.writeWireArray(brokerIds, compact: flexible) { $0.writeInteger($1) }
                if flexible { buffer.writeEmptyTaggedFields() }
            }
            if flexible { buffer.writeEmptyTaggedFields() }
        }
        buffer.writeInteger(self.timeoutMs)
        buffer.writeWireBool(self.validateOnly)
        if flexible { buffer.writeEmptyTaggedFields() }
    }
}

public struct CreatePartitionsResponse: KafkaResponseMessage {
    public static let apiKey = ApiKey.createPartitions

    public struct Result: Hashable, Sendable {
        public var name: String
        public var errorCode: ErrorCode
        public var errorMessage: String?

        public init(name: String, errorCode: ErrorCode = .none, errorMessage: String? = nil) {
            self.name = name
            self.errorCode = errorCode
            self.errorMessage = errorMessage
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
        self.throttleTimeMs = try buffer.readWireInt32("CreatePartitionsResponse.throttleTimeMs")
        self.results = try buffer.readWireArray("CreatePartitionsResponse.results", compact: flexible) { buffer in
            let result = Result(
                name: try buffer.readWireString("CreatePartitionsResponse.results.name", compact: flexible),
                errorCode: try buffer.readWireErrorCode("CreatePartitionsResponse.results.errorCode"),
                errorMessage: try buffer.readWireNullableString(
                    "CreatePartitionsResponse.results.errorMessage", compact: flexible
                )
            )
            if flexible { try buffer.readTaggedFields("CreatePartitionsResponse.results") }
            return result
        }
        if flexible { try buffer.readTaggedFields("CreatePartitionsResponse") }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = version >= 2
        buffer.writeInteger(self.throttleTimeMs)
        buffer.writeWireArray(self.results, compact: flexible) { buffer, result in
            buffer.writeWireString(result.name, compact: flexible)
            buffer.writeWireErrorCode(result.errorCode)
            buffer.writeWireNullableString(result.errorMessage, compact: flexible)
            if flexible { buffer.writeEmptyTaggedFields() }
        }
        if flexible { buffer.writeEmptyTaggedFields() }
    }
}
