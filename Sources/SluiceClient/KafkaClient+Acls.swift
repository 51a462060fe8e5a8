import KafkaWire
import SluiceSecurity

/// ACL administration through DescribeAcls, CreateAcls and DeleteAcls (as `kafka-acls.sh` does).
extension KafkaClient {
    public func acls(matching filter: AclFilter = AclFilter()) async throws -> [AclBinding] {
        let response = try await self.connection.send(DescribeAclsRequest(filter: AclFilterDescription(filter)))
        guard response.errorCode == .none else {
            throw KafkaClientError.brokerError(response.errorCode, "describe ACLs", response.errorMessage)
        }
        return response.acls.compactMap(\.binding)
    }

    public func createAcls(_ bindings: [AclBinding]) async throws {
        let response = try await self.connection.send(CreateAclsRequest(creations: bindings.map(AclDescription.init)))
        if let failed = response.results.first(where: { $0.errorCode != .none }) {
            throw KafkaClientError.brokerError(failed.errorCode, "create ACLs", failed.errorMessage)
        }
    }

    /// Deletes what `filter` matches; returns the deleted bindings.
    public func deleteAcls(matching filter: AclFilter) async throws -> [AclBinding] {
        let response = try await self.connection.send(DeleteAclsRequest(filters: [AclFilterDescription(filter)]))
        guard let result = response.filterResults.first else { return [] }
        guard result.errorCode == .none else {
            throw KafkaClientError.brokerError(result.errorCode, "delete ACLs", result.errorMessage)
        }
        return result.matchingAcls.compactMap(\.binding)
    }
}
