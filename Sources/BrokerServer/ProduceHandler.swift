import KafkaWire
import LogStore
import NIOCore
import SluiceModel
import SluiceSecurity
import Synchronization

/// Produce: appends each partition's record batches as received (validated, offsets stamped, never
/// decompressed) and answers with the base offsets. Under `fsync = always` a produce with acks=1 or
/// -1 is answered only when the log has fsynced past its batches; the log's flusher shares one fsync
/// among every producer waiting at that moment (group commit). acks=0 gets no answer at all.
///
/// Idempotent producers (KIP-98): the log checks each such batch against the producer's epoch and last 5
/// batches. A retry of a batch already in the log is answered NONE with the original base offset (and waits,
/// like the original, until those offsets are durable); a sequence gap answers OUT_OF_ORDER_SEQUENCE_NUMBER
/// (45) and a fenced epoch INVALID_PRODUCER_EPOCH (47) (`ErrorMapping`).
extension KafkaRequestRouter {
    func handleProduce(_ request: IncomingRequest) throws {
        let produce = try request.decode(ProduceRequest.self)
        guard produce.acks == 0 || produce.acks == 1 || produce.acks == -1 else {
            request.reply(self.produceResponse(produce, allFailingWith: .invalidRequiredAcks))
            return
        }
        if let transactionalId = produce.transactionalId,
           !self.authorize(request, .write, .transactionalId, transactionalId)
        {
            request.reply(self.produceResponse(produce, allFailingWith: .transactionalIdAuthorizationFailed))
            return
        }
        var response = ProduceResponse(responses: [], throttleTimeMs: 0)
        var durabilityWaits: [(PartitionLog, Offset, topicIndex: Int, partitionIndex: Int)] = []
        for topic in produce.topicData {
            var topicResponse = ProduceResponse.TopicResponse(name: topic.name, partitionResponses: [])
            let mayWrite = self.authorize(request, .write, .topic, topic.name)
            // CREATE matters only for a topic that does not exist yet: no second check per produce otherwise.
            let mayCreate = mayWrite && (self.logs.topic(topic.name) != nil || self.mayCreateTopic(request, topic.name))
            for partition in topic.partitionData {
                let topicPartition = TopicPartition(topic: topic.name, partition: PartitionID(partition.index))
                guard mayWrite else {
                    var refused = ProduceResponse.PartitionResponse(index: partition.index, baseOffset: -1)
                    refused.errorCode = .topicAuthorizationFailed
                    topicResponse.partitionResponses.append(refused)
                    continue
                }
                let (partitionResponse, appendedLog, endOffset) = self.append(
                    partition.records, to: topicPartition, mayCreateTopic: mayCreate
                )
                // Only a log under `always` holds its acknowledgement for the fsync.
                if let appendedLog, let endOffset, appendedLog.config.fsyncPolicy == .always {
                    durabilityWaits.append((appendedLog, endOffset, response.responses.count, topicResponse.partitionResponses.count))
                }
                topicResponse.partitionResponses.append(partitionResponse)
            }
            response.responses.append(topicResponse)
        }
        if produce.acks == 0 {
            request.respond(.noResponse)
        } else if durabilityWaits.isEmpty {
            request.reply(response)
        } else {
            ProduceDurabilityBarrier(response: response, request: request).wait(for: durabilityWaits)
        }
    }

    /// Appends one partition's records; returns the answer and, on success, the log and its new end offset.
    private func append(_ records: ByteBuffer?, to topicPartition: TopicPartition, mayCreateTopic: Bool)
        -> (ProduceResponse.PartitionResponse, PartitionLog?, Offset?)
    {
        var answer = ProduceResponse.PartitionResponse(index: topicPartition.partition.rawValue, baseOffset: -1)
        let found = mayCreateTopic
            ? self.topics.partitionCreatingTopicIfAllowed(topicPartition) : self.logs.partition(topicPartition)
        guard let log = found, !TopicAdministration.isInternal(topicPartition.topic) else {
            let isInternal = TopicAdministration.isInternal(topicPartition.topic)
            answer.errorCode = isInternal ? .invalidTopicException : .unknownTopicOrPartition
            answer.errorMessage = isInternal ? "internal topics are written by the broker only" : nil
            return (answer, nil, nil)
        }
        guard let records, records.readableBytes > 0 else {
            answer.errorCode = .invalidRecord
            answer.errorMessage = "the produce request carries no record batch"
            return (answer, nil, nil)
        }
        do {
            let appended = try records.withUnsafeReadableBytes { try self.appendVerifyingTransaction($0, to: log) }
            if appended.isDuplicate {
                self.logger.debug(
                    "duplicate idempotent batch answered with its original offsets",
                    metadata: ["partition": "\(topicPartition)", "baseOffset": "\(appended.firstOffset)"]
                )
            }
            answer.baseOffset = appended.firstOffset.rawValue
            answer.logAppendTimeMs = appended.logAppendTimeMs
            answer.logStartOffset = appended.logStartOffset.rawValue
            return (answer, log, appended.lastOffset + 1)
        } catch {
            answer.errorCode = ErrorMapping.errorCode(for: error)
            answer.errorMessage = ErrorMapping.message(for: error)
            self.logger.debug("produce rejected", metadata: ["partition": "\(topicPartition)", "error": "\(error)"])
            return (answer, nil, nil)
        }
    }

    private func produceResponse(_ produce: ProduceRequest, allFailingWith errorCode: ErrorCode) -> ProduceResponse {
        var response = ProduceResponse(responses: [], throttleTimeMs: 0)
        for topic in produce.topicData {
            var topicResponse = ProduceResponse.TopicResponse(name: topic.name, partitionResponses: [])
            for partition in topic.partitionData {
                var answer = ProduceResponse.PartitionResponse(index: partition.index, baseOffset: -1)
                answer.errorCode = errorCode
                topicResponse.partitionResponses.append(answer)
            }
            response.responses.append(topicResponse)
        }
        return response
    }
}

/// Answers a produce once every partition it appended to is durable, marking the partitions whose
/// fsync failed with KAFKA_STORAGE_ERROR (their bytes may be lost, so the client must not count them).
final class ProduceDurabilityBarrier: Sendable {
    private struct State {
        var response: ProduceResponse
        var remaining: Int
    }

    private let state: Mutex<State>
    private let request: IncomingRequest

    init(response: ProduceResponse, request: IncomingRequest) {
        self.state = Mutex(State(response: response, remaining: 0))
        self.request = request
    }

    func wait(for waits: [(PartitionLog, Offset, topicIndex: Int, partitionIndex: Int)]) {
        self.state.withLock { $0.remaining = waits.count }
        for (log, endOffset, topicIndex, partitionIndex) in waits {
            log.whenDurable(upTo: endOffset) { result in
                self.partitionDone(result, topicIndex: topicIndex, partitionIndex: partitionIndex)
            }
        }
    }

    private func partitionDone(_ result: Result<Void, StorageError>, topicIndex: Int, partitionIndex: Int) {
        let finished: ProduceResponse? = self.state.withLock { state in
            if case .failure(let error) = result {
                state.response.responses[topicIndex].partitionResponses[partitionIndex].errorCode =
                    .kafkaStorageError
                state.response.responses[topicIndex].partitionResponses[partitionIndex].errorMessage =
                    "fsync failed: \(error)"
            }
            state.remaining -= 1
            return state.remaining == 0 ? state.response : nil
        }
        if let finished { self.request.reply(finished) }
    }
}
