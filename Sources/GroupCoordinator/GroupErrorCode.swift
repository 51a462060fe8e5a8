/// A Kafka error code as the group APIs answer it. The numbers are Kafka's, so the server maps them 1:1
/// onto its wire codec; this module does not depend on the codec. A struct rather than an enum so that a
/// new code does not break callers that switch over the known ones.
public struct GroupErrorCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: Int16

    public init(rawValue: Int16) {
        self.rawValue = rawValue
    }

    public static let none = GroupErrorCode(rawValue: 0)
    public static let unknownTopicOrPartition = GroupErrorCode(rawValue: 3)
    public static let offsetMetadataTooLarge = GroupErrorCode(rawValue: 12)
    public static let coordinatorNotAvailable = GroupErrorCode(rawValue: 15)
    public static let illegalGeneration = GroupErrorCode(rawValue: 22)
    public static let inconsistentGroupProtocol = GroupErrorCode(rawValue: 23)
    public static let invalidGroupId = GroupErrorCode(rawValue: 24)
    public static let unknownMemberId = GroupErrorCode(rawValue: 25)
    public static let invalidSessionTimeout = GroupErrorCode(rawValue: 26)
    public static let rebalanceInProgress = GroupErrorCode(rawValue: 27)
    public static let invalidCommitOffsetSize = GroupErrorCode(rawValue: 28)
    public static let invalidRequest = GroupErrorCode(rawValue: 42)
    public static let nonEmptyGroup = GroupErrorCode(rawValue: 68)
    public static let groupIdNotFound = GroupErrorCode(rawValue: 69)
    public static let memberIdRequired = GroupErrorCode(rawValue: 79)
    public static let groupMaxSizeReached = GroupErrorCode(rawValue: 81)
    public static let fencedInstanceId = GroupErrorCode(rawValue: 82)

    public var isError: Bool { self.rawValue != 0 }

    public var description: String {
        switch self {
        case .none: return "NONE"
        case .unknownTopicOrPartition: return "UNKNOWN_TOPIC_OR_PARTITION"
        case .offsetMetadataTooLarge: return "OFFSET_METADATA_TOO_LARGE"
        case .coordinatorNotAvailable: return "COORDINATOR_NOT_AVAILABLE"
        case .illegalGeneration: return "ILLEGAL_GENERATION"
        case .inconsistentGroupProtocol: return "INCONSISTENT_GROUP_PROTOCOL"
        case .invalidGroupId: return "INVALID_GROUP_ID"
        case .unknownMemberId: return "UNKNOWN_MEMBER_ID"
        case .invalidSessionTimeout: return "INVALID_SESSION_TIMEOUT"
        case .rebalanceInProgress: return "REBALANCE_IN_PROGRESS"
        case .invalidCommitOffsetSize: return "INVALID_COMMIT_OFFSET_SIZE"
        case .invalidRequest: return "INVALID_REQUEST"
        case .nonEmptyGroup: return "NON_EMPTY_GROUP"
        case .groupIdNotFound: return "GROUP_ID_NOT_FOUND"
        case .memberIdRequired: return "MEMBER_ID_REQUIRED"
        case .groupMaxSizeReached: return "GROUP_MAX_SIZE_REACHED"
        case .fencedInstanceId: return "FENCED_INSTANCE_ID"
        default: return "error \(self.rawValue)"
        }
    }
}

/// Bad input from outside this module (a configuration out of range, a corrupt offsets record). A struct
/// with an opaque code, as `StorageError` is, so new codes do not break callers.
public struct GroupCoordinatorError: Error, Sendable, Equatable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String

        private init(_ name: String) {
            self.name = name
        }

        public static let invalidConfiguration = Code("invalidConfiguration")
        /// A record of the offsets log that Sluice cannot have written.
        public static let corruptOffsetsRecord = Code("corruptOffsetsRecord")
        /// The offsets log could not be written or read; `message` names the storage error.
        public static let storageFailure = Code("storageFailure")
        /// A commit larger than the store's bounds (too many partitions, too many groups).
        public static let tooLarge = Code("tooLarge")

        public var description: String { self.name }
    }

    public var code: Code
    public var message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(self.code): \(self.message)" }
}
