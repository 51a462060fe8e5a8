/// `GET /v1/topology`: every stream and operator and the edges between them, with rates and lag, as the
/// admin API answers it and `sluice graph` and the dashboard read it. Fields that later features fill
/// (instances, canaries) are optional so older documents still decode.
public struct TopologyDocument: Codable, Sendable, Equatable {
    /// Wall-clock time of the sample, in milliseconds since the epoch.
    public var sampledAtMs: Int64
    public var streams: [Stream]
    public var operators: [Operator]
    public var edges: [Edge]

    public init(sampledAtMs: Int64, streams: [Stream], operators: [Operator], edges: [Edge]) {
        self.sampledAtMs = sampledAtMs
        self.streams = streams
        self.operators = operators
        self.edges = edges
    }

    /// One stream (topic) that clients or operators can read; internal topics are left out.
    public struct Stream: Codable, Sendable, Equatable {
        public var name: String
        public var partitions: Int
        /// The log end offsets of all partitions added up: how many records were ever appended.
        public var endOffsetSum: Int64
        /// Records appended per second, measured by the admin API between its samples.
        public var appendRecordsPerSecond: Double

        public init(name: String, partitions: Int, endOffsetSum: Int64, appendRecordsPerSecond: Double) {
            self.name = name
            self.partitions = partitions
            self.endOffsetSum = endOffsetSum
            self.appendRecordsPerSecond = appendRecordsPerSecond
        }
    }

    /// One deployed operator.
    public struct Operator: Codable, Sendable, Equatable {
        public var name: String
        public var version: Int
        /// starting, running, failing, paused, restarting or stopped.
        public var state: String
        public var inputs: [String]
        public var outputs: [String]
        /// Records in the inputs not yet committed, summed over partitions.
        public var lag: Int64
        /// Records processed per second.
        public var recordsPerSecond: Double
        /// Records written per second, to all outputs together.
        public var outputRecordsPerSecond: Double
        /// How many instances run; nil while the runtime does not report it.
        public var instances: Int?
        /// The version running beside the live one as a canary, if any.
        public var canaryVersion: Int?
        /// Why it is failing or was paused by the runtime (`OperatorDocument.reason`).
        public var reason: String?

        public init(
            name: String, version: Int, state: String, inputs: [String], outputs: [String], lag: Int64,
            recordsPerSecond: Double, outputRecordsPerSecond: Double, instances: Int? = nil, canaryVersion: Int? = nil,
            reason: String? = nil
        ) {
            self.name = name
            self.version = version
            self.state = state
            self.inputs = inputs
            self.outputs = outputs
            self.lag = lag
            self.recordsPerSecond = recordsPerSecond
            self.outputRecordsPerSecond = outputRecordsPerSecond
            self.instances = instances
            self.canaryVersion = canaryVersion
            self.reason = reason
        }
    }

    /// A stream feeding an operator (`input`) or an operator writing a stream (`output`). A stream and an
    /// operator may share a name, so an edge names each end by its kind rather than as from/to.
    public struct Edge: Codable, Sendable, Equatable {
        public enum Direction: String, Codable, Sendable {
            /// stream → operator
            case input
            /// operator → stream
            case output
        }

        public var stream: String
        public var `operator`: String
        public var direction: Direction
        /// Input: the operator's processing rate. Output: the rate it writes this stream.
        public var recordsPerSecond: Double
        /// Input only: records of this stream the operator has not committed yet.
        public var lag: Int64?
        /// The operator's state, repeated so each edge can be drawn alone.
        public var state: String

        public init(
            stream: String, operator: String, direction: Direction, recordsPerSecond: Double, lag: Int64?,
            state: String
        ) {
            self.stream = stream
            self.operator = `operator`
            self.direction = direction
            self.recordsPerSecond = recordsPerSecond
            self.lag = lag
            self.state = state
        }
    }
}
