import GroupCoordinator
import LogStore
import SluiceModel

/// What one look at the broker sees, before rates: the streams with their end offsets, the operators as
/// the runtime reports them, and each operator's uncommitted records per input stream.
struct TopologySnapshot: Equatable {
    struct StreamSample: Equatable {
        var name: String
        var partitions: Int
        var endOffsetSum: Int64
    }

    struct InputKey: Hashable {
        var operatorName: String
        var stream: String
    }

    var streams: [StreamSample]
    var operators: [OperatorDocument]
    var inputLags: [InputKey: Int64]
}

/// Builds `GET /v1/topology`. Reading the broker (`snapshot`) is kept apart from assembling the document
/// (`document`) so the assembly is tested with plain values and a manual clock.
enum TopologyBuilder {
    /// How long a first request waits between its two samples when there is no recent one: a shorter
    /// wait reads a batchy stream's rate poorly, a longer one makes `sluice graph` slow.
    static let baselineIntervalMs: UInt64 = 1_000

    /// Samples the broker (twice when the rates have no recent baseline) and answers the document.
    static func build(context: AdminContext) async -> TopologyDocument {
        if context.rates.needsBaseline {
            context.rates.observe(self.counters(await self.snapshot(context: context)))
            try? await Task.sleep(nanoseconds: self.baselineIntervalMs * 1_000_000)
        }
        let snapshot = await self.snapshot(context: context)
        context.rates.observe(self.counters(snapshot))
        return self.document(snapshot, rates: context.rates, sampledAtMs: context.clock.wallTimeMs())
    }

    /// Reads the streams (internal ones left out), the operators, and each operator's lag per input.
    static func snapshot(context: AdminContext) async -> TopologySnapshot {
        var streams: [TopologySnapshot.StreamSample] = []
        for name in context.logs.topicNames() where !TopicAdministration.isInternal(name) {
            guard let info = context.logs.topic(name) else { continue }
            let ends = self.partitions(of: info).compactMap { context.logs.partition($0)?.logEndOffset.rawValue }
            streams.append(.init(name: name, partitions: info.partitionCount, endOffsetSum: ends.reduce(0, +)))
        }
        let operators = await context.control.list().sorted { $0.name < $1.name }
        var inputLags: [TopologySnapshot.InputKey: Int64] = [:]
        for status in operators {
            for stream in Set(status.inputs) {
                guard let info = context.logs.topic(stream) else { continue }
                let lag = self.uncommitted(groupId: status.name, partitions: self.partitions(of: info), context: context)
                inputLags[.init(operatorName: status.name, stream: stream)] = lag
            }
        }
        return TopologySnapshot(streams: streams, operators: operators, inputLags: inputLags)
    }

    /// The counters whose growth the rate tracker measures: stream end offsets, and the records each
    /// operator read, wrote and dead-lettered. The operator's processing rate is measured here too rather
    /// than taken from its status, so every rate of the document covers the same window.
    static func counters(_ snapshot: TopologySnapshot) -> [String: Int64] {
        var counters: [String: Int64] = [:]
        for stream in snapshot.streams { counters[self.streamKey(stream.name)] = stream.endOffsetSum }
        for status in snapshot.operators {
            counters[self.inputKey(status.name)] = status.recordsIn
            counters[self.outputKey(status.name)] = status.recordsOut
            counters[self.deadLetterKey(status.name)] = status.deadLettered
        }
        return counters
    }

    /// Assembles the document from a snapshot and the rates measured so far.
    static func document(_ snapshot: TopologySnapshot, rates: RateTracker, sampledAtMs: Int64) -> TopologyDocument {
        var streams = snapshot.streams.map { sample in
            TopologyDocument.Stream(
                name: sample.name, partitions: sample.partitions, endOffsetSum: sample.endOffsetSum,
                appendRecordsPerSecond: rates.ratePerSecond(self.streamKey(sample.name))
            )
        }
        var operators: [TopologyDocument.Operator] = []
        var edges: [TopologyDocument.Edge] = []
        for status in snapshot.operators {
            let inputRate = rates.ratePerSecond(self.inputKey(status.name))
            let outputRate = rates.ratePerSecond(self.outputKey(status.name))
            operators.append(TopologyDocument.Operator(
                name: status.name, version: status.version, state: status.state, inputs: status.inputs,
                outputs: status.outputs, lag: status.lag, recordsPerSecond: inputRate,
                outputRecordsPerSecond: outputRate, instances: status.instances, canaryVersion: status.canary?.version,
                reason: status.reason
            ))
            edges += self.edges(of: status, snapshot: snapshot, inputRate: inputRate, outputRate: outputRate, rates: rates)
        }
        // An edge may name a stream the logs do not hold (yet); give it a node so every edge has both ends.
        let known = Set(streams.map(\.name))
        let missing = Set(edges.map(\.stream)).subtracting(known)
        streams += missing.sorted().map { .init(name: $0, partitions: 0, endOffsetSum: 0, appendRecordsPerSecond: 0) }
        return TopologyDocument(sampledAtMs: sampledAtMs, streams: streams, operators: operators, edges: edges)
    }

    /// An operator's input edges, output edges (its canary's shadow streams too), and an edge to its
    /// dead-letter stream once that exists.
    private static func edges(
        of status: OperatorDocument, snapshot: TopologySnapshot, inputRate: Double, outputRate: Double,
        rates: RateTracker
    ) -> [TopologyDocument.Edge] {
        var edges: [TopologyDocument.Edge] = []
        for stream in self.unique(status.inputs) {
            edges.append(.init(
                stream: stream, operator: status.name, direction: .input, recordsPerSecond: inputRate,
                lag: snapshot.inputLags[.init(operatorName: status.name, stream: stream)] ?? 0, state: status.state
            ))
        }
        for stream in self.unique(status.outputs) {
            edges.append(.init(
                stream: stream, operator: status.name, direction: .output, recordsPerSecond: outputRate, lag: nil,
                state: status.state
            ))
        }
        // A canary's shadow streams hang off its operator, at the canary's own rate and state.
        if let canary = status.canary {
            for stream in self.unique(canary.outputs) {
                edges.append(.init(
                    stream: stream, operator: status.name, direction: .output, recordsPerSecond: canary.recordsPerSecond,
                    lag: nil, state: canary.state
                ))
            }
        }
        let deadLetters = status.name + ".dlq"
        if !status.outputs.contains(deadLetters), snapshot.streams.contains(where: { $0.name == deadLetters }) {
            edges.append(.init(
                stream: deadLetters, operator: status.name, direction: .output,
                recordsPerSecond: rates.ratePerSecond(self.deadLetterKey(status.name)), lag: nil, state: status.state
            ))
        }
        return edges
    }

    private static func uncommitted(groupId: String, partitions: [TopicPartition], context: AdminContext) -> Int64 {
        let committed = context.groups.fetchOffsets(groupId: groupId, partitions: partitions).offsets
        var lag: Int64 = 0
        for topicPartition in partitions {
            guard let log = context.logs.partition(topicPartition) else { continue }
            // Where the operator resumes: its commit, or the start of the log when it has none (as the runtime).
            let position = max(committed[topicPartition]?.offset ?? 0, log.logStartOffset.rawValue)
            lag += max(0, log.logEndOffset.rawValue - position)
        }
        return lag
    }

    private static func partitions(of info: TopicInfo) -> [TopicPartition] {
        (0..<info.partitionCount).map { TopicPartition(topic: info.name, partition: PartitionID(Int32($0))) }
    }

    /// The names in their first order, without repeats (an operator may list a stream twice).
    private static func unique(_ names: [String]) -> [String] {
        var seen: Set<String> = []
        return names.filter { seen.insert($0).inserted }
    }

    static func streamKey(_ name: String) -> String { "stream:" + name }
    static func inputKey(_ name: String) -> String { "operator-in:" + name }
    static func outputKey(_ name: String) -> String { "operator-out:" + name }
    static func deadLetterKey(_ name: String) -> String { "operator-dlq:" + name }
}
