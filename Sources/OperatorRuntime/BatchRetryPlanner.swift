/// Decides what happens after a batch fails: which records form the next batch and when a record is
/// dead-lettered. The feeder keeps the failed batch's records in memory (they are not committed), so
/// "the next batch" is always a prefix of those retained records, never a re-read that could differ.
///
/// - Failed at record i > 0: the next batch is records [0, i); then record i alone.
/// - Failed at record 0 (or a record alone): counted; after `attempts` failures it is dead-lettered.
/// - The process died (or Failed without a record): a batch of n > 1 is halved; a single record is counted
///   like a failure. Halving repeats until the record responsible is alone.
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
    private(set) var failures: [RecordIdentity: Int] = [:]
    /// The batch size limit while the retained records are worked through (nil: the configured bound).
    private(set) var limit: Int?

    init(attempts: Int) {
        precondition(attempts >= 1, "a record is tried at least once")
        self.attempts = attempts
    }

    /// The batch limit for a batch starting at `head`: a record that has failed before goes alone.
    func batchLimit(head: RecordIdentity?) -> Int? {
        if let head, self.failures[head, default: 0] > 0 { return 1 }
        return self.limit
    }

    /// The operator answered Failed for the record at `index` of a batch of `count` records.
    mutating func recordFailed(index: Int, of count: Int, record: RecordIdentity, error: String) -> Decision {
        precondition(index >= 0 && index < count, "the failing record is in the batch")
        self.failures[record, default: 0] += 1
        if index > 0 { return .retry(limit: index) }
        if self.failures[record, default: 0] >= self.attempts {
            self.failures[record] = nil
            return .deadLetter(error: error)
        }
        return .retry(limit: 1)
    }

    /// The process died during a batch of `count` records starting at `head` (or failed without naming one).
    mutating func batchCrashed(count: Int, head: RecordIdentity, error: String) -> Decision {
        precondition(count >= 1, "a batch has records")
        if count > 1 {
            let half = count / 2
            self.limit = min(self.limit ?? half, half)
            return .retry(limit: half)
        }
        self.failures[head, default: 0] += 1
        if self.failures[head, default: 0] >= self.attempts {
            self.failures[head] = nil
            return .deadLetter(error: error)
        }
        return .retry(limit: 1)
    }

    /// Every retained record is committed or dead-lettered: back to full batches.
    mutating func retainedRecordsDrained() {
        self.limit = nil
        self.failures.removeAll()
    }
}
