import Foundation
import GroupCoordinator
import LogStore
import RecordFormat
import SluiceModel
import Synchronization

/// Runs one deployed operator: owns its `OperatorLifecycle`, its current process, its inputs and outputs,
/// its timers and its counters, and carries out the lifecycle's actions. An actor: commands (pause, swap,
/// stop) interleave with the feeding loop only at its suspension points, and the lifecycle's invariant (one
/// batch in flight, finished before a pause or handoff takes effect) keeps that safe.
///
/// The feeding loop (`OperatorSupervisor+Feeding.swift`) sends a batch, waits for its answer, sends the next
/// one (pipelined), then appends the first one's outputs, waits for durability, persists timers and commits
/// its inputs; the second one's outputs are appended only after that commit.
actor OperatorSupervisor {
    nonisolated let name: String
    nonisolated let placement: OperatorPlacement
    /// Numbers the processes of the whole deployment, so every label (`v2#7`) names one process.
    let processNumbers: ProcessNumbering
    let configuration: OperatorRuntimeConfiguration
    let logs: LogManager
    let groups: GroupCoordinator
    let clock: SluiceClock
    let store: DeploymentStore
    let producerIds: ProducerIdAllocator
    let confinement: OperatorConfinement
    let onEvent: @Sendable (String) -> Void
    nonisolated let log: OperatorLog
    nonisolated let statusBox: Mutex<StatusSnapshot>

    /// The deployment's record as its `OperatorDeployment` last gave it; `currentVersion` is what this
    /// supervisor runs. Only the deployment saves it.
    var record: DeploymentRecord
    var lifecycle: OperatorLifecycle
    var planner: BatchRetryPlanner
    var current: OperatorInstance?
    /// The new version of a swap, Ready and waiting for the old one's in-flight batch.
    var pendingSwap: OperatorInstance?
    var handOffWaiter: CheckedContinuation<Void, Never>?
    var isSwapping = false
    var reader: InputReader?
    /// The streams of the current inputs, by input index.
    var inputStreams: [String] = []
    var writer: OutputWriter?
    var deadLetterWriter: OutputWriter?
    var timers: TimerHeap
    var timerWakeAtMs: Int64?
    /// After a Timers batch died: the bound of the next one (halved until the timer to blame is alone).
    var timerBatchLimit: Int?
    var timerFailures: [OperatorTimer: Int] = [:]
    /// Read but not yet committed records (the head of the inputs); every Records batch is a prefix of it.
    var retained = InputBatch()
    /// A one-time bound on the next batch, set by a retry decision.
    var nextBatchLimit: Int?
    /// Batches that were being applied when the broker stopped (their intents were in the commit metadata):
    /// sent again first, exactly as before, with the outputs that landed dropped (`OutputIntent`).
    var pendingReplays: [OutputReplay] = []
    /// An interrupted Timers batch (`InFlightTimerBatch`), queued behind the Records replays once the reader
    /// is made (which resets them).
    var timersReplay: OutputReplay?
    /// The replay whose batch is in flight now.
    var activeReplay: OutputReplay?
    /// The outputs of a pipelined batch, built while the batch in front of it was committed (with its intent).
    var preparedAhead: (batchId: UInt64, outputs: OutputWriter.PreparedOutputs)?
    /// Committed input positions (this supervisor is the group's only committer).
    var committed: [TopicPartition: Int64] = [:]
    /// The batches sent to the current process whose answers are awaited, oldest first (at most two: the
    /// feeding loop pipelines one batch behind the one being applied).
    var awaitedBatchIds: [UInt64] = []
    /// Answers that came while the loop was still applying an earlier batch, with when they came.
    var arrivedOutcomes: [UInt64: (outcome: BatchOutcome, arrivedNs: UInt64)] = [:]
    var resultWaiter: (batchId: UInt64, continuation: CheckedContinuation<BatchOutcome, Never>)?
    var lastCommitNs: UInt64 = 0
    /// Set at a handoff; the gap is measured when the new version's first batch goes out.
    var handOffStartNs: UInt64?
    /// When the swap's new version was Ready, when the handoff began and when it was done (monotonic).
    var swapReadyNs: UInt64 = 0
    var handOffBeganNs: UInt64?
    var handOffDoneNs: UInt64?
    var lastHandOffGapMs: Double?
    let wakeup = WakeupSignal()
    var loopTask: Task<Void, Never>?
    var counters = Counters()
    var metrics: OperatorMetrics
    /// Why the operator is `failing`: its last answer could not be applied. Cleared by the next batch applied.
    var failingReason: String?
    /// Why the operator is stopped: its process went over a limit (`OperatorSupervisor+Limits`). Cleared when
    /// a resume or a swap starts a new process.
    var limitReason: String?
    /// The time the feeding loop's retry wake-up is set for (one sleeping task per distinct time).
    var retryWakeAtNs: UInt64?
    /// Spares the logs when the same failure repeats (`noteError(_:repeated:)`).
    var repeatedErrorLimiter = LogLineLimiter()
    /// Input positions `makeReader` moved: reset because the committed offset was past the log end, or past
    /// a record whose dead letter landed before a crash stopped its commit; committed next.
    var offsetResets: [InputPartitionKey: Int64] = [:]

    struct Counters {
        var recordsIn: Int64 = 0
        var recordsOut: Int64 = 0
        var deadLettered: Int64 = 0
        var lastErrors: [String] = []
        var handOffGapsMs: [Double] = []
        var rateWindowStartNs: UInt64 = 0
        var rateWindowStartRecords: Int64 = 0
        var recordsPerSecond: Double = 0
    }

    enum BatchOutcome {
        case result(BatchResultMessage)
        case failed(recordIndex: Int?, error: String)
        case crashed(String)
    }

    static let lastErrorsMax = 20
    static let handOffGapsMax = 100

    init(
        record: DeploymentRecord, placement: OperatorPlacement, log: OperatorLog, processNumbers: ProcessNumbering,
        context: OperatorRuntime.Context
    ) {
        self.name = record.name
        self.placement = placement
        self.processNumbers = processNumbers
        self.record = record
        self.configuration = context.configuration
        self.logs = context.logs
        self.groups = context.groups
        self.clock = context.clock
        self.store = context.store
        self.producerIds = context.producerIds
        self.confinement = context.confinement
        self.onEvent = context.onEvent
        self.log = log
        self.lifecycle = OperatorLifecycle(
            paused: record.paused, restartBackoffMsMin: context.configuration.restartBackoffMsMin,
            restartBackoffMsMax: context.configuration.restartBackoffMsMax
        )
        self.planner = BatchRetryPlanner(
            attempts: context.configuration.deadLetterAttempts, backoffMsMin: context.configuration.retryBackoffMsMin,
            backoffMsMax: context.configuration.retryBackoffMsMax
        )
        self.timers = TimerHeap([])
        self.statusBox = Mutex(StatusSnapshot(name: record.name, version: record.currentVersion))
        self.metrics = OperatorMetrics(operatorName: record.name, factory: context.configuration.metricsFactory)
    }

    // MARK: - Starting

    /// Starts the current version (or adopts `instance`, already started by a deploy) and the feeding loop.
    func begin(with instance: OperatorInstance?) async throws {
        // Loaded here, not at init: a scale writes the timers of the new instances after creating them.
        self.timers = TimerHeap(self.store.loadTimers(of: self.name, file: self.placement.timersFileName))
        if let replay = self.interruptedTimersReplay() { self.timersReplay = replay }
        let started: OperatorInstance
        if let instance {
            started = instance
        } else {
            started = try await self.startInstance(version: self.record.currentVersion)
        }
        try await self.adopt(started)
        _ = self.lifecycle.processReady()
        self.loopTask = Task { await self.runLoop() }
        self.publishStatus()
    }

    func startInstance(version: Int) async throws -> OperatorInstance {
        guard let stored = self.record.version(version) else {
            throw OperatorRuntimeError(code: .startFailed, message: "operator \(self.name) has no version \(version)")
        }
        let number = self.processNumbers.next()
        let parameters = OperatorInstance.StartParameters(
            argv: OperatorRuntime.resolveCommand(stored.command, configuration: self.configuration),
            directory: self.store.versionDirectory(of: self.name, version: version),
            environment: OperatorRuntime.environment(for: stored, name: self.name, configuration: self.configuration),
            helloName: self.name, version: version, number: number, timeoutMs: self.configuration.startTimeoutMs,
            placement: self.placement, limits: self.limits(ofVersion: version), confinement: self.confinement
        )
        let sink = StderrSink(log: self.log, prefix: parameters.label)
        let instance = try await OperatorInstance.start(parameters, stderr: sink)
        self.pump(instance)
        return instance
    }

    /// Makes `instance` current: outputs resolved (created when missing), inputs read from the committed
    /// offsets, the init batch's outputs and timers applied.
    ///
    /// A restarted process with the same inputs keeps the reader and the retained records, so a crashing
    /// batch goes on being halved; a new version (or new inputs) reads afresh from the committed offsets.
    func adopt(_ instance: OperatorInstance, isRestart: Bool = false) async throws {
        if instance.iterator != nil { self.pump(instance) }
        let outputs = try self.createOutputStreams(instance.metadata.outputs)
        // A fresh producer id per process: its sequences start at 0, so the log can tell what a batch landed.
        let writer = try OutputWriter(streams: outputs, logs: self.logs, producerId: try self.producerIds.allocate())
        let inputStreams = instance.metadata.inputs.map(\.stream)
        if !(isRestart && self.reader != nil && inputStreams == self.inputStreams) {
            let reader = try self.makeReader(for: instance.metadata)
            self.reader?.close()
            self.reader = reader
            self.retained = InputBatch()
            self.nextBatchLimit = nil
            self.planner.retainedRecordsDrained()
            self.inputStreams = inputStreams
            self.activeReplay = nil
            try await self.commitOffsetResets()
            // A new version (a swap, a rollback) has not failed yet; a restart of the same one keeps the reason.
            self.failingReason = nil
        }
        self.writer = writer
        self.current = instance
        self.limitReason = nil
        try self.applyInitTimers(instance.initTimers)
    }

    /// Creates the streams this supervisor writes (a canary's shadow streams get as many partitions as the
    /// streams they shadow) and returns their names.
    private func createOutputStreams(_ declared: [String]) throws -> [String] {
        var streams: [String] = []
        for output in declared {
            let stream = self.placement.stream(forOutput: output)
            let partitions = self.logs.topic(output)?.partitionCount ?? self.configuration.outputPartitions
            try OperatorRuntime.createStreams([stream], logs: self.logs, partitions: partitions)
            streams.append(stream)
        }
        return streams
    }

    func makeReader(for metadata: OperatorMetadata) throws -> InputReader {
        var sources: [InputReader.Source] = []
        var wanted: [TopicPartition] = []
        for (inputIndex, input) in metadata.inputs.enumerated() {
            guard let info = self.logs.topic(input.stream) else {
                throw OperatorRuntimeError(code: .startFailed, message: "input stream \(input.stream) does not exist")
            }
            for partition in 0..<info.partitionCount where self.placement.owns(partition: partition) {
                let topicPartition = TopicPartition(topic: input.stream, partition: PartitionID(Int32(partition)))
                guard let log = self.logs.partition(topicPartition) else { continue }
                wanted.append(topicPartition)
                sources.append(.init(
                    key: InputPartitionKey(inputIndex: inputIndex, partition: Int32(partition)), stream: input.stream,
                    log: log, position: log.logStartOffset.rawValue
                ))
            }
        }
        let fetched = self.groups.fetchOffsets(groupId: self.placement.groupId, partitions: wanted).offsets
        self.pendingReplays = self.replays(of: fetched, owned: Set(wanted))
        if let timersReplay = self.timersReplay {
            self.pendingReplays.append(timersReplay)
            self.timersReplay = nil
        }
        for index in sources.indices {
            let topicPartition = TopicPartition(topic: sources[index].stream, partition: PartitionID(sources[index].key.partition))
            if let offset = fetched[topicPartition]?.offset, offset >= 0 {
                sources[index].position = self.resetPosition(
                    committed: offset, log: sources[index].log, key: sources[index].key, stream: sources[index].stream
                )
            }
            self.committed[topicPartition] = self.offsetResets[sources[index].key]
                ?? fetched[topicPartition].map { max($0.offset, 0) } ?? 0
        }
        // An interrupted batch that read a partition whose log was recreated names records that are gone:
        // it cannot be sent again, and its partitions are read afresh from the reset position.
        let resetPartitions = Set(self.offsetResets.keys.map { key in
            TopicPartition(topic: metadata.inputs[key.inputIndex].stream, partition: PartitionID(key.partition))
        })
        self.pendingReplays.removeAll { replay in
            replay.intent.inputs.contains { resetPartitions.contains(TopicPartition(topic: $0.stream, partition: PartitionID($0.partition))) }
        }
        let deadLettered = self.landedDeadLetters(of: fetched)
        for index in sources.indices {
            let topicPartition = TopicPartition(topic: sources[index].stream, partition: PartitionID(sources[index].key.partition))
            guard let endOffset = deadLettered[topicPartition], endOffset > sources[index].position else { continue }
            sources[index].position = endOffset
            self.offsetResets[sources[index].key] = endOffset
            self.committed[topicPartition] = endOffset
        }
        let wakeup = self.wakeup
        return InputReader(
            sources: sources, traceSampleEvery: self.configuration.traceSampleEvery, onAppend: { wakeup.signal() },
            onEvent: self.onEvent
        )
    }

    /// The event pump of a process: delivers its events to this actor in order.
    private func pump(_ instance: OperatorInstance) {
        guard var iterator = instance.takeIterator() else { return }
        Task { [weak self] in
            while let event = await iterator.next() {
                guard let self else { return }
                await self.handle(event, from: instance)
            }
        }
    }

    // MARK: - Process events

    func handle(_ event: OperatorProcessEvent, from instance: OperatorInstance) {
        switch event {
        case .message(.batchResult(let result)):
            self.deliver(.result(result), batchId: result.batchId, from: instance)
        case .message(.failed(let batchId, let recordIndex, let error)):
            if instance === self.current, self.awaitedBatchIds.contains(batchId) {
                self.deliver(.failed(recordIndex: recordIndex.map { Int($0) }, error: error), batchId: batchId, from: instance)
            } else if instance === self.current {
                self.noteError("\(instance.label) failed outside a batch: \(error)")
            }
        case .message(.stopped), .message(.ready), .message(.metadata):
            break
        case .protocolError(let error):
            self.noteError("\(instance.label) broke the protocol and was killed: \(error)")
        case .exited(let status):
            instance.hasExited = true
            instance.exitStatus = status
            guard instance === self.current else { return }
            if let waiter = self.resultWaiter {
                self.resultWaiter = nil
                waiter.continuation.resume(returning: .crashed(status))
            } else if !self.lifecycle.isBatchInFlight {
                self.processCrashed(instance)
            }
            // Otherwise a batch's answer is being applied; the feeding loop sees `hasExited` when it next waits.
        }
    }

    /// Hands an answer to the feeding loop, or keeps it until the loop asks (answers to batches no longer
    /// awaited, such as one pipelined behind a batch that failed, are dropped).
    private func deliver(_ outcome: BatchOutcome, batchId: UInt64, from instance: OperatorInstance) {
        guard instance === self.current, self.awaitedBatchIds.contains(batchId) else { return }
        if let waiter = self.resultWaiter, waiter.batchId == batchId {
            self.resultWaiter = nil
            waiter.continuation.resume(returning: outcome)
        } else {
            self.arrivedOutcomes[batchId] = (outcome, self.clock.monotonicNs())
        }
    }

    func processCrashed(_ instance: OperatorInstance) {
        guard instance === self.current else { return }
        if self.lifecycle.state != .swapping && self.lifecycle.state != .stopped, let breach = instance.limitBreach {
            self.stopOverLimit(instance, breach: breach)
            return
        }
        self.current = nil
        // Called even when stopped: it clears the in-flight batch a stop may be waiting for.
        let action = self.lifecycle.processExited(nowNs: self.clock.monotonicNs())
        guard self.lifecycle.state != .stopped else { return }
        self.noteError("\(instance.label) exited unexpectedly (\(instance.exitStatus))")
        if self.lifecycle.state == .swapping, let pending = self.pendingSwap {
            // The old version died with the new one Ready: hand off now instead of restarting the old one.
            self.pendingSwap = nil
            Task { await self.handOff(to: pending) }
        } else {
            self.perform(action)
        }
    }

    func restartDue() async {
        guard self.lifecycle.restartTimerFired(nowNs: self.clock.monotonicNs()) == .startProcess else { return }
        self.publishStatus()
        do {
            let instance = try await self.startInstance(version: self.record.currentVersion)
            guard self.lifecycle.state == .starting else {
                instance.process.kill()
                return
            }
            try await self.adopt(instance, isRestart: true)
            self.perform(self.lifecycle.processReady())
            self.onEvent("operator \(self.name): restarted \(instance.label)")
        } catch let error as OperatorRuntimeError where error.code == .limitExceeded {
            self.stopOverLimit(starting: error.message)
        } catch {
            self.noteError("restart of v\(self.record.currentVersion) failed: \(error)")
            self.perform(self.lifecycle.processExited(nowNs: self.clock.monotonicNs()))
        }
        self.publishStatus()
    }

    func perform(_ action: OperatorLifecycle.Action) {
        switch action {
        case .none, .startProcess, .stopProcess:
            break
        case .feed:
            self.wakeup.signal()
        case .handOff:
            // Carried out by the feeding loop (`finishBatch`), which awaits it.
            break
        case .scheduleRestart(let afterMs):
            self.recordRestart()
            Task { [weak self] in
                try? await Task.sleep(nanoseconds: UInt64(afterMs) * 1_000_000)
                await self?.restartDue()
            }
        }
        self.publishStatus()
    }

    /// Keeps `text` among the last errors and logs it; a `repeated` failure is logged within the rate limit of
    /// `repeatedErrorLimiter` (the status always has the newest).
    func noteError(_ text: String, repeated: Bool = false) {
        self.counters.lastErrors.append(text)
        if self.counters.lastErrors.count > Self.lastErrorsMax { self.counters.lastErrors.removeFirst() }
        var line = text
        if repeated {
            guard case .write(let suppressed) = self.repeatedErrorLimiter.admit(nowNs: self.clock.monotonicNs()) else {
                return
            }
            if suppressed > 0 { line += " (\(suppressed) similar lines left out)" }
        }
        self.log.append(line, prefix: "runtime")
        self.onEvent("operator \(self.name): \(line)")
    }
}
