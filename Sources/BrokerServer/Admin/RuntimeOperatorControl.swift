import Foundation
import OperatorRuntime
import SluiceModel

/// The operator runtime behind the admin API: documents in, documents out, runtime errors turned into
/// HTTP statuses and one-line messages.
struct RuntimeOperatorControl: OperatorControl {
    let runtime: OperatorRuntime

    func deploy(_ document: DeployDocument) async throws -> OperatorDocument {
        try await Self.translatingErrors { Self.document(try await self.runtime.deploy(try Self.request(document))) }
    }

    func swap(name: String, _ document: DeployDocument) async throws -> SwapDocument {
        try await Self.translatingErrors { Self.document(try await self.runtime.swap(name: name, try Self.request(document))) }
    }

    func rollback(name: String) async throws -> SwapDocument {
        try await Self.translatingErrors { Self.document(try await self.runtime.rollback(name: name)) }
    }

    func pause(name: String) async throws -> OperatorDocument {
        try await Self.translatingErrors { Self.document(try await self.runtime.pause(name: name)) }
    }

    func resume(name: String) async throws -> OperatorDocument {
        try await Self.translatingErrors { Self.document(try await self.runtime.resume(name: name)) }
    }

    func kill(name: String) async throws {
        try await Self.translatingErrors { try await self.runtime.kill(name: name) }
    }

    func status(name: String) async throws -> OperatorDocument {
        try await Self.translatingErrors { Self.document(try self.runtime.status(name: name)) }
    }

    func list() async -> [OperatorDocument] {
        self.runtime.list().map(Self.document)
    }

    func logs(name: String, tailLines: Int) async throws -> [String] {
        try await Self.translatingErrors { try self.runtime.logs(name: name, tailLines: tailLines) }
    }

    func followLogs(name: String) async throws -> AsyncStream<String> {
        try await Self.translatingErrors { try self.runtime.followLogs(name: name) }
    }

    func scale(name: String, instances: Int) async throws -> ScaleDocument {
        try await Self.translatingErrors {
            let report = try await self.runtime.scale(name: name, instances: instances)
            return ScaleDocument(
                name: report.name, fromInstances: report.fromInstances, toInstances: report.toInstances,
                handoffGapMs: report.handoffGapMs
            )
        }
    }

    func deployCanary(name: String, _ document: DeployDocument) async throws -> OperatorDocument {
        try await Self.translatingErrors {
            Self.document(try await self.runtime.deployCanary(name: name, try Self.request(document)))
        }
    }

    func promote(name: String) async throws -> SwapDocument {
        try await Self.translatingErrors { Self.document(try await self.runtime.promote(name: name)) }
    }

    func abortCanary(name: String) async throws -> OperatorDocument {
        try await Self.translatingErrors { Self.document(try await self.runtime.abortCanary(name: name)) }
    }

    func traces(last: Int) async -> TraceListDocument {
        let spans = self.runtime.recentSpans(last: self.runtime.traceSpans.capacity)
        return TraceListDocument.grouping(spans.map(Self.document), last: last)
    }

    func deleteStream(name: String, force: Bool) async throws -> StreamDeletionDocument {
        try await Self.translatingErrors {
            let paused = try await self.runtime.deleteStream(name, force: force)
            return StreamDeletionDocument(deleted: name, pausedOperators: paused)
        }
    }

    private static func document(_ span: OperatorSpan) -> SpanDocument {
        SpanDocument(
            traceId: span.traceId, spanId: span.spanId, parentSpanId: span.parentSpanId,
            operatorName: span.operatorName, version: span.version, instance: span.instance, stream: span.stream,
            partition: span.partition, offset: span.offset, recordTimestampMs: span.recordTimestampMs,
            startTimeUnixNs: span.startTimeUnixNs, endTimeUnixNs: span.endTimeUnixNs,
            streamTimeMs: span.streamTimeMs, operatorTimeMs: span.operatorTimeMs
        )
    }

    private static func request(_ document: DeployDocument) throws -> DeployRequest {
        var files: [String: [UInt8]] = [:]
        for (path, encoded) in document.files {
            guard let contents = Data(base64Encoded: encoded) else {
                throw AdminError.badRequest("file \(path) is not base64")
            }
            files[path] = Array(contents)
        }
        return DeployRequest(
            name: document.name, files: files, run: document.run, environment: document.environment,
            limits: document.limits ?? OperatorLimitsOverride()
        )
    }

    private static func document(_ status: OperatorStatus) -> OperatorDocument {
        OperatorDocument(
            name: status.name, version: status.version, state: status.state, inputs: status.inputs,
            outputs: status.outputs, lag: status.lag, recordsPerSecond: status.recordsPerSecond,
            recordsIn: status.recordsIn, recordsOut: status.recordsOut, restarts: status.restarts,
            deadLettered: status.deadLettered, lastErrors: status.lastErrors, previousVersions: status.previousVersions,
            instances: status.instances,
            instanceDetails: status.instanceDetails.map { instance in
                InstanceDocument(
                    index: instance.index, process: instance.process, state: instance.state,
                    partitions: instance.partitions, lag: instance.lag, recordsPerSecond: instance.recordsPerSecond,
                    recordsIn: instance.recordsIn
                )
            },
            canary: status.canary.map { canary in
                CanaryDocument(
                    version: canary.version, state: canary.state, outputs: canary.outputs, lag: canary.lag,
                    recordsPerSecond: canary.recordsPerSecond, recordsIn: canary.recordsIn, recordsOut: canary.recordsOut
                )
            },
            reason: status.reason, limits: status.limits, limitsEnforcement: status.limitsEnforcement
        )
    }

    private static func document(_ report: SwapReport) -> SwapDocument {
        SwapDocument(
            name: report.name, fromVersion: report.fromVersion, toVersion: report.toVersion,
            handoffGapMs: report.handoffGapMs
        )
    }

    private static func translatingErrors<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as OperatorRuntimeError {
            throw AdminError(status: Self.httpStatus(error.code), code: error.code.description, message: error.message)
        }
    }

    private static func httpStatus(_ code: OperatorRuntimeError.Code) -> Int {
        switch code {
        case .unknownOperator, .unknownStream: return 404
        case .alreadyDeployed, .streamInUse: return 409
        case .notAnOperator, .noStreams, .invalidRequest, .noPreviousVersion, .startFailed, .limitExceeded: return 400
        default: return 500
        }
    }
}
