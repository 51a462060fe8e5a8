import NIOCore

/// Every request the broker can decode, for a single switch in the connection handler.
public enum KafkaRequest: Equatable, Sendable {
    case produce(ProduceRequest)
    case fetch(FetchRequest)
    case listOffsets(ListOffsetsRequest)
    case metadata(MetadataRequest)
    case apiVersions(ApiVersionsRequest)
    case createTopics(CreateTopicsRequest)
    case deleteTopics(DeleteTopicsRequest)
    case describeConfigs(DescribeConfigsRequest)
    case alterConfigs(AlterConfigsRequest)
    case incrementalAlterConfigs(IncrementalAlterConfigsRequest)
    case findCoordinator(FindCoordinatorRequest)
    case joinGroup(JoinGroupRequest)
    case syncGroup(SyncGroupRequest)
    case heartbeat(HeartbeatRequest)
    case leaveGroup(LeaveGroupRequest)
    case offsetCommit(OffsetCommitRequest)
    case offsetFetch(OffsetFetchRequest)
    case describeGroups(DescribeGroupsRequest)
    case listGroups(ListGroupsRequest)
    case deleteGroups(DeleteGroupsRequest)
    case initProducerId(InitProducerIdRequest)
    case addPartitionsToTxn(AddPartitionsToTxnRequest)
    case addOffsetsToTxn(AddOffsetsToTxnRequest)
    case endTxn(EndTxnRequest)
    case txnOffsetCommit(TxnOffsetCommitRequest)
    case saslHandshake(SaslHandshakeRequest)
    case saslAuthenticate(SaslAuthenticateRequest)
    case describeUserScramCredentials(DescribeUserScramCredentialsRequest)
    case alterUserScramCredentials(AlterUserScramCredentialsRequest)
    case describeAcls(DescribeAclsRequest)
    case createAcls(CreateAclsRequest)
    case deleteAcls(DeleteAclsRequest)
    case createPartitions(CreatePartitionsRequest)
    case deleteRecords(DeleteRecordsRequest)
    case offsetForLeaderEpoch(OffsetForLeaderEpochRequest)
    case describeLogDirs(DescribeLogDirsRequest)
    case offsetDelete(OffsetDeleteRequest)
    case describeProducers(DescribeProducersRequest)
    /// An API key Sluice does not implement (unknown, or known but not in `SupportedApis`).
    case unsupported(apiKey: Int16)

    /// Decodes the body that follows `header` in a frame. Throws `KafkaWireError` with code
    /// `.unsupportedVersion` for a version outside `SupportedApis` (the broker answers an ApiVersions
    /// request of that kind with `ApiVersionsResponse.encodeUnsupportedVersionReply` and closes the
    /// connection otherwise), and other codes for malformed bodies, including bytes left over.
    public static func decode(header: RequestHeader, body: inout ByteBuffer) throws -> KafkaRequest {
        guard let apiKey = ApiKey(rawValue: header.apiKey), let range = SupportedApis.range(for: apiKey) else {
            return .unsupported(apiKey: header.apiKey)
        }
        guard range.contains(header.apiVersion) else {
            throw KafkaWireError.unsupportedVersion(apiKey: header.apiKey, apiVersion: header.apiVersion)
        }
        let version = header.apiVersion
        switch apiKey {
        case .produce: return .produce(try .decodeWhole(from: &body, version: version))
        case .fetch: return .fetch(try .decodeWhole(from: &body, version: version))
        case .listOffsets: return .listOffsets(try .decodeWhole(from: &body, version: version))
        case .metadata: return .metadata(try .decodeWhole(from: &body, version: version))
        case .apiVersions: return .apiVersions(try .decodeWhole(from: &body, version: version))
        case .createTopics: return .createTopics(try .decodeWhole(from: &body, version: version))
        case .deleteTopics: return .deleteTopics(try .decodeWhole(from: &body, version: version))
        case .describeConfigs: return .describeConfigs(try .decodeWhole(from: &body, version: version))
        case .alterConfigs: return .alterConfigs(try .decodeWhole(from: &body, version: version))
        case .incrementalAlterConfigs:
            return .incrementalAlterConfigs(try .decodeWhole(from: &body, version: version))
        case .findCoordinator: return .findCoordinator(try .decodeWhole(from: &body, version: version))
        case .joinGroup: return .joinGroup(try .decodeWhole(from: &body, version: version))
        case .syncGroup: return .syncGroup(try .decodeWhole(from: &body, version: version))
        case .heartbeat: return .heartbeat(try .decodeWhole(from: &body, version: version))
        case .leaveGroup: return .leaveGroup(try .decodeWhole(from: &body, version: version))
        case .offsetCommit: return .offsetCommit(try .decodeWhole(from: &body, version: version))
        case .offsetFetch: return .offsetFetch(try .decodeWhole(from: &body, version: version))
        case .describeGroups: return .describeGroups(try .decodeWhole(from: &body, version: version))
        case .listGroups: return .listGroups(try .decodeWhole(from: &body, version: version))
        case .deleteGroups: return .deleteGroups(try .decodeWhole(from: &body, version: version))
        case .initProducerId: return .initProducerId(try .decodeWhole(from: &body, version: version))
        case .addPartitionsToTxn: return .addPartitionsToTxn(try .decodeWhole(from: &body, version: version))
        case .addOffsetsToTxn: return .addOffsetsToTxn(try .decodeWhole(from: &body, version: version))
        case .endTxn: return .endTxn(try .decodeWhole(from: &body, version: version))
        case .txnOffsetCommit: return .txnOffsetCommit(try .decodeWhole(from: &body, version: version))
        case .saslHandshake: return .saslHandshake(try .decodeWhole(from: &body, version: version))
        case .saslAuthenticate: return .saslAuthenticate(try .decodeWhole(from: &body, version: version))
        case .describeUserScramCredentials:
            return .describeUserScramCredentials(try .decodeWhole(from: &body, version: version))
        case .alterUserScramCredentials: return .alterUserScramCredentials(try .decodeWhole(from: &body, version: version))
        case .describeAcls: return .describeAcls(try .decodeWhole(from: &body, version: version))
        case .createAcls: return .createAcls(try .decodeWhole(from: &body, version: version))
        case .deleteAcls: return .deleteAcls(try .decodeWhole(from: &body, version: version))
        case .createPartitions: return .createPartitions(try .decodeWhole(from: &body, version: version))
        case .deleteRecords: return .deleteRecords(try .decodeWhole(from: &body, version: version))
        case .offsetForLeaderEpoch: return .offsetForLeaderEpoch(try .decodeWhole(from: &body, version: version))
        case .describeLogDirs: return .describeLogDirs(try .decodeWhole(from: &body, version: version))
        case .offsetDelete: return .offsetDelete(try .decodeWhole(from: &body, version: version))
        case .describeProducers: return .describeProducers(try .decodeWhole(from: &body, version: version))
        }
    }

    /// Reads the header and then the body of one frame (as produced by `KafkaFrameParser`).
    public static func decode(frame: inout ByteBuffer) throws -> (header: RequestHeader, request: KafkaRequest) {
        let header = try RequestHeader(from: &frame)
        return (header, try self.decode(header: header, body: &frame))
    }
}
