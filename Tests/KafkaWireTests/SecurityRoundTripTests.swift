import KafkaWire
import NIOCore
import XCTest

/// The SASL, SCRAM-user and ACL messages encode and decode to themselves at every supported version, and
/// their version ranges match `SupportedApis`.
final class SecurityRoundTripTests: XCTestCase {
    func testSaslMessages() {
        assertRoundTripAllVersions(0...1) { _ in SaslHandshakeRequest(mechanism: "SCRAM-SHA-512") }
        assertRoundTripAllVersions(0...1) { _ in SaslHandshakeResponse(errorCode: .none, mechanisms: ["SCRAM-SHA-512", "PLAIN"]) }
        assertRoundTripAllVersions(0...2) { _ in SaslAuthenticateRequest(authBytes: ByteBuffer(string: "n,,n=alice,r=abc")) }
        assertRoundTripAllVersions(0...2) { version in
            SaslAuthenticateResponse(
                errorCode: .saslAuthenticationFailed, errorMessage: "no", authBytes: ByteBuffer(string: "v=xyz"),
                sessionLifetimeMs: version >= 1 ? 0 : 0
            )
        }
    }

    func testScramUserMessages() {
        assertRoundTripAllVersions(0...0) { _ in DescribeUserScramCredentialsRequest(users: ["alice", "bob"]) }
        assertRoundTripAllVersions(0...0) { _ in DescribeUserScramCredentialsRequest(users: nil) }
        assertRoundTripAllVersions(0...0) { _ in
            DescribeUserScramCredentialsResponse(results: [
                .init(user: "alice", credentialInfos: [.init(mechanism: 2, iterations: 4096)]),
                .init(user: "eve", errorCode: .resourceNotFound, errorMessage: "none", credentialInfos: []),
            ])
        }
        assertRoundTripAllVersions(0...0) { _ in
            AlterUserScramCredentialsRequest(
                deletions: [.init(name: "bob", mechanism: 1)],
                upsertions: [.init(name: "alice", mechanism: 2, iterations: 8192, salt: [1, 2, 3], saltedPassword: Array(repeating: 7, count: 64))]
            )
        }
        assertRoundTripAllVersions(0...0) { _ in
            AlterUserScramCredentialsResponse(results: [.init(user: "alice"), .init(user: "bob", errorCode: .unacceptableCredential, errorMessage: "short")])
        }
    }

    func testAclMessages() {
        let acls = [
            AclDescription(resourceType: 2, resourceName: "orders.", patternType: 4, principal: "User:alice", host: "*", operation: 3, permissionType: 3),
            AclDescription(resourceType: 2, resourceName: "orders.", patternType: 4, principal: "User:bob", host: "10.0.0.1", operation: 4, permissionType: 2),
            AclDescription(resourceType: 3, resourceName: "g", patternType: 3, principal: "User:*", host: "*", operation: 3, permissionType: 3),
        ]
        let filter = AclFilterDescription(resourceType: 1, resourceName: nil, patternType: 1, principal: "User:alice", host: nil, operation: 1, permissionType: 1)
        assertRoundTripAllVersions(1...3) { _ in DescribeAclsRequest(filter: filter) }
        assertRoundTripAllVersions(1...3) { _ in DescribeAclsResponse(acls: acls) }
        assertRoundTripAllVersions(1...3) { _ in CreateAclsRequest(creations: acls) }
        assertRoundTripAllVersions(1...3) { _ in CreateAclsResponse(results: [.init(), .init(errorCode: .invalidRequest, errorMessage: "bad")]) }
        assertRoundTripAllVersions(1...3) { _ in DeleteAclsRequest(filters: [filter, filter]) }
        assertRoundTripAllVersions(1...3) { _ in DeleteAclsResponse(filterResults: [.init(matchingAcls: acls), .init(matchingAcls: [])]) }
    }
}
