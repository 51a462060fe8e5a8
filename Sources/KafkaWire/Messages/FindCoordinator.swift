import NIOCore

/// FindCoordinator (key 10), versions 0–4, flexible from 3. v4 batches several keys.
public struct FindCoordinatorRequest: KafkaRequestMessage {
    public typealias Response = FindCoordinatorResponse
    public static let apiKey = ApiKey.findCoordinator

    public static let keyTypeGroup: Int8 = 0
    public static let keyTypeTransaction: Int8 = 1

    /// v0–3.
    public var key: String
    /// v1+.
    public var keyType: Int8
    /// v4+.
    public var coordinatorKeys: [String]

    public init(key: String = "", keyType: Int8 = FindCoordinatorRequest.keyTypeGroup, coordinatorKeys: [String] = []) {
        self.key = key
        self.keyType = keyType
        self.coordinatorKeys = coordinatorKeys
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = version >= 3
        self.init()
        if version <= 3 {
            self.key = try buffer.readWireString("FindCoordinatorRequest.key", compact: flexible)
        }
        if version >= 1 {
            self.keyType = try buffer.readWireInt8("FindCoordinatorRequest.keyType")
        }
        if version >= 4 {
            self.coordinatorKeys = try buffer.readWireArray("FindCoordinatorRequest.coordinatorKeys", compact: flexible) {
                try $0.readWireString("FindCoordinatorRequest.coordinatorKeys", compact: flexible)
            }
        }
        if flexible {
            try buffer.readTaggedFields("FindCoordinatorRequest")
        }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = version >= 3
        if version <= 3 {
            buffer.writeWireString(self.key, compact: flexible)
        }
        if version >= 1 {
            buffer.writeInteger(self.keyType)
        }
        if version >= 4 {
            buffer.writeWireArray(self.coordinatorKeys, compact: flexible) { $0.writeWireString($1, compact: flexible) }
        }
        if flexible {
            buffer.writeEmptyTaggedFields()
        }
    }
}

public struct FindCoordinatorResponse: KafkaResponseMessage {
    public static let apiKey = ApiKey.findCoordinator

    public struct Coordinator: Hashable, Sendable {
        public var key: String
        public var nodeId: Int32
        public var host: String
        public var port: Int32
        public var errorCode: ErrorCode
        public var errorMessage: String?

        public init(key: String, nodeId: Int32, host: String, port: Int32, errorCode: ErrorCode = .none, errorMessage: String? = nil) {
            self.key = key
            self.nodeId = nodeId
            self.host = host
            self.port = port
            self.errorCode = errorCode
            self.errorMessage = errorMessage
        }
    }

    /// v1+.
    public var throttleTimeMs: Int32
    /// v0–3.
    public var errorCode: ErrorCode
    /// v1–3.
    public var errorMessage: String?
    /// v0–3.
    public var nodeId: Int32
    /// v0–3.
    public var host: String
    /// v0–3.
    public var port: Int32
    /// v4+.
    public var coordinators: [Coordinator]

    public init(
        throttleTimeMs: Int32 = 0,
        errorCode: ErrorCode = .none,
        errorMessage: String? = nil,
        nodeId: Int32 = 0,
        host: String = "",
        port: Int32 = 0,
        coordinators: [Coordinator] = []
    ) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.errorMessage = errorMessage
        self.nodeId = nodeId
        self.host = host
        self.port = port
        self.coordinators = coordinators
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = version >= 3
        self.init()
        if version >= 1 {
            self.throttleTimeMs = try buffer.readWireInt32("FindCoordinatorResponse.throttleTimeMs")
        }
        if version <= 3 {
            self.errorCode = try buffer.readWireErrorCode("FindCoordinatorResponse.errorCode")
            if version >= 1 {
                self.errorMessage = try buffer.readWireNullableString("FindCoordinatorResponse.errorMessage", compact: flexible)
            }
            self.nodeId = try buffer.readWireInt32("FindCoordinatorResponse.nodeId")
            self.host = try buffer.readWireString("FindCoordinatorResponse.host", compact: flexible)
            self.port = try buffer.readWireInt32("FindCoordinatorResponse.port")
        } else {
            self.coordinators = try buffer.readWireArray("FindCoordinatorResponse.coordinators", compact: flexible) {
                let coordinator = Coordinator(
                    key: try $0.readWireString("FindCoordinatorResponse.coordinators.key", compact: flexible),
                    nodeId: try $0.readWireInt32("FindCoordinatorResponse.coordinators.nodeId"),
                    host: try $0.readWireString("FindCoordinatorResponse.coordinators.host", compact: flexible),
                    port: try $0.readWireInt32("FindCoordinatorResponse.coordinators.port"),
                    errorCode: try $0.readWireErrorCode("FindCoordinatorResponse.coordinators.errorCode"),
                    errorMessage: try $0.readWireNullableString("FindCoordinatorResponse.coordinators.errorMessage", compact: flexible)
                )
                try $0.readTaggedFields("FindCoordinatorResponse.coordinators")
                return coordinator
            }
        }
        if flexible {
            try buffer.readTaggedFields("FindCoordinatorResponse")
        }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = version >= 3
        if version >= 1 {
            buffer.writeInteger(self.throttleTimeMs)
        }
        if version <= 3 {
            buffer.writeWireErrorCode(self.errorCode)
            if version >= 1 {
                buffer.writeWireNullableString(self.errorMessage, compact: flexible)
            }
            buffer.writeInteger(self.nodeId)
            buffer.writeWireString(self.host, compact: flexible)
            buffer.writeInteger(self.port)
        } else {
            buffer.writeWireArray(self.coordinators, compact: flexible) { buffer, coordinator in
                buffer.writeWireString(coordinator.key, compact: flexible)
                buffer.writeInteger(coordinator.nodeId)
                buffer.writeWireString(coordinator.host, compact: flexible)
                buffer.writeInteger(coordinator.port)
                buffer.writeWireErrorCode(coordinator.errorCode)
                buffer.writeWireNullableString(coordinator.errorMessage, compact: flexible)
                buffer.writeEmptyTaggedFields()
            }
        }
        if flexible {
            buffer.writeEmptyTaggedFields()
        }
    }
}
