import KafkaWire
import SluiceSecurity

/// The "authorized operations" bit fields of Metadata (v8+) and DescribeGroups (v3+): bit n is set when the
/// principal may perform the ACL operation of code n on the resource. Kafka lists only the operations a
/// resource type supports; without authorization every one of them is allowed, which is what Kafka without an
/// authorizer answers too (`AclStore.isAllowed` allows everything when authorization is off).
extension KafkaRequestRouter {
    static let topicOperations: [AclOperation] = [
        .read, .write, .create, .describe, .delete, .alter, .describeConfigs, .alterConfigs,
    ]
    static let clusterOperations: [AclOperation] = [
        .create, .clusterAction, .describeConfigs, .alterConfigs, .idempotentWrite, .alter, .describe,
    ]
    static let groupOperations: [AclOperation] = [.read, .describe, .delete]

    func authorizedOperations(_ request: IncomingRequest, _ type: AclResourceType, _ name: String) -> Int32 {
        let operations: [AclOperation]
        switch type {
        case .cluster: operations = Self.clusterOperations
        case .group: operations = Self.groupOperations
        default: operations = Self.topicOperations
        }
        return operations.reduce(Int32(0)) { field, operation in
            self.authorize(request, operation, type, name) ? field | (Int32(1) << Int32(operation.rawValue)) : field
        }
    }
}
