/// The Kafka API keys Sluice knows by name. Knowing a key does not mean implementing it: `SupportedApis`
/// lists what the broker advertises and decodes.
public enum ApiKey: Int16, CaseIterable, Sendable {
    case produce = 0
    case fetch = 1
    case listOffsets = 2
    case metadata = 3
    case offsetCommit = 8
    case offsetFetch = 9
    case findCoordinator = 10
    case joinGroup = 11
    case heartbeat = 12
    case leaveGroup = 13
    case syncGroup = 14
    case describeGroups = 15
    case listGroups = 16
    case saslHandshake = 17
    case apiVersions = 18
    case createTopics = 19
    case deleteTopics = 20
    case deleteRecords = 21
    case initProducerId = 22
    case offsetForLeaderEpoch = 23
    case addPartitionsToTxn = 24
    case addOffsetsToTxn = 25
    case endTxn = 26
    case txnOffsetCommit = 28
    case describeAcls = 29
    case createAcls = 30
    case deleteAcls = 31
    case describeConfigs = 32
    case alterConfigs = 33
    case describeLogDirs = 35
    case saslAuthenticate = 36
    case createPartitions = 37
    case deleteGroups = 42
    case incrementalAlterConfigs = 44
    case offsetDelete = 47
    case describeUserScramCredentials = 50
    case alterUserScramCredentials = 51
    case describeProducers = 61

    /// The first version that uses the flexible encoding (compact strings and arrays, tagged fields,
    /// request header v2, response header v1). A Kafka fact, independent of what Sluice supports,
    /// so that a request header of an unsupported version can still be read.
    public var firstFlexibleVersion: Int16 {
        switch self {
        case .produce: return 9
        case .fetch: return 12
        case .listOffsets: return 6
        case .metadata: return 9
        case .offsetCommit: return 8
        case .offsetFetch: return 6
        case .findCoordinator: return 3
        case .joinGroup: return 6
        case .heartbeat: return 4
        case .leaveGroup: return 4
        case .syncGroup: return 4
        case .describeGroups: return 5
        case .listGroups: return 3
        case .apiVersions: return 3
        case .createTopics: return 5
        case .deleteTopics: return 4
        case .initProducerId: return 2
        case .addPartitionsToTxn, .addOffsetsToTxn, .endTxn, .txnOffsetCommit: return 3
        case .describeConfigs: return 4
        case .alterConfigs: return 2
        case .incrementalAlterConfigs: return 1
        case .deleteGroups: return 2
        // SaslHandshake has no flexible version; Int16.max keeps every version on the classic encoding.
        case .saslHandshake: return Int16.max
        case .saslAuthenticate: return 2
        case .describeAcls, .createAcls, .deleteAcls: return 2
        case .describeUserScramCredentials, .alterUserScramCredentials: return 0
        case .deleteRecords, .describeLogDirs, .createPartitions: return 2
        case .offsetForLeaderEpoch: return 4
        case .describeProducers: return 0
        // OffsetDelete v0 is its only version and is not flexible.
        case .offsetDelete: return Int16.max
        }
    }

    public func isFlexible(_ version: Int16) -> Bool {
        version >= self.firstFlexibleVersion
    }
}
