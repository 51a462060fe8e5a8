import RecordFormat

/// Pairs the records of two streams and counts how many match, differ, or are only in one of them; the
/// logic behind `sluice compare`. Stream A is held in memory (a stored record is its location, key and
/// value); stream B is compared record by record as it is read, so only B's unpaired keyless records are
/// kept. Both must be fed partition by partition, each partition in offset order, A before B.
///
/// Pairing:
/// - `.key`: the n-th record of key K in A with the n-th record of K in B; their values are compared.
///   Records without a key have no order that two runs share (their partitions are chosen round-robin), so
///   they are paired by equal value first, and what is left of each side is paired in reading order as
///   "differ", the rest "only in".
/// - `.offset`: the n-th record of partition P in A with the n-th record of P in B (positions, not offsets,
///   so a log whose start was trimmed differently still lines up); keys and values are compared.
struct StreamComparison {
    enum Pairing: String {
        case key
        case offset
    }

    /// Where a record is and what it holds.
    struct StoredRecord {
        var partition: Int32
        var offset: Int64
        var key: [UInt8]?
        var value: [UInt8]?
    }

    enum Outcome: String, Codable {
        case differ
        case onlyInA
        case onlyInB
    }

    /// One pair that did not match, for the report.
    struct Difference {
        var outcome: Outcome
        /// The key's records' index (key pairing) or the partition position (offset pairing).
        var sequence: Int
        var a: StoredRecord?
        var b: StoredRecord?
    }

    struct Counts: Equatable {
        var recordsA = 0
        var recordsB = 0
        var matched = 0
        var differ = 0
        var onlyInA = 0
        var onlyInB = 0

        var allMatch: Bool { self.differ == 0 && self.onlyInA == 0 && self.onlyInB == 0 }
    }

    /// The records of A sharing a key (or a partition, under offset pairing), and how many of B's were
    /// paired with them so far.
    private struct Group {
        var records: [StoredRecord] = []
        var pairedCount = 0
    }

    let pairing: Pairing
    let storedRecordsMax: Int
    /// How many differences of each outcome are kept for the report.
    let differencesMax: Int
    private(set) var counts = Counts()
    private(set) var differences: [Difference] = []
    private var groups: [[UInt8]: Group] = [:]
    private var partitionGroups: [Int32: Group] = [:]
    /// Keyless records of A by value, not yet paired; and B's keyless records with no equal value in A.
    private var keylessA: [[UInt8]?: Group] = [:]
    private var keylessUnpairedB: [StoredRecord] = []
    private var storedCount = 0

    init(pairing: Pairing, storedRecordsMax: Int, differencesMax: Int) {
        self.pairing = pairing
        self.storedRecordsMax = storedRecordsMax
        self.differencesMax = differencesMax
    }

    struct TooManyRecords: Error {
        let storedRecordsMax: Int
    }

    mutating func addA(_ record: StoredRecord) throws(TooManyRecords) {
        try self.reserveStorage()
        self.counts.recordsA += 1
        switch self.pairing {
        case .offset:
            self.partitionGroups[record.partition, default: Group()].records.append(record)
        case .key:
            if let key = record.key {
                self.groups[key, default: Group()].records.append(record)
            } else {
                self.keylessA[record.value, default: Group()].records.append(record)
            }
        }
    }

    mutating func addB(_ record: StoredRecord) throws(TooManyRecords) {
        self.counts.recordsB += 1
        switch self.pairing {
        case .offset:
            let paired = Self.pairNext(in: &self.partitionGroups[record.partition, default: Group()])
            self.judge(a: paired.record, b: record, sequence: paired.sequence, sameWhen: Self.sameKeyAndValue)
        case .key:
            if let key = record.key {
                // A key B has that A lacks needs no group: every one of its records is only in B.
                guard self.groups[key] != nil else {
                    self.judge(a: nil, b: record, sequence: 0, sameWhen: Self.sameValue)
                    return
                }
                let paired = Self.pairNext(in: &self.groups[key]!)
                self.judge(a: paired.record, b: record, sequence: paired.sequence, sameWhen: Self.sameValue)
            } else if let group = self.keylessA[record.value], group.pairedCount < group.records.count {
                self.keylessA[record.value]!.pairedCount += 1
                self.counts.matched += 1
            } else {
                try self.reserveStorage()
                self.keylessUnpairedB.append(record)
            }
        }
    }

    /// Counts what is left unpaired once both streams were read; call once.
    mutating func finish() {
        var leftoverA = Self.unpaired(in: self.groups.values) + Self.unpaired(in: self.partitionGroups.values)
        let keylessLeftoverA = Self.unpaired(in: self.keylessA.values).map(\.record).sorted(by: Self.readingOrder)
        for (index, b) in self.keylessUnpairedB.enumerated() {
            let a = index < keylessLeftoverA.count ? keylessLeftoverA[index] : nil
            self.judge(a: a, b: b, sequence: index, sameWhen: { _, _ in false })
        }
        let keylessOnlyInA = keylessLeftoverA.enumerated().dropFirst(self.keylessUnpairedB.count)
        leftoverA += keylessOnlyInA.map { (record: $0.element, sequence: $0.offset) }
        // Sorted so the differences shown are the same on every run.
        for (a, sequence) in leftoverA.sorted(by: { Self.readingOrder($0.record, $1.record) }) {
            self.judge(a: a, b: nil, sequence: sequence, sameWhen: Self.sameValue)
        }
    }

    // MARK: Pairing

    private mutating func reserveStorage() throws(TooManyRecords) {
        guard self.storedCount < self.storedRecordsMax else {
            throw TooManyRecords(storedRecordsMax: self.storedRecordsMax)
        }
        self.storedCount += 1
    }

    private static func pairNext(in group: inout Group) -> (record: StoredRecord?, sequence: Int) {
        let sequence = group.pairedCount
        group.pairedCount += 1
        return (sequence < group.records.count ? group.records[sequence] : nil, sequence)
    }

    private mutating func judge(
        a: StoredRecord?, b: StoredRecord?, sequence: Int, sameWhen same: (StoredRecord, StoredRecord) -> Bool
    ) {
        let outcome: Outcome
        switch (a, b) {
        case (let a?, let b?):
            if same(a, b) {
                self.counts.matched += 1
                return
            }
            outcome = .differ
            self.counts.differ += 1
        case (_?, nil):
            outcome = .onlyInA
            self.counts.onlyInA += 1
        case (nil, _?):
            outcome = .onlyInB
            self.counts.onlyInB += 1
        case (nil, nil):
            preconditionFailure("a comparison needs at least one record")
        }
        if self.differences.count(where: { $0.outcome == outcome }) < self.differencesMax {
            self.differences.append(Difference(outcome: outcome, sequence: sequence, a: a, b: b))
        }
    }

    /// A's records that no record of B was paired with, and their index in their group.
    private static func unpaired(in groups: some Sequence<Group>) -> [(record: StoredRecord, sequence: Int)] {
        var records: [(record: StoredRecord, sequence: Int)] = []
        for group in groups where group.pairedCount < group.records.count {
            for sequence in group.pairedCount..<group.records.count {
                records.append((group.records[sequence], sequence))
            }
        }
        return records
    }

    private static func sameValue(_ a: StoredRecord, _ b: StoredRecord) -> Bool {
        a.value == b.value
    }

    private static func sameKeyAndValue(_ a: StoredRecord, _ b: StoredRecord) -> Bool {
        a.key == b.key && a.value == b.value
    }

    private static func readingOrder(_ left: StoredRecord, _ right: StoredRecord) -> Bool {
        (left.partition, left.offset) < (right.partition, right.offset)
    }
}
