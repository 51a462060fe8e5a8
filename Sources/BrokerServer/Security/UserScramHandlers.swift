import KafkaWire
import SluiceSecurity

/// DescribeUserScramCredentials and AlterUserScramCredentials: the users that may log in with SCRAM (and
/// PLAIN), managed with Kafka's own tools (`kafka-configs --alter --add-config 'SCRAM-SHA-512=[...]'`) or
/// `sluice user`. They need DESCRIBE / ALTER on the cluster when authorization is on; with it off any client
/// that may send requests may change them: keep such listeners on loopback.
extension KafkaRequestRouter {
    func handleDescribeUserScramCredentials(_ request: IncomingRequest) throws {
        let describe = try request.decode(DescribeUserScramCredentialsRequest.self)
        guard self.authorizeCluster(request, .describe) else {
            request.reply(DescribeUserScramCredentialsResponse(
                errorCode: .clusterAuthorizationFailed, errorMessage: "DESCRIBE on the cluster is needed", results: []
            ))
            return
        }
        let known = Dictionary(uniqueKeysWithValues: self.credentials.all().map { ($0.user, $0.credentials) })
        var results: [DescribeUserScramCredentialsResponse.Result] = []
        var seen: Set<String> = []
        for user in describe.users ?? known.keys.sorted() {
            guard seen.insert(user).inserted else {
                results.append(.init(user: user, errorCode: .duplicateResource, errorMessage: "user \(user) asked for twice", credentialInfos: []))
                continue
            }
            guard let credentials = known[user], !credentials.isEmpty else {
                results.append(.init(user: user, errorCode: .resourceNotFound, errorMessage: "no SCRAM credentials for user \(user)", credentialInfos: []))
                continue
            }
            results.append(.init(user: user, credentialInfos: credentials.map {
                .init(mechanism: $0.mechanism.rawValue, iterations: Int32($0.iterations))
            }))
        }
        request.reply(DescribeUserScramCredentialsResponse(results: results))
    }

    func handleAlterUserScramCredentials(_ request: IncomingRequest) throws {
        let alter = try request.decode(AlterUserScramCredentialsRequest.self)
        guard self.authorizeCluster(request, .alter) else {
            let users = Array(Set(alter.deletions.map(\.name) + alter.upsertions.map(\.name))).sorted()
            request.reply(AlterUserScramCredentialsResponse(results: users.map {
                .init(user: $0, errorCode: .clusterAuthorizationFailed, errorMessage: "ALTER on the cluster is needed")
            }))
            return
        }
        var results: [String: AlterUserScramCredentialsResponse.Result] = [:]
        var order: [String] = []
        func fail(_ user: String, _ code: ErrorCode, _ message: String) {
            if results[user] == nil { order.append(user) }
            results[user] = .init(user: user, errorCode: code, errorMessage: message)
        }
        func succeed(_ user: String) {
            if results[user] == nil {
                order.append(user)
                results[user] = .init(user: user)
            }
        }
        do {
            try self.credentials.update { users in
                for deletion in alter.deletions {
                    guard let mechanism = ScramMechanism(rawValue: deletion.mechanism) else {
                        fail(deletion.name, .unsupportedSaslMechanism, "unknown SCRAM mechanism \(deletion.mechanism)")
                        continue
                    }
                    guard users[deletion.name]?[mechanism] != nil else {
                        fail(deletion.name, .resourceNotFound, "user \(deletion.name) has no \(mechanism.name) credential")
                        continue
                    }
                    users[deletion.name]?[mechanism] = nil
                    if users[deletion.name]?.isEmpty == true { users[deletion.name] = nil }
                    succeed(deletion.name)
                }
                for upsertion in alter.upsertions {
                    if let problem = Self.upsertionProblem(upsertion) {
                        fail(upsertion.name, problem.code, problem.message)
                        continue
                    }
                    let mechanism = ScramMechanism(rawValue: upsertion.mechanism)!
                    users[upsertion.name, default: [:]][mechanism] = ScramCredential(
                        mechanism: mechanism, salt: upsertion.salt, iterations: Int(upsertion.iterations),
                        saltedPassword: upsertion.saltedPassword
                    )
                    succeed(upsertion.name)
                }
            }
        } catch {
            for user in Set(alter.deletions.map(\.name) + alter.upsertions.map(\.name)) {
                fail(user, .unknownServerError, "the credentials could not be stored: \(error)")
            }
        }
        request.reply(AlterUserScramCredentialsResponse(results: order.compactMap { results[$0] }))
    }

    private static func upsertionProblem(_ upsertion: AlterUserScramCredentialsRequest.Upsertion) -> (code: ErrorCode, message: String)? {
        guard !upsertion.name.isEmpty, upsertion.name.utf8.count <= ScramCredentialStore.userNameBytesMax else {
            return (.unacceptableCredential, "a user name has 1 to \(ScramCredentialStore.userNameBytesMax) bytes")
        }
        guard let mechanism = ScramMechanism(rawValue: upsertion.mechanism) else {
            return (.unsupportedSaslMechanism, "unknown SCRAM mechanism \(upsertion.mechanism)")
        }
        if let problem = ScramCredential.problem(
            iterations: Int(upsertion.iterations), salt: upsertion.salt, saltedPassword: upsertion.saltedPassword, mechanism: mechanism
        ) {
            return (.unacceptableCredential, problem)
        }
        return nil
    }
}
