import SluiceSecurity

/// The wire form of the ACL model's types and back: one conversion for the broker and the client. Unknown
/// numbers (a newer client's resource type, say) give nil.
extension AclDescription {
    public init(_ binding: AclBinding) {
        self.init(
            resourceType: binding.resourceType.rawValue, resourceName: binding.resourceName, patternType: binding.patternType.rawValue,
            principal: binding.principal, host: binding.host, operation: binding.operation.rawValue,
            permissionType: binding.permission.rawValue
        )
    }

    public var binding: AclBinding? {
        guard let type = AclResourceType(rawValue: self.resourceType), let pattern = AclPatternType(rawValue: self.patternType),
              let operation = AclOperation(rawValue: self.operation), let permission = AclPermission(rawValue: self.permissionType)
        else { return nil }
        return AclBinding(
            resourceType: type, resourceName: self.resourceName, patternType: pattern, principal: self.principal,
            host: self.host, operation: operation, permission: permission
        )
    }
}

extension AclFilterDescription {
    public init(_ filter: AclFilter) {
        self.init(
            resourceType: filter.resourceType.rawValue, resourceName: filter.resourceName, patternType: filter.patternType.rawValue,
            principal: filter.principal, host: filter.host, operation: filter.operation.rawValue,
            permissionType: filter.permission.rawValue
        )
    }

    public var filter: AclFilter? {
        guard let type = AclResourceType(rawValue: self.resourceType), let pattern = AclPatternType(rawValue: self.patternType),
              let operation = AclOperation(rawValue: self.operation), let permission = AclPermission(rawValue: self.permissionType)
        else { return nil }
        return AclFilter(
            resourceType: type, resourceName: self.resourceName, patternType: pattern, principal: self.principal,
            host: self.host, operation: operation, permission: permission
        )
    }
}
