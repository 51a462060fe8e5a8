/// The lifecycle of one deployed operator as a state machine: events go in, actions come out, and
/// `OperatorSupervisor` carries the actions out. It knows nothing of processes or logs, so every decision
/// (pause after the in-flight batch, make-before-break swap, restart backoff) is unit-tested with a clock
/// the test moves by hand.
///
/// Invariant: at most one batch is in flight, and a batch in flight always finishes (BatchResult or Failed)
/// or dies with its process before the operator pauses, hands off or stops being fed. "A batch" here is the
/// feeding loop's span: one batch, plus the ones it pipelines behind it while still `running`; the span ends
/// when the last of them is applied.
struct OperatorLifecycle: Sendable {
    enum State: Equatable, Sendable {
        /// A process is starting (Hello sent, waiting for Metadata and Ready).
        case starting
        case running
        /// Pause requested while a batch is in flight; paused when it finishes.
        case pausing
        case paused
        /// A new version is Ready; the old one finishes its in-flight batch, then hands off.
        case swapping
        /// The process died; a new one starts at `dueNs` (monotonic).
        case restarting(dueNs: UInt64)
        /// The process went over one of its limits and was stopped; not restarted until a resume or a swap
        /// (restarting it would only hit the same limit again, in a loop that costs the machine).
        case overLimit
        case stopped
    }

    enum Action: Equatable, Sendable {
        case none
        /// Feed the next batch when there is input (or a due timer).
        case feed
        /// Stop the old process and make the new version current (its in-flight batch is done and committed).
        case handOff
        case scheduleRestart(afterMs: Int64)
        case startProcess
        case stopProcess
    }

    private(set) var state: State = .starting
    /// The persisted wish: true from pause until resume, whatever the process is doing.
    private(set) var isPauseRequested: Bool
    private(set) var isBatchInFlight = false
    private(set) var consecutiveCrashes = 0
    private(set) var restarts = 0
    let restartBackoffMsMin: Int64
    let restartBackoffMsMax: Int64

    init(paused: Bool, restartBackoffMsMin: Int64, restartBackoffMsMax: Int64) {
        precondition(restartBackoffMsMin > 0 && restartBackoffMsMin <= restartBackoffMsMax, "backoff bounds")
        self.isPauseRequested = paused
        self.restartBackoffMsMin = restartBackoffMsMin
        self.restartBackoffMsMax = restartBackoffMsMax
    }

    /// The name the status API shows.
    var stateName: String {
        switch self.state {
        case .starting: return "starting"
        case .running, .swapping: return "running"
        case .pausing: return self.isBatchInFlight ? "running" : "paused"
        case .paused: return "paused"
        case .restarting: return "restarting"
        case .overLimit, .stopped: return "stopped"
        }
    }

    /// Whether a new batch may be sent now.
    var mayFeed: Bool { self.state == .running && !self.isBatchInFlight }

    mutating func processReady() -> Action {
        guard self.state == .starting else { return .none }
        self.state = self.isPauseRequested ? .paused : .running
        return self.state == .running ? .feed : .none
    }

    mutating func batchSent() {
        precondition(self.mayFeed, "a batch is sent only while running with none in flight")
        self.isBatchInFlight = true
    }

    /// The in-flight batch was answered and its outputs appended and committed (or it failed and was
    /// dropped): the next step is decided here.
    mutating func batchFinished(succeeded: Bool) -> Action {
        precondition(self.isBatchInFlight, "a batch was in flight")
        self.isBatchInFlight = false
        if succeeded { self.consecutiveCrashes = 0 }
        switch self.state {
        case .running: return .feed
        case .pausing:
            self.state = .paused
            return .none
        case .swapping: return .handOff
        case .starting, .paused, .restarting, .overLimit, .stopped: return .none
        }
    }

    mutating func pause() -> Action {
        self.isPauseRequested = true
        switch self.state {
        case .running: self.state = self.isBatchInFlight ? .pausing : .paused
        case .starting, .pausing, .paused, .swapping, .restarting, .overLimit, .stopped: break
        }
        return .none
    }

    mutating func resume() -> Action {
        self.isPauseRequested = false
        switch self.state {
        case .paused:
            self.state = .running
            return .feed
        case .pausing:
            self.state = .running
            return .none
        case .overLimit:
            // A resume is the person's "try again": a new process, at once (counted as a restart).
            self.restarts += 1
            self.state = .restarting(dueNs: 0)
            return .scheduleRestart(afterMs: 0)
        case .starting, .running, .swapping, .restarting, .stopped:
            return .none
        }
    }

    /// The new version of a swap answered Ready while this one runs (make-before-break).
    mutating func newVersionReady() -> Action {
        switch self.state {
        case .running, .pausing, .paused, .starting, .restarting, .overLimit:
            // Nothing is fed while swapping; with nothing in flight the handoff happens at once (a restarting
            // old version, or one stopped over its limit, is simply replaced).
            self.state = .swapping
            return self.isBatchInFlight ? .none : .handOff
        case .swapping, .stopped:
            return .none
        }
    }

    /// The new version is current.
    mutating func handOffDone() -> Action {
        precondition(!self.isBatchInFlight, "the old version's batch finished before the handoff")
        self.consecutiveCrashes = 0
        self.state = self.isPauseRequested ? .paused : .running
        return self.state == .running ? .feed : .none
    }

    /// The current process died (or never became Ready): restart with exponential backoff.
    mutating func processExited(nowNs: UInt64) -> Action {
        self.isBatchInFlight = false
        // During a swap the new version takes over; a stopped operator stays stopped.
        guard self.state != .stopped && self.state != .swapping else { return .none }
        self.consecutiveCrashes += 1
        self.restarts += 1
        let delayMs = self.backoffMs(afterCrashes: self.consecutiveCrashes)
        self.state = .restarting(dueNs: nowNs + UInt64(delayMs) * 1_000_000)
        return .scheduleRestart(afterMs: delayMs)
    }

    /// The current process was stopped for going over a limit (`LimitBreach`): no restart. During a swap the
    /// new version takes over as after any exit; a stopped operator stays stopped.
    mutating func processExceededLimit() -> Action {
        self.isBatchInFlight = false
        guard self.state != .stopped && self.state != .swapping else { return .none }
        self.state = .overLimit
        return .none
    }

    mutating func restartTimerFired(nowNs: UInt64) -> Action {
        guard case .restarting(let dueNs) = self.state, nowNs >= dueNs else { return .none }
        self.state = .starting
        return .startProcess
    }

    mutating func stop() -> Action {
        guard self.state != .stopped else { return .none }
        self.state = .stopped
        return .stopProcess
    }

    /// min · 2^(crashes-1), capped at max.
    func backoffMs(afterCrashes crashes: Int) -> Int64 {
        var delayMs = self.restartBackoffMsMin
        for _ in 1..<max(crashes, 1) {
            delayMs *= 2
            if delayMs >= self.restartBackoffMsMax { return self.restartBackoffMsMax }
        }
        return min(delayMs, self.restartBackoffMsMax)
    }
}
