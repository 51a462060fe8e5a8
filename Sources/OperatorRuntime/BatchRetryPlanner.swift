/// Decides what happens after a batch fails: which records form the next batch, when it may go, and when a
/// record is dead-lettered. The feeder keeps the failed batch's records in memory (they are not committed),
/// so "the next batch" is always a prefix of those retained records, never a re-read that could differ.
///
/// - Failed at record i > 0: the next batch is records [0, i), at once; then record i alone.
/// - Failed at record 0 (or a record alone): counted; after `attempts` failures it is dead-lettered.
/// - The process died, Failed named no record, or the answer could not be applied (an undeclared output, a
///   record too large): a batch of n > 1 is halved, at once; a single record is counted like a failure.
///   Halving repeats until the record responsible is alone.
///
/// Backoff: a retry that narrows the batch goes at once (there are at most log2(n) of them); a retry of a
/// record that has already failed waits `backoffMsMin · 2^(failures-1)`, capped at `backoffMsMax`, from
/// the failure (`retryNotBeforeNs`, on the supervisor's clock). So an operator that fails every record costs
/// a bounded number of attempts per record, spaced out, instead of a busy loop.
struct BatchRetryPlanner: Sendable {
    struct RecordIdentity: Hashable, Sendable {
        var inputIndex: Int
        var partition: Int32
        var offset: Int64
    }

    enum Decision: Equatable, Sendable {
        /// Send at most `limit` of the retained records next.
        case retry(limit: Int)
        /// Dead-letter the first retained record (with `error`), commit past it and go on.
        case deadLetter(error: String)
    }

    let attempts: Int
    let backoffMsMin: Int64
    let backoffMsMax: Int64
    private(set) var failures: [RecordIdentity: Int] = [:]
    /// The batch size limit while the retained records are worked through (nil: the configured bound).
    private(set) var limit: Int?
    /// No batch is sent before this monotonic time (a record that failed waits before it goes again).
    private(set) var retryNotBeforeNs: UInt64?

    /// `backoffMsMin` 0 retries at once (the planner's tests of batch shapes).
    init(attempts: Int, backoffMsMin: Int64 = 0, backoffMsMax: Int64 = 0) {
        precondition(attempts >= 1, "a record is tried at least once")
        precondition(backoffMsMin >= 0 && backoffMsMin <= max(backoffMsMax, backoffMsMin), "backoff bounds")
        self.attempts = attempts
        self.backoffMsMin = backoffMsMin
        self.backoffMsMax = max(backoffMsMax, backoffMsMin)
    }

    /// The batch limit for a batch starting at `head`: a record that has failed before goes alone.
    func batchLimit(head: RecordIdentity?) -> Int? {
        if let head, self.failures[head, default: 0] > 0 { return 1 }
        return self.limit
    }

    /// Whether a batch may be sent at `nowNs` (false while a failed record's backoff runs).
    func mayRetry(nowNs: UInt64) -> Bool {
        guard let notBeforeNs = self.retryNotBeforeNs else { return true }
        return nowNs >= notBeforeNs
    }

    /// The operator answered Failed for the record at `index` of a batch of `count` records.
    mutating func recordFailed(
        index: Int, of count: Int, record: RecordIdentity, error: String, nowNs: UInt64 = 0
    ) -> Decision {
        precondition(index >= 0 && index < count, "the failing record is in the batch")
        self.failures[record, default: 0] += 1
        if index > 0 { return .retry(limit: index) }
        return self.countedFailure(of: record, error: error, nowNs: nowNs)
    }

    /// The batch of `count` records starting at `head` died with its process, failed without naming a record,
    /// or was answered with something that cannot be applied.
    mutating func batchCrashed(count: Int, head: RecordIdentity, error: String, nowNs: UInt64 = 0) -> Decision {
        precondition(count >= 1, "a batch has records")
        if count > 1 {
            let half = count / 2
            self.limit = min(self.limit ?? half, half)
            return .retry(limit: half)
        }
        self.failures[head, default: 0] += 1
        return self.countedFailure(of: head, error: error, nowNs: nowNs)
    }

    /// A record alone in its batch failed: dead-letter it when its attempts are used up, else retry it after
    /// the backoff.
    private mutating func countedFailure(of record: RecordIdentity, error: String, nowNs: UInt64) -> Decision {
        let failures = self.failures[record, default: 0]
        if failures >= self.attempts {
            self.failures[record] = nil
            self.retryNotBeforeNs = nil
            return .deadLetter(error: error)
        }
        self.retryNotBeforeNs = nowNs + UInt64(self.backoffMs(afterFailures: failures)) * 1_000_000
        return .retry(limit: 1)
    }

    /// min · 2^(failures-1), capped at max.
    func backoffMs(afterFailures failures: Int) -> Int64 {
        var delayMs = self.backoffMsMin
        for _ in 1..<max(failures, 1) {
            delayMs *= 2
            if delayMs >= self.backoffMsMax { return self.backoffMsMax }
        }
        return min(delayMs, self.backoffMsMax)
    }

    /// Every retained record is committed or dead-lettered: back to full batches.
    mutating func retainedRecordsDrained() {
        self.limit = nil
        self.failures.removeAll()
        self.retryNotBeforeNs = nil
    }
}
