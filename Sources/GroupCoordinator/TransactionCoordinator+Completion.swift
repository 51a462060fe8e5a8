import LogStore
import SluiceModel

/// Ending transactions without a client asking: completing a durable decision, aborting on timeout, and what a
/// start finds in the state log. None of these waits for durability: no client is waiting, and a crash before
/// the writes are on disk only repeats the step at the next start (markers are idempotent on a partition).
extension TransactionCoordinator {
    /// Runs the timers: aborts every Ongoing transaction older than its timeout (bumping the epoch, so its
    /// producer is fenced), and retries the completion of Prepare* transactions whose markers failed. The server
    /// calls it about once a second; tests call it with a manual clock.
    public func tick() {
        let nowNs = self.clock.monotonicNs()
        self.state.withLock { state in
            var writes = Writes()
            for (transactionalId, metadata) in state.transactions where !state.completing.contains(transactionalId) {
                switch metadata.state {
                case .ongoing:
                    let startedNs = state.startedNsById[transactionalId] ?? nowNs
                    guard nowNs >= startedNs, nowNs - startedNs >= UInt64(metadata.timeoutMs) * 1_000_000 else {
                        continue
                    }
                    _ = try? self.fenceAndAbort(
                        transactionalId, in: &state, writes: &writes, reason: "its timeout of \(metadata.timeoutMs) ms"
                    )
                case .prepareCommit, .prepareAbort:
                    _ = self.completePrepared(transactionalId, in: &state, writes: &writes)
                case .empty, .completeCommit, .completeAbort:
                    continue
                }
            }
        }
    }

    /// At start: complete what was decided, abort what was open.
    func recoverUnfinishedTransactions() {
        self.state.withLock { state in
            var writes = Writes()
            for (transactionalId, metadata) in state.transactions {
                switch metadata.state {
                case .ongoing:
                    _ = try? self.fenceAndAbort(transactionalId, in: &state, writes: &writes, reason: "a broker restart")
                case .prepareCommit, .prepareAbort:
                    if self.completePrepared(transactionalId, in: &state, writes: &writes) {
                        self.onEvent("transaction \(transactionalId): completed \(metadata.state) after a restart")
                    }
                case .empty, .completeCommit, .completeAbort:
                    continue
                }
            }
        }
    }

    /// Aborts `transactionalId`'s Ongoing transaction with its epoch bumped: PrepareAbort at the new epoch, abort
    /// markers at that epoch (every partition then refuses the old producer's batches), CompleteAbort. Returns
    /// false when a marker could not be written: the id stays PrepareAbort and `tick` tries again.
    func fenceAndAbort(
        _ transactionalId: String, in state: inout State, writes: inout Writes, reason: String
    ) throws(GroupCoordinatorError) -> Bool {
        var metadata = state.transactions[transactionalId]!
        precondition(metadata.state == .ongoing, "only an open transaction is fenced and aborted")
        // An exhausted epoch stays at the maximum; the next InitProducerId then takes a new producer id.
        metadata.producerEpoch = Self.bumpedEpoch(metadata.producerEpoch) ?? metadata.producerEpoch
        metadata.state = .prepareAbort
        metadata.pendingOffsets = [:]
        try self.persist(metadata, in: &state, writes: &writes)
        state.startedNsById.removeValue(forKey: transactionalId)
        self.onEvent(
            "transaction \(transactionalId): aborted because of \(reason); producer \(metadata.producerId) fenced "
                + "at epoch \(metadata.producerEpoch)"
        )
        return self.completePrepared(transactionalId, in: &state, writes: &writes)
    }

    /// Carries out a durable Prepare* decision: markers, then (for a commit) the offsets, then Complete*.
    /// Returns false when a marker failed (the state stays Prepare*).
    func completePrepared(_ transactionalId: String, in state: inout State, writes: inout Writes) -> Bool {
        var metadata = state.transactions[transactionalId]!
        precondition(metadata.state.isPreparing, "only a decided transaction is completed")
        let commit = metadata.state == .prepareCommit
        guard self.writeMarkers(for: metadata, producerEpoch: metadata.producerEpoch, commit: commit, writes: &writes) else {
            return false
        }
        if commit {
            for (groupId, offsets) in metadata.pendingOffsets where !offsets.isEmpty {
                do throws(GroupCoordinatorError) {
                    writes.add(try self.offsetStore.commit(groupId: groupId, offsets: offsets))
                } catch {
                    self.onEvent("transaction \(transactionalId): committing the offsets of \(groupId) failed: \(error)")
                    return false
                }
            }
        }
        metadata.reset(to: commit ? .completeCommit : .completeAbort)
        do throws(GroupCoordinatorError) {
            try self.persist(metadata, in: &state, writes: &writes)
        } catch {
            self.onEvent("transaction \(transactionalId): recording its completion failed: \(error)")
            return false
        }
        return true
    }
}
