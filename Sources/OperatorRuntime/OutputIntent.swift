/// What one Records batch is about to append, written (durably) into the operator group's commit metadata
/// *before* its outputs are appended, so that a broker crash between the outputs and the commit of the inputs
/// neither loses nor duplicates an output (`Docs/decisions/0003-exactly-once-across-broker-crashes.md`).
///
/// The outputs of a batch are appended with the supervisor's own producer id and per-partition sequences
/// (`OutputWriter`); the log's producer state survives a crash, so after a restart the runtime learns, per
/// output partition, how many of the batch's records landed (`lastSequence - baseSequence + 1`). It then
/// sends exactly the same input records again (the `inputs` runs, in order) and drops, per output
/// partition, the outputs that already landed (`skip + landed`), which is exact for a deterministic operator.
///
/// Stored as text in the commit metadata of the batch's first input partition (Kafka tools show it as the
/// offset's metadata while the batch is in flight; the commit that follows clears it):
///
/// ```
/// sluice-intent/1;p=<producer id>;in=<stream>:<partition>:<end offset>,...;out=<stream>:<partition>:<skip>:<base sequence>:<count>,...;rr=<stream>:<next partition>,...[;dl=1]
/// ```
///
/// `dl=1` marks a dead letter: one input record (one run) about to be appended to the dead-letter stream
/// (one output). It is not sent again after a crash: if the dead letter landed, the record is committed past;
/// if not, it is fed to the operator again like any uncommitted record.
///
/// `in` lists the batch's runs of records in the order they were sent: each run is the records of one input
/// partition up to (not including) its end offset, starting where the previous run of that partition (or
/// the committed offset) stopped. `rr` is where each output stream's round-robin of unkeyed records started,
/// so the replay puts unkeyed records on the same partitions. Stream names cannot contain `:`, `,`, `;`.
struct OutputIntent: Equatable, Sendable {
    struct InputRun: Equatable, Sendable {
        var stream: String
        var partition: Int32
        var endOffset: Int64
    }

    struct OutputSlot: Equatable, Sendable, Hashable {
        var stream: String
        var partition: Int32
    }

    struct OutputRange: Equatable, Sendable {
        var slot: OutputSlot
        /// Outputs of this partition that an earlier attempt of the same batch already landed.
        var skip: Int
        var baseSequence: Int32
        var count: Int
    }

    static let prefix = "sluice-intent/1"

    var producerId: Int64
    var inputs: [InputRun]
    var outputs: [OutputRange]
    var roundRobinStarts: [String: Int]
    var isDeadLetter = false

    var encoded: String {
        let inputs = self.inputs.map { "\($0.stream):\($0.partition):\($0.endOffset)" }.joined(separator: ",")
        let outputs = self.outputs.map {
            "\($0.slot.stream):\($0.slot.partition):\($0.skip):\($0.baseSequence):\($0.count)"
        }.joined(separator: ",")
        let starts = self.roundRobinStarts.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }
            .joined(separator: ",")
        let deadLetter = self.isDeadLetter ? ";dl=1" : ""
        return "\(Self.prefix);p=\(self.producerId);in=\(inputs);out=\(outputs);rr=\(starts)\(deadLetter)"
    }

    /// Parses commit metadata; nil for anything that is not an intent (ordinary metadata, or a damaged one:
    /// a batch without a readable intent is replayed like any uncommitted batch).
    init?(decoding text: String) {
        guard text.hasPrefix(Self.prefix + ";") else { return nil }
        var fields: [Substring: Substring] = [:]
        for field in text.split(separator: ";").dropFirst() {
            guard let equals = field.firstIndex(of: "=") else { return nil }
            fields[field[..<equals]] = field[field.index(after: equals)...]
        }
        guard let producerText = fields["p"], let producerId = Int64(producerText),
              let inputsText = fields["in"], let outputsText = fields["out"], let startsText = fields["rr"] else { return nil }
        var inputs: [InputRun] = []
        for item in inputsText.split(separator: ",") {
            let parts = item.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 3, !parts[0].isEmpty, let partition = Int32(parts[1]), let end = Int64(parts[2]) else { return nil }
            inputs.append(InputRun(stream: String(parts[0]), partition: partition, endOffset: end))
        }
        var outputs: [OutputRange] = []
        for item in outputsText.split(separator: ",") {
            let parts = item.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 5, !parts[0].isEmpty, let partition = Int32(parts[1]), let skip = Int(parts[2]),
                  let base = Int32(parts[3]), let count = Int(parts[4]), skip >= 0, count >= 0 else { return nil }
            outputs.append(OutputRange(
                slot: OutputSlot(stream: String(parts[0]), partition: partition), skip: skip, baseSequence: base, count: count
            ))
        }
        var starts: [String: Int] = [:]
        for item in startsText.split(separator: ",") {
            let parts = item.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, let start = Int(parts[1]), start >= 0 else { return nil }
            starts[String(parts[0])] = start
        }
        self.init(
            producerId: producerId, inputs: inputs, outputs: outputs, roundRobinStarts: starts,
            isDeadLetter: fields["dl"] == "1"
        )
    }

    init(
        producerId: Int64, inputs: [InputRun], outputs: [OutputRange], roundRobinStarts: [String: Int],
        isDeadLetter: Bool = false
    ) {
        self.producerId = producerId
        self.inputs = inputs
        self.outputs = outputs
        self.roundRobinStarts = roundRobinStarts
        self.isDeadLetter = isDeadLetter
    }

    /// How many of `range`'s records landed, given the producer's last sequence in that partition (nil: none
    /// of its batches is there). Sequences wrap at Int32.max like Kafka's, so the distance is taken modulo 2^31.
    static func landedCount(of range: OutputRange, lastSequence: Int32?) -> Int {
        guard let lastSequence, range.count > 0 else { return 0 }
        let distance = (Int64(lastSequence) - Int64(range.baseSequence) + (Int64(1) << 31)) % (Int64(1) << 31)
        return distance < Int64(range.count) ? Int(distance) + 1 : 0
    }
}

/// A batch to send again after a broker crash, exactly as it was first sent, with the outputs to drop.
struct OutputReplay: Sendable {
    var intent: OutputIntent
    /// For a Timers batch (`InFlightTimerBatch`), the timers it delivered; empty for a Records batch.
    var timers: [OperatorTimer] = []
    /// Per output partition, how many of the replayed batch's outputs are already in the log.
    var skips: [OutputIntent.OutputSlot: Int]
}
