/// The messages of Docs/operator-protocol.md as values, for tests and for tools that play the runtime (the
/// benchmark does). `serve` does not build these on its hot path: it parses Records in place
/// (`RecordsBatchParser`) and writes BatchResult straight from `Context`.

/// Message type bytes.
public enum MessageType {
    public static let hello: UInt8 = 0x01
    public static let records: UInt8 = 0x03
    public static let timers: UInt8 = 0x04
    public static let stop: UInt8 = 0x05
    public static let metadata: UInt8 = 0x81
    public static let ready: UInt8 = 0x82
    public static let batchResult: UInt8 = 0x83
    public static let failed: UInt8 = 0x84
    public static let stopped: UInt8 = 0x85
}

/// The first message of the runtime.
public struct Hello: Equatable, Sendable {
    public var protocolVersion: UInt16
    public var operatorName: String
    public var instanceId: String
    public var instanceIndex: UInt32
    public var instanceCount: UInt32

    public init(
        protocolVersion: UInt16 = OperatorLimits.protocolVersion, operatorName: String, instanceId: String,
        instanceIndex: UInt32, instanceCount: UInt32
    ) {
        self.protocolVersion = protocolVersion
        self.operatorName = operatorName
        self.instanceId = instanceId
        self.instanceIndex = instanceIndex
        self.instanceCount = instanceCount
    }
}

/// A record of a Records message, with its input as an index into the declared inputs.
public struct WireRecord: Equatable, Sendable {
    public var inputIndex: UInt16
    public var partition: Int32
    public var offset: Int64
    public var timestampMs: Int64
    public var key: [UInt8]?
    public var value: [UInt8]?
    public var headers: [Header]

    public init(
        inputIndex: UInt16, partition: Int32, offset: Int64, timestampMs: Int64, key: [UInt8]?, value: [UInt8]?,
        headers: [Header] = []
    ) {
        self.inputIndex = inputIndex
        self.partition = partition
        self.offset = offset
        self.timestampMs = timestampMs
        self.key = key
        self.value = value
        self.headers = headers
    }
}

/// A timer, due (in Timers) or asked for (in BatchResult); `key` nil for a timer without key.
public struct WireTimer: Equatable, Sendable {
    public var key: [UInt8]?
    public var timeMs: Int64

    public init(key: [UInt8]?, timeMs: Int64) {
        self.key = key
        self.timeMs = timeMs
    }
}

/// An output record of a BatchResult, with its stream as an index into the declared outputs.
public struct WireOutput: Equatable, Sendable {
    public var outputIndex: UInt16
    public var key: [UInt8]?
    public var value: [UInt8]?
    public var headers: [Header]

    public init(outputIndex: UInt16, key: [UInt8]?, value: [UInt8]?, headers: [Header] = []) {
        self.outputIndex = outputIndex
        self.key = key
        self.value = value
        self.headers = headers
    }
}

/// A message from the runtime to the operator.
public enum RuntimeMessage: Equatable, Sendable {
    case hello(Hello)
    case records(batchId: UInt64, records: [WireRecord])
    case timers(batchId: UInt64, timers: [WireTimer])
    case stop
}

/// A message from the operator to the runtime.
public enum OperatorMessage: Equatable, Sendable {
    case metadata(Metadata)
    /// Carries the timers set during `initialize` (a source's first timer).
    case ready(timers: [WireTimer])
    case batchResult(batchId: UInt64, outputs: [WireOutput], timers: [WireTimer])
    /// `recordIndex` is `OperatorLimits.noRecordIndex` when no single record is to blame.
    case failed(batchId: UInt64, recordIndex: UInt32, error: String)
    case stopped
}
