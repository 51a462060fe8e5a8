import SluiceSecurity
import XCTest

/// Kafka's authorization rules: literal, wildcard and prefixed patterns, implied DESCRIBE, deny wins, no ACL
/// means no, super users pass; and the filters of DescribeAcls / DeleteAcls.
final class AuthorizerTests: XCTestCase {
    private let alice = KafkaPrincipal(name: "alice")
    private let bob = KafkaPrincipal(name: "bob")

    func testPatternsImpliedOperationsAndDenyWins() {
        let authorizer = Authorizer(bindings: [
            AclBinding(resourceType: .topic, resourceName: "orders.", patternType: .prefixed, principal: "User:alice", operation: .read),
            AclBinding(resourceType: .topic, resourceName: "orders.secret", principal: "User:alice", operation: .all, permission: .deny),
            AclBinding(resourceType: .group, resourceName: "*", principal: "User:*", operation: .read),
            AclBinding(resourceType: .topic, resourceName: "audit", principal: "User:bob", host: "10.0.0.1", operation: .write),
        ], superUsers: ["User:root"])
        XCTAssertTrue(authorizer.isAllowed(self.alice, host: "127.0.0.1", .read, .topic, "orders.eu"))
        XCTAssertTrue(authorizer.isAllowed(self.alice, host: "127.0.0.1", .describe, .topic, "orders.eu"), "READ implies DESCRIBE")
        XCTAssertFalse(authorizer.isAllowed(self.alice, host: "127.0.0.1", .write, .topic, "orders.eu"))
        XCTAssertFalse(authorizer.isAllowed(self.alice, host: "127.0.0.1", .read, .topic, "order"), "a prefix is not a substring")
        XCTAssertFalse(authorizer.isAllowed(self.alice, host: "127.0.0.1", .read, .topic, "orders.secret"), "deny wins")
        XCTAssertTrue(authorizer.isAllowed(self.bob, host: "127.0.0.1", .read, .group, "any-group"), "User:* and *")
        XCTAssertFalse(authorizer.isAllowed(self.bob, host: "127.0.0.1", .write, .topic, "audit"), "another host")
        XCTAssertTrue(authorizer.isAllowed(self.bob, host: "10.0.0.1", .write, .topic, "audit"))
        XCTAssertFalse(authorizer.isAllowed(self.bob, host: "10.0.0.1", .read, .topic, "audit"), "no ACL: no")
        XCTAssertTrue(authorizer.isAllowed(KafkaPrincipal(name: "root"), host: "h", .alter, .cluster, AclBinding.clusterName))
        XCTAssertTrue(authorizer.isAllowedOnAny(self.bob, host: "10.0.0.1", .write, .topic))
        XCTAssertFalse(authorizer.isAllowedOnAny(self.alice, host: "10.0.0.1", .write, .topic))
    }

    func testFiltersSelectAsDescribeAndDeleteDo() {
        let prefixed = AclBinding(resourceType: .topic, resourceName: "orders.", patternType: .prefixed, principal: "User:alice", operation: .read)
        let literal = AclBinding(resourceType: .topic, resourceName: "orders.eu", principal: "User:bob", operation: .write)
        let group = AclBinding(resourceType: .group, resourceName: "g", principal: "User:alice", operation: .read)
        let all = [prefixed, literal, group]
        XCTAssertEqual(all.filter(AclFilter().matches), all)
        XCTAssertEqual(all.filter(AclFilter(principal: "User:alice").matches), [prefixed, group])
        XCTAssertEqual(all.filter(AclFilter(resourceType: .topic, resourceName: "orders.eu", patternType: .match).matches), [prefixed, literal])
        XCTAssertEqual(all.filter(AclFilter(resourceType: .topic, resourceName: "orders.", patternType: .prefixed).matches), [prefixed])
        XCTAssertEqual(all.filter(AclFilter(operation: .write).matches), [literal])
    }

    func testBindingsThatCannotBeStored() {
        XCTAssertNil(AclBinding(resourceType: .topic, resourceName: "t", principal: "User:a", operation: .read).problem)
        XCTAssertNotNil(AclBinding(resourceType: .any, resourceName: "t", principal: "User:a", operation: .read).problem)
        XCTAssertNotNil(AclBinding(resourceType: .topic, resourceName: "t", patternType: .match, principal: "User:a", operation: .read).problem)
        XCTAssertNotNil(AclBinding(resourceType: .topic, resourceName: "t", principal: "alice", operation: .read).problem)
        XCTAssertNotNil(AclBinding(resourceType: .cluster, resourceName: "other", principal: "User:a", operation: .alter).problem)
        XCTAssertEqual(AclOperation(name: "describe-configs"), .describeConfigs)
    }
}
