/// The JSON documents of the admin HTTP API (`sluice serve --admin`), shared by the server that
/// answers them and the CLI that sends them. Field names are the API's; `Docs/admin-api.md` lists them.

/// `POST /v1/operators` and `POST /v1/operators/{name}/swap`: code to run.
public struct DeployDocument: Codable, Sendable, Equatable {
    /// The operator's name; nil takes the name its metadata declares.
    public var name: String?
    /// Relative path → file contents, base64-encoded.
    public var files: [String: String]
    /// The command to start it ("python3 main.py", "./op"); nil detects it from a single file.
    public var run: String?
    public var environment: [String: String]
    /// Limits asked for (0 = none); absent fields take the configured default (deploy) or the current
    /// version's (swap, canary).
    public var limits: OperatorLimitsOverride?

    public init(
        name: String?, files: [String: String], run: String?, environment: [String: String],
        limits: OperatorLimitsOverride? = nil
    ) {
        self.name = name
        self.files = files
        self.run = run
        self.environment = environment
        self.limits = limits
    }
}

/// One operator as `GET /v1/operators` lists it.
public struct OperatorDocument: Codable, Sendable, Equatable {
    public var name: String
    public var version: Int
    public var state: String
    public var inputs: [String]
    public var outputs: [String]
    public var lag: Int64
    public var recordsPerSecond: Double
    public var recordsIn: Int64
    public var recordsOut: Int64
    public var restarts: Int
    public var deadLettered: Int64
    public var lastErrors: [String]
    public var previousVersions: [Int]
    /// Live instances (absent from brokers before scaling existed: one).
    public var instances: Int?
    /// One entry per live instance.
    public var instanceDetails: [InstanceDocument]?
    public var canary: CanaryDocument?
    /// Why the operator is `failing` (its answers cannot be applied), `stopped` over one of its limits, or was
    /// paused by the runtime (a stream it uses was deleted); absent otherwise.
    public var reason: String?
    /// The limits of the running version, and how this machine enforces them.
    public var limits: OperatorLimits?
    public var limitsEnforcement: String?

    public init(
        name: String, version: Int, state: String, inputs: [String], outputs: [String], lag: Int64,
        recordsPerSecond: Double, recordsIn: Int64, recordsOut: Int64, restarts: Int, deadLettered: Int64,
        lastErrors: [String], previousVersions: [Int], instances: Int? = nil, instanceDetails: [InstanceDocument]? = nil,
        canary: CanaryDocument? = nil, reason: String? = nil, limits: OperatorLimits? = nil,
        limitsEnforcement: String? = nil
    ) {
        self.name = name
        self.version = version
        self.state = state
        self.inputs = inputs
        self.outputs = outputs
        self.lag = lag
        self.recordsPerSecond = recordsPerSecond
        self.recordsIn = recordsIn
        self.recordsOut = recordsOut
        self.restarts = restarts
        self.deadLettered = deadLettered
        self.lastErrors = lastErrors
        self.previousVersions = previousVersions
        self.instances = instances
        self.instanceDetails = instanceDetails
        self.canary = canary
        self.reason = reason
        self.limits = limits
        self.limitsEnforcement = limitsEnforcement
    }
}

/// `DELETE /v1/streams/{name}`: the stream deleted and the operators paused because they used it.
public struct StreamDeletionDocument: Codable, Sendable, Equatable {
    public var deleted: String
    public var pausedOperators: [String]

    public init(deleted: String, pausedOperators: [String]) {
        self.deleted = deleted
        self.pausedOperators = pausedOperators
    }
}

/// One live instance of an operator: its place, its process, and the input partitions it owns.
public struct InstanceDocument: Codable, Sendable, Equatable {
    public var index: Int
    /// Its process as logs name it (`v2#7 [1/3]`); absent between processes.
    public var process: String?
    public var state: String
    /// The input partitions it owns, as `stream-partition`.
    public var partitions: [String]
    public var lag: Int64
    public var recordsPerSecond: Double
    public var recordsIn: Int64

    public init(
        index: Int, process: String?, state: String, partitions: [String], lag: Int64, recordsPerSecond: Double,
        recordsIn: Int64
    ) {
        self.index = index
        self.process = process
        self.state = state
        self.partitions = partitions
        self.lag = lag
        self.recordsPerSecond = recordsPerSecond
        self.recordsIn = recordsIn
    }
}

/// A canary running next to an operator's live version, writing to shadow streams.
public struct CanaryDocument: Codable, Sendable, Equatable {
    public var version: Int
    public var state: String
    /// The shadow streams it writes (`<stream>@<version>`).
    public var outputs: [String]
    public var lag: Int64
    public var recordsPerSecond: Double
    public var recordsIn: Int64
    public var recordsOut: Int64

    public init(
        version: Int, state: String, outputs: [String], lag: Int64, recordsPerSecond: Double, recordsIn: Int64,
        recordsOut: Int64
    ) {
        self.version = version
        self.state = state
        self.outputs = outputs
        self.lag = lag
        self.recordsPerSecond = recordsPerSecond
        self.recordsIn = recordsIn
        self.recordsOut = recordsOut
    }
}

/// The body of a scale request.
public struct ScaleRequestDocument: Codable, Sendable, Equatable {
    public var instances: Int

    public init(instances: Int) {
        self.instances = instances
    }
}

/// The answer to a scale.
public struct ScaleDocument: Codable, Sendable, Equatable {
    public var name: String
    public var fromInstances: Int
    public var toInstances: Int
    /// From the old instances' last commits to the new ones fed.
    public var handoffGapMs: Double

    public init(name: String, fromInstances: Int, toInstances: Int, handoffGapMs: Double) {
        self.name = name
        self.fromInstances = fromInstances
        self.toInstances = toInstances
        self.handoffGapMs = handoffGapMs
    }
}

/// The answer to a swap or a rollback.
public struct SwapDocument: Codable, Sendable, Equatable {
    public var name: String
    public var fromVersion: Int
    public var toVersion: Int
    /// From the old version's last commit to the new version's first batch.
    public var handoffGapMs: Double

    public init(name: String, fromVersion: Int, toVersion: Int, handoffGapMs: Double) {
        self.name = name
        self.fromVersion = fromVersion
        self.toVersion = toVersion
        self.handoffGapMs = handoffGapMs
    }
}

/// Every error answer: a stable code and one line for a person.
public struct ErrorDocument: Codable, Sendable, Equatable {
    public var error: String
    public var message: String

    public init(error: String, message: String) {
        self.error = error
        self.message = message
    }
}
