import KafkaWire
import LogStore
import NIOCore

/// InitProducerId: gives an idempotent producer its id (epoch 0), or bumps the epoch of an id it already has.
///
/// - Ids come from the broker's `ProducerIdAllocator` (blocks of ids reserved in `<data>/producer-id-block`),
///   so an id is never handed out twice, even across a crash.
/// - A request with the current id and epoch (v3+, KIP-360) gets the same id with the epoch bumped, when the
///   id is one this broker may have issued; an unknown id, or an epoch that cannot grow, gets a fresh id at
///   epoch 0 (what Kafka does when an epoch is exhausted). librdkafka's idempotent producer bumps its epoch by
///   itself and never sends this; the Java client does after some errors.
/// - A transactional id goes to the transaction coordinator (`TransactionHandlers.swift`). Without one (tests),
///   a non-null transactional id is refused with
///   TRANSACTIONAL_ID_AUTHORIZATION_FAILED (53). librdkafka and the Java client treat that code as fatal, so a
///   transactional producer fails at once with a clear reason instead of retrying forever (as it would on
///   COORDINATOR_NOT_AVAILABLE), and the response has no message field to explain anything subtler.
/// - A storage failure while reserving a block answers COORDINATOR_NOT_AVAILABLE, which clients retry.
extension KafkaRequestRouter {
    func handleInitProducerId(_ request: IncomingRequest) throws {
        let initRequest = try request.decode(InitProducerIdRequest.self)
        if let transactionalId = initRequest.transactionalId, let transactions = self.transactions {
            self.handleTransactionalInitProducerId(
                request, initRequest, transactionalId: transactionalId, transactions: transactions
            )
            return
        }
        // Kafka's rule for idempotence without transactions: IDEMPOTENT_WRITE on the cluster, or WRITE on a topic.
        let principal = request.context.session.principal
        guard self.authorizeCluster(request, .idempotentWrite)
            || self.acls.isAllowedOnAny(principal, host: request.context.clientHost, .write, .topic) else {
            request.reply(InitProducerIdResponse(errorCode: .clusterAuthorizationFailed, producerId: -1, producerEpoch: -1))
            return
        }
        request.reply(self.initProducerIdResponse(for: initRequest))
    }

    func initProducerIdResponse(for request: InitProducerIdRequest) -> InitProducerIdResponse {
        if request.transactionalId != nil {
            return InitProducerIdResponse(
                errorCode: .transactionalIdAuthorizationFailed, producerId: -1, producerEpoch: -1
            )
        }
        do {
            if request.producerId >= 0 && request.producerEpoch >= 0 && request.producerEpoch < Int16.max - 1,
               try self.producerIds.mayHaveIssued(request.producerId)
            {
                return InitProducerIdResponse(producerId: request.producerId, producerEpoch: request.producerEpoch + 1)
            }
            let producerId = try self.producerIds.allocate()
            self.logger.debug("allocated producer id", metadata: ["producerId": "\(producerId)"])
            return InitProducerIdResponse(producerId: producerId, producerEpoch: 0)
        } catch {
            self.logger.error("could not allocate a producer id", metadata: ["error": "\(error)"])
            return InitProducerIdResponse(errorCode: .coordinatorNotAvailable, producerId: -1, producerEpoch: -1)
        }
    }
}
