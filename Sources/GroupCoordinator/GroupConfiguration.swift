/// The coordinator's settings and bounds. Every size read from a client is compared with one of these
/// before it is stored, so one client cannot make a group (or the coordinator) grow without limit.
public struct GroupConfiguration: Sendable, Equatable {
    /// Kafka's `group.min.session.timeout.ms`.
    public var sessionTimeoutMsMin: Int32 = 6000
    /// Kafka's `group.max.session.timeout.ms`.
    public var sessionTimeoutMsMax: Int32 = 1_800_000
    /// How long a new (empty) group waits for more members before its first rebalance completes (Kafka's
    /// `group.initial.rebalance.delay.ms`, 3000 there). Shorter here: a single broker mostly serves a few
    /// consumers started together, and a long delay is felt at every start.
    public var initialRebalanceDelayMs: Int64 = 300
    /// Kafka's `group.max.size`, plus the member ids handed out with MEMBER_ID_REQUIRED and not yet used.
    public var membersPerGroupMax = 1000
    /// The most groups the coordinator holds; a join that would create one more is refused.
    public var groupCountMax = 10_000
    /// The most protocols (assignors) one member may offer.
    public var protocolsPerMemberMax = 32
    /// The largest metadata of one offered protocol.
    public var protocolMetadataSizeBytesMax = 128 * 1024
    /// The largest assignment the leader may give one member.
    public var assignmentSizeBytesMax = 1024 * 1024
    /// The longest group id, instance id, client id, protocol type or protocol name.
    public var identifierLengthBytesMax = 255

    public init() {}

    /// Throws `invalidConfiguration` when a bound is not positive or the session bounds are reversed.
    public func validate() throws(GroupCoordinatorError) {
        func require(_ condition: Bool, _ message: String) throws(GroupCoordinatorError) {
            if !condition { throw GroupCoordinatorError(code: .invalidConfiguration, message: message) }
        }
        try require(self.sessionTimeoutMsMin > 0, "the minimum session timeout must be positive")
        try require(self.sessionTimeoutMsMin <= self.sessionTimeoutMsMax, "session timeout bounds are reversed")
        try require(self.initialRebalanceDelayMs >= 0, "the initial rebalance delay cannot be negative")
        try require(self.membersPerGroupMax > 0, "a group must be able to hold a member")
        try require(self.groupCountMax > 0, "the coordinator must be able to hold a group")
        try require(self.protocolsPerMemberMax > 0, "a member must be able to offer a protocol")
        try require(self.protocolMetadataSizeBytesMax > 0, "protocol metadata size bound must be positive")
        try require(self.assignmentSizeBytesMax > 0, "assignment size bound must be positive")
        try require(self.identifierLengthBytesMax > 0, "identifier length bound must be positive")
    }
}
