/// The versions of one API that Sluice implements.
public struct ApiVersionRange: Hashable, Sendable {
    public let apiKey: ApiKey
    public let minVersion: Int16
    public let maxVersion: Int16

    public init(apiKey: ApiKey, minVersion: Int16, maxVersion: Int16) {
        precondition(minVersion <= maxVersion, "an empty version range")
        self.apiKey = apiKey
        self.minVersion = minVersion
        self.maxVersion = maxVersion
    }

    public var firstFlexibleVersion: Int16 { self.apiKey.firstFlexibleVersion }

    public func contains(_ version: Int16) -> Bool {
        version >= self.minVersion && version <= self.maxVersion
    }
}

/// The one table of what Sluice speaks. The broker advertises exactly these ranges in ApiVersions and
/// `KafkaRequest.decode` refuses anything outside them, so the two cannot drift apart.
public enum SupportedApis {
    public static let ranges: [ApiVersionRange] = [
        ApiVersionRange(apiKey: .produce, minVersion: 3, maxVersion: 9),
        ApiVersionRange(apiKey: .fetch, minVersion: 4, maxVersion: 12),
        ApiVersionRange(apiKey: .listOffsets, minVersion: 1, maxVersion: 9),
        ApiVersionRange(apiKey: .metadata, minVersion: 0, maxVersion: 12),
        ApiVersionRange(apiKey: .apiVersions, minVersion: 0, maxVersion: 3),
        ApiVersionRange(apiKey: .createTopics, minVersion: 2, maxVersion: 7),
        ApiVersionRange(apiKey: .deleteTopics, minVersion: 1, maxVersion: 6),
        ApiVersionRange(apiKey: .describeConfigs, minVersion: 1, maxVersion: 4),
        ApiVersionRange(apiKey: .alterConfigs, minVersion: 0, maxVersion: 2),
        ApiVersionRange(apiKey: .incrementalAlterConfigs, minVersion: 0, maxVersion: 1),
        ApiVersionRange(apiKey: .findCoordinator, minVersion: 0, maxVersion: 4),
        ApiVersionRange(apiKey: .joinGroup, minVersion: 0, maxVersion: 9),
        ApiVersionRange(apiKey: .syncGroup, minVersion: 0, maxVersion: 5),
        ApiVersionRange(apiKey: .heartbeat, minVersion: 0, maxVersion: 4),
        ApiVersionRange(apiKey: .leaveGroup, minVersion: 0, maxVersion: 5),
        ApiVersionRange(apiKey: .offsetCommit, minVersion: 2, maxVersion: 8),
        ApiVersionRange(apiKey: .offsetFetch, minVersion: 1, maxVersion: 8),
        ApiVersionRange(apiKey: .describeGroups, minVersion: 0, maxVersion: 5),
        ApiVersionRange(apiKey: .listGroups, minVersion: 0, maxVersion: 4),
        ApiVersionRange(apiKey: .deleteGroups, minVersion: 0, maxVersion: 2),
        ApiVersionRange(apiKey: .initProducerId, minVersion: 0, maxVersion: 4),
        // Transactions: the client versions (AddPartitionsToTxn 4+ is broker-to-broker).
        ApiVersionRange(apiKey: .addPartitionsToTxn, minVersion: 0, maxVersion: 3),
        ApiVersionRange(apiKey: .addOffsetsToTxn, minVersion: 0, maxVersion: 3),
        ApiVersionRange(apiKey: .endTxn, minVersion: 0, maxVersion: 3),
        ApiVersionRange(apiKey: .txnOffsetCommit, minVersion: 0, maxVersion: 3),
        ApiVersionRange(apiKey: .saslHandshake, minVersion: 0, maxVersion: 1),
        ApiVersionRange(apiKey: .saslAuthenticate, minVersion: 0, maxVersion: 2),
        ApiVersionRange(apiKey: .describeUserScramCredentials, minVersion: 0, maxVersion: 0),
        ApiVersionRange(apiKey: .alterUserScramCredentials, minVersion: 0, maxVersion: 0),
        ApiVersionRange(apiKey: .describeAcls, minVersion: 1, maxVersion: 3),
        ApiVersionRange(apiKey: .createAcls, minVersion: 1, maxVersion: 3),
        ApiVersionRange(apiKey: .deleteAcls, minVersion: 1, maxVersion: 3),
        ApiVersionRange(apiKey: .createPartitions, minVersion: 0, maxVersion: 3),
        ApiVersionRange(apiKey: .deleteRecords, minVersion: 0, maxVersion: 2),
        ApiVersionRange(apiKey: .offsetForLeaderEpoch, minVersion: 0, maxVersion: 4),
        ApiVersionRange(apiKey: .describeLogDirs, minVersion: 0, maxVersion: 4),
        ApiVersionRange(apiKey: .offsetDelete, minVersion: 0, maxVersion: 0),
        ApiVersionRange(apiKey: .describeProducers, minVersion: 0, maxVersion: 0),
    ]

    /// The supported range of `apiKey`, or nil when Sluice does not implement it.
    public static func range(for apiKey: ApiKey) -> ApiVersionRange? {
        self.ranges.first { $0.apiKey == apiKey }
    }

    public static func isSupported(apiKey: Int16, apiVersion: Int16) -> Bool {
        guard let key = ApiKey(rawValue: apiKey), let range = self.range(for: key) else {
            return false
        }
        return range.contains(apiVersion)
    }
}
