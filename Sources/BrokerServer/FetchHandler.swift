import KafkaWire
import LogStore
import NIOCore
import SluiceModel
import SluiceSecurity

/// Fetch: reads whole batches from each asked partition and answers with them, sending the segment
/// bytes with sendfile. When fewer than `minBytes` are available it waits, up to `maxWaitMs`
/// (bounded by the broker's `fetch_wait_ms_max`), and is woken by the first append to any of the
/// partitions it asked for, so a consumer sees a record as soon as it is written, not on a poll tick.
/// `isolation_level` 1 (read_committed) reads only below each partition's last stable offset and answers
/// the aborted transactions the returned range overlaps (`PartitionLog+Transactions.swift`).
extension KafkaRequestRouter {
    func handleFetch(_ request: IncomingRequest) throws {
        let fetch = try request.decode(FetchRequest.self)
        // Decided once per request: READ on each topic; internal topics for super users only.
        let mayReadInternal = self.mayReadInternalTopic(request)
        let denied = Set(fetch.topics.map(\.topic).filter { topic in
            TopicNames.isInternal(topic) ? !mayReadInternal : !self.authorize(request, .read, .topic, topic)
        })
        let first = self.readFetch(fetch, denied: denied)
        let waitMs = min(Int64(max(fetch.maxWaitMs, 0)), self.config.fetchWaitMsMax)
        // min_bytes 0 asks for an immediate answer, as does max_wait_ms 0; an error is answered at once.
        if first.totalBytes >= Int(fetch.minBytes) || waitMs == 0 || first.hasError {
            request.respond(.respond(self.encodeFetchResponse(first, request: request)))
            return
        }
        let partitions = fetch.topics.flatMap { topic in
            topic.partitions.compactMap { self.logs.partition(TopicPartition(topic: topic.topic, partition: PartitionID($0.partition))) }
        }
        let router = self
        FetchWait.start(
            eventLoop: request.context.eventLoop, partitions: partitions, timeoutMs: waitMs,
            isSatisfied: {
                let result = router.readFetch(fetch, denied: denied)
                return result.totalBytes >= Int(fetch.minBytes) || result.hasError ? result : nil
            },
            finish: { result in
                let final = result ?? router.readFetch(fetch, denied: denied)
                request.respond(.respond(router.encodeFetchResponse(final, request: request)))
            }
        )
    }

    /// One pass over the asked partitions, reading what is there now; `denied` topics answer
    /// TOPIC_AUTHORIZATION_FAILED.
    func readFetch(_ fetch: FetchRequest, denied: Set<String>) -> FetchReadResult {
        var result = FetchReadResult()
        var remainingBytes = Int(fetch.maxBytes > 0 ? fetch.maxBytes : Int32.max)
        let isolation: PartitionLog.IsolationLevel = fetch.isolationLevel == 1 ? .readCommitted : .readUncommitted
        for topic in fetch.topics {
            var partitions: [FetchReadResult.Partition] = []
            for asked in topic.partitions {
                let read = self.readPartition(
                    TopicPartition(topic: topic.topic, partition: PartitionID(asked.partition)),
                    isDenied: denied.contains(topic.topic),
                    offset: asked.fetchOffset,
                    maxBytes: min(Int(max(asked.partitionMaxBytes, 0)), remainingBytes),
                    // Kafka's rule: the first partition with data returns at least one whole batch, so
                    // a batch larger than the limits still makes progress.
                    minOneBatch: result.totalBytes == 0,
                    isolation: isolation
                )
                remainingBytes -= read.slice?.sizeBytes ?? 0
                result.totalBytes += read.slice?.sizeBytes ?? 0
                result.hasError = result.hasError || read.errorCode != .none
                partitions.append(read)
            }
            result.topics.append((topic.topic, partitions))
        }
        return result
    }

    private func readPartition(
        _ topicPartition: TopicPartition, isDenied: Bool, offset: Int64, maxBytes: Int, minOneBatch: Bool,
        isolation: PartitionLog.IsolationLevel
    ) -> FetchReadResult.Partition {
        var partition = FetchReadResult.Partition(index: topicPartition.partition.rawValue)
        // Not allowed to read (`Authorization.swift`): the broker's own logs (committed offsets) are for super
        // users only, with authorization on.
        guard !isDenied else {
            partition.errorCode = .topicAuthorizationFailed
            return partition
        }
        guard let log = self.logs.partition(topicPartition) else {
            partition.errorCode = .unknownTopicOrPartition
            return partition
        }
        do {
            let read = try log.read(
                from: Offset(offset), maxBytes: max(maxBytes, 0), minOneBatch: minOneBatch, isolation: isolation
            )
            partition.highWatermark = read.highWatermark.rawValue
            partition.lastStableOffset = read.lastStableOffset.rawValue
            partition.abortedTransactions = read.abortedTransactions?.map {
                FetchResponse.AbortedTransaction(producerId: $0.producerId, firstOffset: $0.firstOffset.rawValue)
            }
            partition.logStartOffset = read.logStartOffset.rawValue
            partition.slice = read.slice
        } catch {
            partition.errorCode = ErrorMapping.errorCode(for: error)
            partition.highWatermark = log.logEndOffset.rawValue
            partition.lastStableOffset = log.lastStableOffset.rawValue
            partition.logStartOffset = log.logStartOffset.rawValue
        }
        return partition
    }

    func encodeFetchResponse(_ result: FetchReadResult, request: IncomingRequest) -> OutboundResponse {
        var slices: [FileSlice] = []
        var response = FetchResponse(throttleTimeMs: 0, errorCode: .none, sessionId: 0, responses: [])
        for (topic, partitions) in result.topics {
            var topicResponse = FetchResponse.Topic(topic: topic, partitions: [])
            for partition in partitions {
                var records = FetchRecords.none
                if let slice = partition.slice {
                    records = .external(token: slices.count, sizeBytes: slice.sizeBytes)
                    slices.append(slice)
                }
                topicResponse.partitions.append(FetchResponse.Partition(
                    partitionIndex: partition.index,
                    errorCode: partition.errorCode,
                    highWatermark: partition.highWatermark,
                    lastStableOffset: partition.lastStableOffset,
                    logStartOffset: partition.logStartOffset,
                    abortedTransactions: partition.abortedTransactions,
                    preferredReadReplica: -1,
                    records: records
                ))
            }
            response.responses.append(topicResponse)
        }
        var parts: [OutboundResponse.Part] = [.bytes(request.encodeHeader())]
        for part in response.encodeParts(version: request.version, allocator: request.context.allocator) {
            switch part {
            case .bytes(let buffer): parts.append(.bytes(buffer))
            case .external(let token, _): parts.append(.file(slices[token]))
            }
        }
        return OutboundResponse(parts: parts)
    }
}

/// What one read pass over a fetch's partitions found.
struct FetchReadResult: Sendable {
    struct Partition: Sendable {
        var index: Int32
        var errorCode: ErrorCode = .none
        var highWatermark: Int64 = -1
        var lastStableOffset: Int64 = -1
        var logStartOffset: Int64 = -1
        /// Filled for read_committed fetches only (null otherwise, as Kafka answers).
        var abortedTransactions: [FetchResponse.AbortedTransaction]?
        var slice: FileSlice?
    }

    var topics: [(String, [Partition])] = []
    var totalBytes = 0
    var hasError = false
}
