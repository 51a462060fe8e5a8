import KafkaWire
import SluiceSecurity

/// ACL administration through DescribeAcls, CreateAcls and DeleteAcls (as `kafka-acls.sh` does).
extension KafkaClient {
    public func acls(matching filter: AclFilter = AclFilter()) async throws -> [AclBinding] {
        let response = try await self.connection.send(DescribeAclsRequest(filter: Self.description(filter)))
        guard response.errorCode == .none else {
            throw KafkaClientError.brokerError(response.errorCode, "describe ACLs", response.errorMessage)
        }
        return response.acls.compactMap(Self.binding)
    }

    public func createAcls(_ bindings: [AclBinding]) async throws {
        let response = try await self.connection.send(CreateAclsRequest(creations: bindings.map(Self.description)))
        if let failed = response.results.first(where: { $0.errorCode != .none }) {
            throw KafkaClientError.brokerError(failed.errorCode, "create ACLs", failed.errorMessage)
        }
    }

    /// Deletes what `filter` matches; returns the deleted bindings.
    public func deleteAcls(matching filter: AclFilter) async throws -> [AclBinding] {
        let response = try await self.connection.send(DeleteAclsRequest(filters: [Self.description(filter)]))
        guard let result = response.filterResults.first else { return [] }
        guard result.errorCode == .none else {
            throw KafkaClientError.brokerError(result.errorCode, "delete ACLs", result.errorMessage)
        }
        return result.matchingAcls.compactMap(Self.binding)
    }

    private static func description(_ binding: AclBinding) -> AclDescription {
        AclDescription(
            resourceType: binding.resourceType.rawValue, resourceName: binding.resourceName, patternType: binding.patternType.rawValue,
            principal: binding.principal, host: binding.host, operation: binding.operation.rawValue,
            permissionType: binding.permission.rawValue
        )
    }

    private static func description(_ filter: AclFilter) -> AclFilterDescription {
        AclFilterDescription(
            resourceType: filter.resourceType.rawValue, resourceName: filter.resourceName, patternType: filter.patternType.rawValue,
            principal: filter.principal, host: filter.host, operation: filter.operation.rawValue,
            permissionType: filter.permission.rawValue
        )
    }

    private static func binding(_ description: AclDescription) -> AclBinding? {
        guard let type = AclResourceType(rawValue: description.resourceType),
              let pattern = AclPatternType(rawValue: description.patternType),
              let operation = AclOperation(rawValue: description.operation),
              let permission = AclPermission(rawValue: description.permissionType) else { return nil }
        return AclBinding(
            resourceType: type, resourceName: description.resourceName, patternType: pattern, principal: description.principal,
            host: description.host, operation: operation, permission: permission
        )
    }
}
