import KafkaWire
import SluiceModel
import SluiceSecurity

/// SCRAM users, through DescribeUserScramCredentials and AlterUserScramCredentials (as Kafka's
/// `kafka-configs` manages them). The password is salted and iterated here; only the salted form is sent.
extension KafkaClient {
    /// Every user's SCRAM mechanisms with their iteration counts, by user name.
    public func scramUsers() async throws -> [(user: String, mechanisms: [(ScramMechanism, Int)])] {
        let response = try await self.connection.send(DescribeUserScramCredentialsRequest(users: nil))
        guard response.errorCode == .none else {
            throw KafkaClientError.brokerError(response.errorCode, "describe SCRAM users", response.errorMessage)
        }
        return response.results.map { result in
            (result.user, result.credentialInfos.compactMap { info in
                ScramMechanism(rawValue: info.mechanism).map { ($0, Int(info.iterations)) }
            })
        }
    }

    /// Creates or replaces `user`'s credential for `mechanism`.
    public func setScramCredential(
        user: String, password: String, mechanism: ScramMechanism, iterations: Int = ScramMechanism.iterationsMin
    ) async throws {
        let salt = (0..<32).map { _ in UInt8.random(in: 0...255) }
        let salted = mechanism.saltedPassword(Array(password.utf8), salt: salt, iterations: iterations)
        try await self.alterScramCredentials(AlterUserScramCredentialsRequest(upsertions: [
            .init(name: user, mechanism: mechanism.rawValue, iterations: Int32(iterations), salt: salt, saltedPassword: salted),
        ]), what: "set the \(mechanism.name) credential of \(user)")
    }

    public func deleteScramCredential(user: String, mechanism: ScramMechanism) async throws {
        try await self.alterScramCredentials(
            AlterUserScramCredentialsRequest(deletions: [.init(name: user, mechanism: mechanism.rawValue)]),
            what: "delete the \(mechanism.name) credential of \(user)"
        )
    }

    private func alterScramCredentials(_ request: AlterUserScramCredentialsRequest, what: String) async throws {
        let response = try await self.connection.send(request)
        if let failed = response.results.first(where: { $0.errorCode != .none }) {
            throw KafkaClientError.brokerError(failed.errorCode, what, failed.errorMessage)
        }
    }
}
