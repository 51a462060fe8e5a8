import LogStore
import SluiceModel

/// Deleting a stream operators use: refused unless forced; a forced delete pauses them first, with the
/// reason, so none feeds from or appends to a log that is gone (their resume reopens the streams).
extension OperatorRuntime {
    /// The operators that read or write `stream` (live instances, the canary's shadow outputs), sorted.
    public func streamUsers(_ stream: String) -> [String] {
        self.list().filter { status in
            status.inputs.contains(stream) || status.outputs.contains(stream)
                || (status.canary?.outputs.contains(stream) ?? false)
        }.map(\.name)
    }

    /// The one line a refused delete answers, for DeleteTopics and the admin API alike.
    public static func streamInUseMessage(_ stream: String, users: [String]) -> String {
        "stream \(stream) is used by operator\(users.count == 1 ? "" : "s") \(users.joined(separator: ", ")); "
            + "kill \(users.count == 1 ? "it" : "them") first, or delete with --force to pause \(users.count == 1 ? "it" : "them")"
    }

    /// Deletes `stream`; returns the operators paused because they used it. Without `force` a stream in use
    /// is refused (`streamInUse`).
    public func deleteStream(_ stream: String, force: Bool) async throws -> [String] {
        guard !TopicNames.isInternal(stream) else {
            throw OperatorRuntimeError(code: .invalidRequest, message: "\(stream) is an internal topic of the broker")
        }
        guard self.logs.topic(stream) != nil else {
            throw OperatorRuntimeError(code: .unknownStream, message: "no stream named \(stream)")
        }
        let users = self.streamUsers(stream)
        guard users.isEmpty || force else {
            throw OperatorRuntimeError(code: .streamInUse, message: Self.streamInUseMessage(stream, users: users))
        }
        let reason = "stream \(stream) was deleted (forced); recreate it and resume, or kill the operator"
        for name in users { try await self.deployment(name).pause(reason: reason) }
        do {
            try self.logs.deleteTopic(stream)
        } catch {
            throw OperatorRuntimeError(code: .storageFailed, message: "deleting \(stream) failed: \(error)")
        }
        self.onEvent("stream \(stream) deleted (forced); paused \(users.joined(separator: ", "))")
        return users
    }
}
