import CoreMetrics
import SluiceModel

/// The settings of the operator runtime; the broker fills them from its configuration.
public struct OperatorRuntimeConfiguration: Sendable {
    /// The broker's data directory; operators live under `<dataDirectory>/operators/<name>/`.
    public var dataDirectory: String
    public var pythonExecutable = "python3"
    /// Directories added to PYTHONPATH (the Python SDK), before whatever the environment already has.
    public var pythonPath: [String] = []
    /// Bounds of one Records batch sent to an operator.
    public var batchRecordsMax = 5000
    public var batchBytesMax = 1024 * 1024
    /// Failures of one record (Failed, or a crash while it is alone in its batch) before it is dead-lettered.
    public var deadLetterAttempts = 3
    /// A record that failed (Failed, an answer that cannot be applied, a crash while alone) waits
    /// min · 2^(failures-1), capped at max, before it is tried again (`BatchRetryPlanner`).
    public var retryBackoffMsMin: Int64 = 100
    public var retryBackoffMsMax: Int64 = 5000
    public var restartBackoffMsMin: Int64 = 100
    public var restartBackoffMsMax: Int64 = 5000
    /// How long a new process has to answer Hello with Metadata and Ready.
    public var startTimeoutMs: Int64 = 10_000
    /// How long a stopping process has to answer Stop with Stopped before it is killed; also how long a
    /// stop or pause waits for the in-flight batch before killing a process that does not answer.
    public var stopTimeoutMs: Int64 = 5000
    /// A batch not answered within this time counts as a hung process: it is killed and the batch handled
    /// like a crash (split, then the record to blame dead-lettered).
    public var batchTimeoutMs: Int64 = 60_000
    /// Partitions of the output streams the runtime creates; the broker passes its default.
    public var outputPartitions = 1
    /// The operator log file is rotated (to `operator.log.1`) at this size.
    public var logFileSizeBytesMax: Int64 = 10 * 1024 * 1024
    /// Where operators' metrics go (`OperatorMetrics.swift`); the broker passes its Prometheus factory.
    public var metricsFactory: any MetricsFactory = NOOPMetricsHandler.instance
    /// One record in this many entering an operator without a trace context starts a trace; 0 samples none
    /// (records arriving with a sampled `traceparent` are traced whatever this says). See `Docs/tracing.md`.
    public var traceSampleEvery = 0
    /// Where every operator's finished spans go (shared, so the admin API and the exporter see one stream).
    public var traceSpans = SpanStore()
    /// The limits of a deployment that does not give its own (`[operators]` in the config file).
    public var limitsDefault = OperatorLimits.defaults
    /// Whether operators get cgroups where the machine has them (`operators.cgroups`); rlimits only when false.
    public var cgroupsEnabled = true
    /// The user operators run as (`operators.run_as_user`); nil runs them as the broker's user.
    public var runAsUser: String?

    public init(dataDirectory: String) {
        self.dataDirectory = dataDirectory
    }
}

/// What `deploy` and `swap` receive: the operator's code and how to run it.
public struct DeployRequest: Sendable {
    /// The operator's name; nil takes the name the operator declares in its Metadata.
    public var name: String?
    /// Relative path → bytes: one file, or the files of a directory.
    public var files: [String: [UInt8]]
    /// The command, split on spaces without a shell ("python3 main.py", "./op"); nil detects it: one `.py`
    /// file runs with the configured Python, one executable file runs directly.
    public var run: String?
    public var environment: [String: String]
    /// Limits asked for; the rest come from the configuration (a deploy) or the current version (a swap).
    public var limits: OperatorLimitsOverride

    public init(
        name: String? = nil, files: [String: [UInt8]], run: String? = nil, environment: [String: String] = [:],
        limits: OperatorLimitsOverride = OperatorLimitsOverride()
    ) {
        self.name = name
        self.files = files
        self.run = run
        self.environment = environment
        self.limits = limits
    }
}

/// A snapshot of one operator, for the admin API and the CLI.
public struct OperatorStatus: Sendable, Equatable {
    public var name: String
    public var version: Int
    /// starting, running, failing (answers that cannot be applied: retried with backoff, then dead-lettered),
    /// paused, restarting or stopped.
    public var state: String
    public var inputs: [String]
    public var outputs: [String]
    /// Records in the inputs not yet committed, summed over partitions.
    public var lag: Int64
    public var recordsPerSecond: Double
    public var recordsIn: Int64
    public var recordsOut: Int64
    public var restarts: Int
    public var deadLettered: Int64
    /// The newest errors, oldest first (bounded).
    public var lastErrors: [String]
    public var previousVersions: [Int]
    /// Handoff gaps of the recent swaps, oldest first (bounded), for metrics.
    public var recentHandoffGapsMs: [Double]
    /// Live instances, each owning a share of the input partitions.
    public var instances = 1
    /// One entry per live instance, in index order.
    public var instanceDetails: [InstanceStatus] = []
    public var canary: CanaryStatus?
    /// Why it is `failing`, `stopped` over a limit, or why the runtime paused it (a stream it uses was
    /// deleted); nil otherwise.
    public var reason: String?
    /// The limits of the running version.
    public var limits: OperatorLimits?
    /// How the limits are enforced on this machine (`OperatorConfinement.enforcement`).
    public var limitsEnforcement: String?
}

/// One live instance of an operator (`OperatorStatus.instanceDetails`).
public struct InstanceStatus: Sendable, Equatable {
    /// Its index among the live instances, from 0.
    public var index: Int
    /// The label of its current process in logs (`v2#7 [1/3]`), nil between processes.
    public var process: String?
    public var state: String
    /// The input partitions it owns, as `stream-partition`.
    public var partitions: [String]
    public var lag: Int64
    public var recordsPerSecond: Double
    public var recordsIn: Int64
}

/// A canary running next to the live version (`OperatorStatus.canary`).
public struct CanaryStatus: Sendable, Equatable {
    public var version: Int
    public var state: String
    /// The shadow streams it writes.
    public var outputs: [String]
    public var lag: Int64
    public var recordsPerSecond: Double
    public var recordsIn: Int64
    public var recordsOut: Int64

    init(_ status: OperatorStatus) {
        self.version = status.version
        self.state = status.state
        self.outputs = status.outputs
        self.lag = status.lag
        self.recordsPerSecond = status.recordsPerSecond
        self.recordsIn = status.recordsIn
        self.recordsOut = status.recordsOut
    }
}

/// The outcome of a scale.
public struct ScaleReport: Sendable, Equatable {
    public var name: String
    public var fromInstances: Int
    public var toInstances: Int
    /// From the moment the old instances stopped being fed to the new ones fed.
    public var handoffGapMs: Double
}

/// The outcome of a swap or a rollback.
public struct SwapReport: Sendable, Equatable {
    public var name: String
    public var fromVersion: Int
    public var toVersion: Int
    /// From the old version's last commit to the new version's first batch sent.
    public var handoffGapMs: Double
}

/// An error of the runtime's API; `message` is one line, ready for the CLI.
public struct OperatorRuntimeError: Error, Sendable, CustomStringConvertible {
    /// Opaque, so that new codes do not break callers' exhaustive switches.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let rawValue: String
        public static let unknownOperator = Code(rawValue: "unknownOperator")
        public static let alreadyDeployed = Code(rawValue: "alreadyDeployed")
        public static let notAnOperator = Code(rawValue: "notAnOperator")
        public static let noStreams = Code(rawValue: "noStreams")
        public static let startFailed = Code(rawValue: "startFailed")
        public static let invalidRequest = Code(rawValue: "invalidRequest")
        public static let noPreviousVersion = Code(rawValue: "noPreviousVersion")
        public static let storageFailed = Code(rawValue: "storageFailed")
        /// A stream delete refused because operators read or write the stream (force it to pause them).
        public static let streamInUse = Code(rawValue: "streamInUse")
        public static let unknownStream = Code(rawValue: "unknownStream")
        /// The operator went over one of its limits while starting.
        public static let limitExceeded = Code(rawValue: "limitExceeded")
        public var description: String { self.rawValue }
    }

    public var code: Code
    public var message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { self.message }
}
