import SluiceModel

/// What the admin API needs from the operator runtime, in the API's own documents, so the HTTP layer
/// neither knows nor leaks the runtime's types. `OperatorRuntime+OperatorControl.swift` adapts the runtime.
public protocol OperatorControl: Sendable {
    func deploy(_ document: DeployDocument) async throws -> OperatorDocument
    func swap(name: String, _ document: DeployDocument) async throws -> SwapDocument
    func rollback(name: String) async throws -> SwapDocument
    func pause(name: String) async throws -> OperatorDocument
    func resume(name: String) async throws -> OperatorDocument
    func kill(name: String) async throws
    func status(name: String) async throws -> OperatorDocument
    func list() async -> [OperatorDocument]
    func logs(name: String, tailLines: Int) async throws -> [String]
    func followLogs(name: String) async throws -> AsyncStream<String>
    func scale(name: String, instances: Int) async throws -> ScaleDocument
    func deployCanary(name: String, _ document: DeployDocument) async throws -> OperatorDocument
    func promote(name: String) async throws -> SwapDocument
    func abortCanary(name: String) async throws -> OperatorDocument
    /// The `last` newest sampled traces, each span in path order.
    func traces(last: Int) async -> TraceListDocument
    /// Deletes a stream; refused (409) while operators read or write it unless `force`, which pauses them
    /// first, with the reason, so none is left feeding from or appending to a deleted log.
    func deleteStream(name: String, force: Bool) async throws -> StreamDeletionDocument
}

/// An admin request that cannot be carried out, with the HTTP status and the code the API answers.
public struct AdminError: Error, Equatable, CustomStringConvertible {
    public var status: Int
    public var code: String
    public var message: String

    public init(status: Int, code: String, message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    public var description: String { self.message }

    static func notFound(_ message: String) -> AdminError {
        AdminError(status: 404, code: "not_found", message: message)
    }

    static func badRequest(_ message: String) -> AdminError {
        AdminError(status: 400, code: "bad_request", message: message)
    }
}
