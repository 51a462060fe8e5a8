import GroupCoordinator
import KafkaWire
import Logging
import LogStore
import NIOCore
import OperatorRuntime
import SluiceModel

/// Decodes each request's header, checks its version against what Sluice implements, and hands the
/// body to the handler of its API. A request that cannot be decoded closes its connection, which is
/// what Kafka brokers do; an ApiVersions request of a version Sluice does not know gets the v0-layout
/// reply with UNSUPPORTED_VERSION and the supported ranges, so the client can retry with one it knows.
/// A request of an API key Sluice does not answer, or of a version outside the advertised range, closes
/// the connection too: Kafka does the same for such requests (it has no response to encode for a version it
/// cannot parse, and clients only send what ApiVersions advertised), see `Docs/kafka-compatibility.md`.
final class KafkaRequestRouter: Sendable {
    let logs: LogManager
    let config: BrokerConfig
    let clock: SluiceClock
    let logger: Logger
    let topics: TopicAdministration
    let groups: GroupCoordinator
    /// Producer ids for InitProducerId; one per broker (two would hand out the same ids).
    let producerIds: ProducerIdAllocator
    /// The users SASL logins are checked against.
    let credentials: ScramCredentialStore
    /// The ACLs every request is checked against when authorization is on.
    let acls: AclStore
    /// The SASL mechanisms SASL listeners offer, in the order the handshake lists them.
    let saslMechanisms: [String]
    /// The transaction coordinator; nil in tests that do not need one (transactional requests then answer
    /// COORDINATOR_NOT_AVAILABLE and transactional ids are refused as before).
    let transactions: TransactionCoordinator?

    init(
        logs: LogManager, groups: GroupCoordinator, producerIds: ProducerIdAllocator, credentials: ScramCredentialStore,
        acls: AclStore, config: BrokerConfig, clock: SluiceClock, logger: Logger, operators: OperatorRuntime? = nil,
        transactions: TransactionCoordinator? = nil
    ) {
        self.transactions = transactions
        self.logs = logs
        self.groups = groups
        self.config = config
        self.clock = clock
        self.logger = logger
        self.topics = TopicAdministration(logs: logs, config: config, logger: logger, operators: operators)
        self.producerIds = producerIds
        self.credentials = credentials
        self.acls = acls
        self.saslMechanisms = config.saslMechanisms
    }

    func handle(frame: ByteBuffer, context: RequestContext, respond: @escaping @Sendable (RequestOutcome) -> Void) {
        if context.session.expectsRawSaslToken {
            self.handleRawSaslToken(frame, context: context, respond: respond)
            return
        }
        var body = frame
        let header: RequestHeader
        do {
            header = try RequestHeader(from: &body)
        } catch {
            respond(.closeConnection(reason: "unreadable request header: \(error)"))
            return
        }
        guard let apiKey = ApiKey(rawValue: header.apiKey),
              let range = Self.advertisedRanges.first(where: { $0.apiKey == apiKey })
        else {
            respond(.closeConnection(reason: "unsupported API key \(header.apiKey)"))
            return
        }
        guard range.contains(header.apiVersion) else {
            if apiKey == .apiVersions {
                respond(.respond(self.unsupportedApiVersionsReply(header: header, context: context)))
            } else {
                respond(.closeConnection(reason: "unsupported version \(header.apiVersion) of \(apiKey)"))
            }
            return
        }
        let isAuthentication = apiKey == .apiVersions || apiKey == .saslHandshake || apiKey == .saslAuthenticate
        guard context.session.mayServe(isAuthentication ? .authentication : .other) else {
            respond(.closeConnection(reason: "\(apiKey) before SASL authentication on listener \(context.session.listener.name)"))
            return
        }
        let request = IncomingRequest(header: header, apiKey: apiKey, body: body, context: context, respond: respond)
        do {
            try self.dispatch(request)
        } catch {
            respond(.closeConnection(reason: "malformed \(apiKey) v\(header.apiVersion) request: \(error)"))
        }
    }

    /// The APIs this broker answers; the codec may know more (the client side uses them).
    static let handledApiKeys: Set<ApiKey> = [
        .apiVersions, .metadata, .produce, .fetch, .listOffsets, .createTopics, .deleteTopics, .describeConfigs,
        .findCoordinator, .joinGroup, .syncGroup, .heartbeat, .leaveGroup, .offsetCommit, .offsetFetch,
        .describeGroups, .listGroups, .deleteGroups, .initProducerId, .saslHandshake, .saslAuthenticate,
        .describeUserScramCredentials, .alterUserScramCredentials, .describeAcls, .createAcls, .deleteAcls,
        .alterConfigs, .incrementalAlterConfigs,
        .createPartitions, .deleteRecords, .offsetForLeaderEpoch, .describeLogDirs, .offsetDelete, .describeProducers,
        .addPartitionsToTxn, .addOffsetsToTxn, .endTxn, .txnOffsetCommit,
    ]

    /// What ApiVersions advertises: the codec's version ranges of the handled APIs.
    static let advertisedRanges: [ApiVersionRange] = SupportedApis.ranges.filter { handledApiKeys.contains($0.apiKey) }

    static var advertisedApiVersions: [ApiVersionsResponse.ApiVersion] {
        self.advertisedRanges.map {
            ApiVersionsResponse.ApiVersion(apiKey: $0.apiKey.rawValue, minVersion: $0.minVersion, maxVersion: $0.maxVersion)
        }
    }

    private func dispatch(_ request: IncomingRequest) throws {
        switch request.apiKey {
        case .apiVersions: try self.handleApiVersions(request)
        case .metadata: try self.handleMetadata(request)
        case .produce: try self.handleProduce(request)
        case .fetch: try self.handleFetch(request)
        case .listOffsets: try self.handleListOffsets(request)
        case .createTopics: try self.handleCreateTopics(request)
        case .deleteTopics: try self.handleDeleteTopics(request)
        case .describeConfigs: try self.handleDescribeConfigs(request)
        case .alterConfigs: try self.handleAlterConfigs(request)
        case .incrementalAlterConfigs: try self.handleIncrementalAlterConfigs(request)
        case .findCoordinator: try self.handleFindCoordinator(request)
        case .joinGroup: try self.handleJoinGroup(request)
        case .syncGroup: try self.handleSyncGroup(request)
        case .heartbeat: try self.handleHeartbeat(request)
        case .leaveGroup: try self.handleLeaveGroup(request)
        case .offsetCommit: try self.handleOffsetCommit(request)
        case .offsetFetch: try self.handleOffsetFetch(request)
        case .describeGroups: try self.handleDescribeGroups(request)
        case .listGroups: try self.handleListGroups(request)
        case .deleteGroups: try self.handleDeleteGroups(request)
        case .initProducerId: try self.handleInitProducerId(request)
        case .saslHandshake: try self.handleSaslHandshake(request)
        case .saslAuthenticate: try self.handleSaslAuthenticate(request)
        case .describeUserScramCredentials: try self.handleDescribeUserScramCredentials(request)
        case .alterUserScramCredentials: try self.handleAlterUserScramCredentials(request)
        case .describeAcls: try self.handleDescribeAcls(request)
        case .createAcls: try self.handleCreateAcls(request)
        case .deleteAcls: try self.handleDeleteAcls(request)
        case .createPartitions: try self.handleCreatePartitions(request)
        case .deleteRecords: try self.handleDeleteRecords(request)
        case .offsetForLeaderEpoch: try self.handleOffsetForLeaderEpoch(request)
        case .describeLogDirs: try self.handleDescribeLogDirs(request)
        case .offsetDelete: try self.handleOffsetDelete(request)
        case .describeProducers: try self.handleDescribeProducers(request)
        case .addPartitionsToTxn: try self.handleAddPartitionsToTxn(request)
        case .addOffsetsToTxn: try self.handleAddOffsetsToTxn(request)
        case .endTxn: try self.handleEndTxn(request)
        case .txnOffsetCommit: try self.handleTxnOffsetCommit(request)
        }
    }

    private func unsupportedApiVersionsReply(header: RequestHeader, context: RequestContext) -> OutboundResponse {
        var buffer = context.allocator.buffer(capacity: 256)
        ResponseHeader(correlationId: header.correlationId).encode(into: &buffer, headerVersion: 0)
        ApiVersionsResponse(errorCode: .unsupportedVersion, apiKeys: Self.advertisedApiVersions)
            .encode(into: &buffer, version: 0)
        return OutboundResponse(buffer)  // the connection handler adds the size prefix
    }
}

/// One decoded request header with its undecoded body and the way to answer it.
struct IncomingRequest: Sendable {
    let header: RequestHeader
    let apiKey: ApiKey
    var body: ByteBuffer
    let context: RequestContext
    let respond: @Sendable (RequestOutcome) -> Void

    var version: Int16 { self.header.apiVersion }

    /// Decodes the body as `Message`. Bytes left after the body are ignored, as Kafka brokers do:
    /// librdkafka 2.16 sends three extra bytes after a Metadata v12 body, and Kafka answers it.
    func decode<Message: KafkaRequestMessage>(_ type: Message.Type) throws -> Message {
        var body = self.body
        return try Message(from: &body, version: self.version)
    }

    /// Encodes the response header and `response` and sends it.
    func reply<Response: KafkaResponseMessage>(_ response: Response) {
        self.respond(.respond(OutboundResponse(self.encode(response))))
    }

    /// Sends `response`, then closes the connection (a refused authentication).
    func replyThenClose<Response: KafkaResponseMessage>(_ response: Response, reason: String) {
        self.respond(.respondThenClose(OutboundResponse(self.encode(response)), reason: reason))
    }

    func encode<Response: KafkaResponseMessage>(_ response: Response) -> ByteBuffer {
        var buffer = self.context.allocator.buffer(capacity: 256)
        let headerVersion = ResponseHeader.headerVersion(apiKey: self.header.apiKey, apiVersion: self.version)
        ResponseHeader(correlationId: self.header.correlationId).encode(into: &buffer, headerVersion: headerVersion)
        response.encode(into: &buffer, version: self.version)
        return buffer
    }

    /// The response header alone, for responses whose body is sent in parts (fetch).
    func encodeHeader() -> ByteBuffer {
        var buffer = self.context.allocator.buffer(capacity: 16)
        let headerVersion = ResponseHeader.headerVersion(apiKey: self.header.apiKey, apiVersion: self.version)
        ResponseHeader(correlationId: self.header.correlationId).encode(into: &buffer, headerVersion: headerVersion)
        return buffer
    }
}
