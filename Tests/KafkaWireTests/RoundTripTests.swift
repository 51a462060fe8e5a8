import NIOCore
import XCTest

@testable import KafkaWire

final class RoundTripTests: XCTestCase {
    func testApiVersions() {
        assertRoundTripAllVersions(0...3) { version in
            version >= 3
                ? ApiVersionsRequest(clientSoftwareName: "sluice", clientSoftwareVersion: "0.1.0")
                : ApiVersionsRequest()
        }
        assertRoundTripAllVersions(0...3) { version in
            var response = ApiVersionsResponse(
                errorCode: .none,
                apiKeys: ApiVersionsResponse.supportedApiKeys,
                throttleTimeMs: version >= 1 ? 12 : 0
            )
            if version >= 3 {
                response.supportedFeatures = [.init(name: "metadata.version", minVersion: 1, maxVersion: 20)]
                response.finalizedFeaturesEpoch = 7
                response.finalizedFeatures = [.init(name: "metadata.version", maxVersionLevel: 20, minVersionLevel: 1)]
                response.zkMigrationReady = true
            }
            return response
        }
    }

    func testMetadata() {
        assertRoundTripAllVersions(0...12) { version in
            MetadataRequest(
                topics: [
                    .init(topicId: version >= 10 ? sampleUUID : .zero, name: version >= 10 ? nil : "orders"),
                    .init(name: "payments"),
                ],
                allowAutoTopicCreation: version >= 4 ? false : true,
                includeClusterAuthorizedOperations: version >= 8 && version <= 10,
                includeTopicAuthorizedOperations: version >= 8
            )
        }
        for version: Int16 in 1...12 {
            assertRoundTrip(MetadataRequest(topics: nil), version: version)
        }
        assertRoundTripAllVersions(0...12) { version in
            MetadataResponse(
                throttleTimeMs: version >= 3 ? 5 : 0,
                brokers: [.init(nodeId: 1, host: "localhost", port: 9092, rack: version >= 1 ? "rack-a" : nil)],
                clusterId: version >= 2 ? "sluice-cluster" : nil,
                controllerId: version >= 1 ? 1 : -1,
                topics: [
                    .init(
                        errorCode: .none,
                        name: "orders",
                        topicId: version >= 10 ? sampleUUID : .zero,
                        isInternal: version >= 1,
                        partitions: [
                            .init(
                                partitionIndex: 0, leaderId: 1, leaderEpoch: version >= 7 ? 3 : -1,
                                replicaNodes: [1], isrNodes: [1], offlineReplicas: version >= 5 ? [2] : []
                            ),
                            .init(errorCode: .leaderNotAvailable, partitionIndex: 1, leaderId: -1, replicaNodes: [], isrNodes: []),
                        ],
                        topicAuthorizedOperations: version >= 8 ? 0x0f : MetadataResponse.authorizedOperationsUnknown
                    ),
                    .init(errorCode: .unknownTopicId, name: version >= 12 ? nil : "", partitions: []),
                ],
                clusterAuthorizedOperations: version >= 8 && version <= 10 ? 0x1f : MetadataResponse.authorizedOperationsUnknown
            )
        }
    }

    func testProduce() {
        let batch = ByteBuffer(bytes: Array(0..<200).map { UInt8(truncatingIfNeeded: $0) })
        assertRoundTripAllVersions(3...9) { _ in
            ProduceRequest(
                transactionalId: "tx-1",
                acks: -1,
                timeoutMs: 30_000,
                topicData: [
                    .init(name: "orders", partitionData: [.init(index: 0, records: batch), .init(index: 1, records: nil)]),
                    .init(name: "empty", partitionData: []),
                ]
            )
        }
        assertRoundTripAllVersions(3...9) { version in
            ProduceResponse(
                responses: [
                    .init(name: "orders", partitionResponses: [
                        .init(
                            index: 0,
                            errorCode: version >= 8 ? .invalidRecord : .none,
                            baseOffset: 1_000,
                            logAppendTimeMs: 1_700_000_000_000,
                            logStartOffset: version >= 5 ? 10 : -1,
                            recordErrors: version >= 8 ? [.init(batchIndex: 2, batchIndexErrorMessage: "bad crc")] : [],
                            errorMessage: version >= 8 ? "batch 2 rejected" : nil
                        ),
                    ]),
                ],
                throttleTimeMs: 3
            )
        }
    }

    func testFetch() {
        assertRoundTripAllVersions(4...12) { version in
            FetchRequest(
                clusterId: version >= 12 ? "sluice-cluster" : nil,
                replicaId: -1,
                maxWaitMs: 500,
                minBytes: 1,
                maxBytes: 52_428_800,
                isolationLevel: 1,
                sessionId: version >= 7 ? 17 : 0,
                sessionEpoch: version >= 7 ? 2 : -1,
                topics: [
                    .init(topic: "orders", partitions: [
                        .init(
                            partition: 0,
                            currentLeaderEpoch: version >= 9 ? 4 : -1,
                            fetchOffset: 1_234,
                            lastFetchedEpoch: version >= 12 ? 3 : -1,
                            logStartOffset: version >= 5 ? 0 : -1,
                            partitionMaxBytes: 1_048_576
                        ),
                    ]),
                ],
                forgottenTopicsData: version >= 7 ? [.init(topic: "old", partitions: [1, 2])] : [],
                rackId: version >= 11 ? "rack-a" : ""
            )
        }
        assertRoundTripAllVersions(4...12) { version in
            Samples.fetchResponse(version: version, records: .bytes(ByteBuffer(bytes: [1, 2, 3, 4, 5])))
        }
    }

    func testListOffsets() {
        assertRoundTripAllVersions(1...9) { version in
            ListOffsetsRequest(
                replicaId: -1,
                isolationLevel: version >= 2 ? 1 : 0,
                topics: [
                    .init(name: "orders", partitions: [
                        .init(partitionIndex: 0, currentLeaderEpoch: version >= 4 ? 2 : -1, timestamp: ListOffsetsRequest.latestTimestamp),
                        .init(partitionIndex: 1, timestamp: ListOffsetsRequest.earliestTimestamp),
                    ]),
                ]
            )
        }
        assertRoundTripAllVersions(1...9) { version in
            ListOffsetsResponse(
                throttleTimeMs: version >= 2 ? 9 : 0,
                topics: [
                    .init(name: "orders", partitions: [
                        .init(partitionIndex: 0, errorCode: .none, timestamp: -1, offset: 42, leaderEpoch: version >= 4 ? 2 : -1),
                        .init(partitionIndex: 1, errorCode: .unknownTopicOrPartition),
                    ]),
                ]
            )
        }
    }

    func testCreateTopics() {
        assertRoundTripAllVersions(2...7) { _ in
            CreateTopicsRequest(
                topics: [
                    .init(
                        name: "orders", numPartitions: 3, replicationFactor: 1,
                        assignments: [.init(partitionIndex: 0, brokerIds: [1])],
                        configs: [.init(name: "retention.ms", value: "1000"), .init(name: "cleanup.policy", value: nil)]
                    ),
                    .init(name: "defaults", numPartitions: -1, replicationFactor: -1),
                ],
                timeoutMs: 5_000,
                validateOnly: true
            )
        }
        assertRoundTripAllVersions(2...7) { version in
            CreateTopicsResponse(
                throttleTimeMs: 1,
                topics: [
                    .init(
                        name: "orders",
                        topicId: version >= 7 ? sampleUUID : .zero,
                        errorCode: .none,
                        errorMessage: nil,
                        topicConfigErrorCode: version >= 5 ? .invalidConfig : .none,
                        numPartitions: version >= 5 ? 3 : -1,
                        replicationFactor: version >= 5 ? 1 : -1,
                        configs: version >= 5
                            ? [.init(name: "retention.ms", value: "1000", readOnly: false, configSource: 1, isSensitive: false)]
                            : nil
                    ),
                    .init(name: "taken", errorCode: .topicAlreadyExists, errorMessage: "topic exists"),
                ]
            )
        }
    }

    func testDeleteTopics() {
        assertRoundTripAllVersions(1...6) { version in
            version >= 6
                ? DeleteTopicsRequest(topics: [.init(name: "orders"), .init(name: nil, topicId: sampleUUID)], timeoutMs: 1_000)
                : DeleteTopicsRequest(topicNames: ["orders", "payments"], timeoutMs: 1_000)
        }
        assertRoundTripAllVersions(1...6) { version in
            DeleteTopicsResponse(
                throttleTimeMs: 2,
                responses: [
                    .init(name: "orders", topicId: version >= 6 ? sampleUUID : .zero),
                    .init(
                        name: version >= 6 ? nil : "ghost",
                        errorCode: .unknownTopicOrPartition,
                        errorMessage: version >= 5 ? "no such topic" : nil
                    ),
                ]
            )
        }
    }

    func testDescribeConfigs() {
        assertRoundTripAllVersions(1...4) { version in
            DescribeConfigsRequest(
                resources: [
                    .init(resourceType: DescribeConfigsRequest.resourceTypeTopic, resourceName: "orders", configurationKeys: ["retention.ms"]),
                    .init(resourceType: DescribeConfigsRequest.resourceTypeBroker, resourceName: "1"),
                ],
                includeSynonyms: true,
                includeDocumentation: version >= 3
            )
        }
        assertRoundTripAllVersions(1...4) { version in
            DescribeConfigsResponse(
                throttleTimeMs: 0,
                results: [
                    .init(
                        resourceType: 2, resourceName: "orders",
                        configs: [
                            .init(
                                name: "retention.ms", value: "604800000", readOnly: false, configSource: 5, isSensitive: false,
                                synonyms: [.init(name: "log.retention.ms", value: nil, source: 5)],
                                configType: version >= 3 ? 5 : 0,
                                documentation: version >= 3 ? "How long to keep records" : nil
                            ),
                        ]
                    ),
                    .init(errorCode: .unknownTopicOrPartition, errorMessage: "no such topic", resourceType: 2, resourceName: "x", configs: []),
                ]
            )
        }
    }
}

enum Samples {
    static func fetchResponse(version: Int16, records: FetchRecords) -> FetchResponse {
        FetchResponse(
            throttleTimeMs: 0,
            errorCode: .none,
            sessionId: 0,
            responses: [
                .init(topic: "orders", partitions: [
                    .init(
                        partitionIndex: 0,
                        errorCode: .none,
                        highWatermark: 100,
                        lastStableOffset: 100,
                        logStartOffset: version >= 5 ? 0 : -1,
                        divergingEpoch: version >= 12 ? .init(epoch: 2, endOffset: 90) : nil,
                        currentLeader: version >= 12 ? .init(leaderId: 1, leaderEpoch: 3) : nil,
                        snapshotId: version >= 12 ? .init(endOffset: 80, epoch: 2) : nil,
                        abortedTransactions: [.init(producerId: 7, firstOffset: 50)],
                        preferredReadReplica: -1,
                        records: records
                    ),
                    .init(partitionIndex: 1, errorCode: .offsetOutOfRange, highWatermark: 5),
                ]),
            ]
        )
    }
}
