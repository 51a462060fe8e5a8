import NIOCore

/// One ACL binding as the three ACL APIs carry it (numbers are Kafka's: resource type, pattern type, operation,
/// permission). Version 0 has no pattern type (literal only); Sluice speaks 1–3, flexible from 2.
public struct AclDescription: Hashable, Sendable {
    public var resourceType: Int8
    public var resourceName: String
    public var patternType: Int8
    public var principal: String
    public var host: String
    public var operation: Int8
    public var permissionType: Int8

    public init(
        resourceType: Int8, resourceName: String, patternType: Int8, principal: String, host: String, operation: Int8,
        permissionType: Int8
    ) {
        self.resourceType = resourceType
        self.resourceName = resourceName
        self.patternType = patternType
        self.principal = principal
        self.host = host
        self.operation = operation
        self.permissionType = permissionType
    }

    /// Reads one binding as CreateAcls and DeleteAcls carry it (resource, pattern, principal, host, operation,
    /// permission), without tagged fields.
    static func read(from buffer: inout ByteBuffer, version: Int16, field: String) throws -> AclDescription {
        let flexible = version >= 2
        let type = try buffer.readWireInt8("\(field).resourceType")
        let name = try buffer.readWireString("\(field).resourceName", compact: flexible)
        let pattern = version >= 1 ? try buffer.readWireInt8("\(field).patternType") : 3
        return try Self.readEntry(from: &buffer, version: version, field: field, resourceType: type, resourceName: name, patternType: pattern)
    }

    /// Reads the part after the resource (principal, host, operation, permission): what DescribeAcls nests
    /// under each resource.
    static func readEntry(
        from buffer: inout ByteBuffer, version: Int16, field: String, resourceType: Int8, resourceName: String, patternType: Int8
    ) throws -> AclDescription {
        let flexible = version >= 2
        let principal = try buffer.readWireString("\(field).principal", compact: flexible)
        let host = try buffer.readWireString("\(field).host", compact: flexible)
        let operation = try buffer.readWireInt8("\(field).operation")
        let permission = try buffer.readWireInt8("\(field).permissionType")
        return AclDescription(
            resourceType: resourceType, resourceName: resourceName, patternType: patternType, principal: principal, host: host,
            operation: operation, permissionType: permission
        )
    }

    func write(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = version >= 2
        buffer.writeInteger(self.resourceType)
        buffer.writeWireString(self.resourceName, compact: flexible)
        if version >= 1 { buffer.writeInteger(self.patternType) }
        self.writeEntry(into: &buffer, version: version)
    }

    func writeEntry(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = version >= 2
        buffer.writeWireString(self.principal, compact: flexible)
        buffer.writeWireString(self.host, compact: flexible)
        buffer.writeInteger(self.operation)
        buffer.writeInteger(self.permissionType)
    }
}

/// The filter of DescribeAcls and of each DeleteAcls entry: null strings match anything.
public struct AclFilterDescription: Hashable, Sendable {
    public var resourceType: Int8
    public var resourceName: String?
    public var patternType: Int8
    public var principal: String?
    public var host: String?
    public var operation: Int8
    public var permissionType: Int8

    public init(
        resourceType: Int8, resourceName: String?, patternType: Int8, principal: String?, host: String?, operation: Int8,
        permissionType: Int8
    ) {
        self.resourceType = resourceType
        self.resourceName = resourceName
        self.patternType = patternType
        self.principal = principal
        self.host = host
        self.operation = operation
        self.permissionType = permissionType
    }

    static func read(from buffer: inout ByteBuffer, version: Int16, field: String) throws -> AclFilterDescription {
        let flexible = version >= 2
        let resourceType = try buffer.readWireInt8("\(field).resourceType")
        let resourceName = try buffer.readWireNullableString("\(field).resourceName", compact: flexible)
        let patternType = version >= 1 ? try buffer.readWireInt8("\(field).patternType") : 3
        let principal = try buffer.readWireNullableString("\(field).principal", compact: flexible)
        let host = try buffer.readWireNullableString("\(field).host", compact: flexible)
        let operation = try buffer.readWireInt8("\(field).operation")
        let permissionType = try buffer.readWireInt8("\(field).permissionType")
        return AclFilterDescription(
            resourceType: resourceType, resourceName: resourceName, patternType: patternType, principal: principal,
            host: host, operation: operation, permissionType: permissionType
        )
    }

    func write(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = version >= 2
        buffer.writeInteger(self.resourceType)
        buffer.writeWireNullableString(self.resourceName, compact: flexible)
        if version >= 1 { buffer.writeInteger(self.patternType) }
        buffer.writeWireNullableString(self.principal, compact: flexible)
        buffer.writeWireNullableString(self.host, compact: flexible)
        buffer.writeInteger(self.operation)
        buffer.writeInteger(self.permissionType)
    }
}

/// DescribeAcls (key 29), versions 1–3, flexible from 2.
public struct DescribeAclsRequest: KafkaRequestMessage {
    public typealias Response = DescribeAclsResponse
    public static let apiKey = ApiKey.describeAcls

    public var filter: AclFilterDescription

    public init(filter: AclFilterDescription) {
        self.filter = filter
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        self.filter = try AclFilterDescription.read(from: &buffer, version: version, field: "DescribeAclsRequest")
        if version >= 2 { try buffer.readTaggedFields("DescribeAclsRequest") }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        self.filter.write(into: &buffer, version: version)
        if version >= 2 { buffer.writeEmptyTaggedFields() }
    }
}

public struct DescribeAclsResponse: KafkaResponseMessage {
    public static let apiKey = ApiKey.describeAcls

    public var throttleTimeMs: Int32
    public var errorCode: ErrorCode
    public var errorMessage: String?
    /// Grouped by resource (type, name, pattern type) on the wire.
    public var acls: [AclDescription]

    public init(throttleTimeMs: Int32 = 0, errorCode: ErrorCode = .none, errorMessage: String? = nil, acls: [AclDescription]) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.errorMessage = errorMessage
        self.acls = acls
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = version >= 2
        self.throttleTimeMs = try buffer.readWireInt32("DescribeAclsResponse.throttleTimeMs")
        self.errorCode = try buffer.readWireErrorCode("DescribeAclsResponse.errorCode")
        self.errorMessage = try buffer.readWireNullableString("DescribeAclsResponse.errorMessage", compact: flexible)
        let groups = try buffer.readWireArray("DescribeAclsResponse.resources", compact: flexible) { resource -> [AclDescription] in
            let type = try resource.readWireInt8("DescribeAclsResponse.resources.resourceType")
            let name = try resource.readWireString("DescribeAclsResponse.resources.resourceName", compact: flexible)
            let pattern = version >= 1 ? try resource.readWireInt8("DescribeAclsResponse.resources.patternType") : 3
            let acls = try resource.readWireArray("DescribeAclsResponse.resources.acls", compact: flexible) { acl in
                let entry = try AclDescription.readEntry(
                    from: &acl, version: version, field: "DescribeAclsResponse.acls", resourceType: type, resourceName: name,
                    patternType: pattern
                )
                if flexible { try acl.readTaggedFields("DescribeAclsResponse.acls") }
                return entry
            }
            if flexible { try resource.readTaggedFields("DescribeAclsResponse.resources") }
            return acls
        }
        self.acls = groups.flatMap { $0 }
        if flexible { try buffer.readTaggedFields("DescribeAclsResponse") }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = version >= 2
        buffer.writeInteger(self.throttleTimeMs)
        buffer.writeWireErrorCode(self.errorCode)
        buffer.writeWireNullableString(self.errorMessage, compact: flexible)
        var groups: [[AclDescription]] = []
        for acl in self.acls {
            if let index = groups.firstIndex(where: {
                $0[0].resourceType == acl.resourceType && $0[0].resourceName == acl.resourceName && $0[0].patternType == acl.patternType
            }) {
                groups[index].append(acl)
            } else {
                groups.append([acl])
            }
        }
        buffer.writeWireArray(groups, compact: flexible) { buffer, group in
            buffer.writeInteger(group[0].resourceType)
            buffer.writeWireString(group[0].resourceName, compact: flexible)
            if version >= 1 { buffer.writeInteger(group[0].patternType) }
            buffer.writeWireArray(group, compact: flexible) { buffer, acl in
                acl.writeEntry(into: &buffer, version: version)
                if flexible { buffer.writeEmptyTaggedFields() }
            }
            if flexible { buffer.writeEmptyTaggedFields() }
        }
        if flexible { buffer.writeEmptyTaggedFields() }
    }
}

/// CreateAcls (key 30), versions 1–3, flexible from 2.
public struct CreateAclsRequest: KafkaRequestMessage {
    public typealias Response = CreateAclsResponse
    public static let apiKey = ApiKey.createAcls

    public var creations: [AclDescription]

    public init(creations: [AclDescription]) {
        self.creations = creations
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = version >= 2
        self.creations = try buffer.readWireArray("CreateAclsRequest.creations", compact: flexible) { item in
            let creation = try AclDescription.read(from: &item, version: version, field: "CreateAclsRequest.creations")
            if flexible { try item.readTaggedFields("CreateAclsRequest.creations") }
            return creation
        }
        if flexible { try buffer.readTaggedFields("CreateAclsRequest") }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = version >= 2
        buffer.writeWireArray(self.creations, compact: flexible) { buffer, acl in
            acl.write(into: &buffer, version: version)
            if flexible { buffer.writeEmptyTaggedFields() }
        }
        if flexible { buffer.writeEmptyTaggedFields() }
    }
}

public struct CreateAclsResponse: KafkaResponseMessage {
    public static let apiKey = ApiKey.createAcls

    public struct Result: Hashable, Sendable {
        public var errorCode: ErrorCode
        public var errorMessage: String?

        public init(errorCode: ErrorCode = .none, errorMessage: String? = nil) {
            self.errorCode = errorCode
            self.errorMessage = errorMessage
        }
    }

    public var throttleTimeMs: Int32
    public var results: [Result]

    public init(throttleTimeMs: Int32 = 0, results: [Result]) {
        self.throttleTimeMs = throttleTimeMs
        self.results = results
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = version >= 2
        self.throttleTimeMs = try buffer.readWireInt32("CreateAclsResponse.throttleTimeMs")
        self.results = try buffer.readWireArray("CreateAclsResponse.results", compact: flexible) { item in
            let code = try item.readWireErrorCode("CreateAclsResponse.results.errorCode")
            let message = try item.readWireNullableString("CreateAclsResponse.results.errorMessage", compact: flexible)
            if flexible { try item.readTaggedFields("CreateAclsResponse.results") }
            return Result(errorCode: code, errorMessage: message)
        }
        if flexible { try buffer.readTaggedFields("CreateAclsResponse") }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = version >= 2
        buffer.writeInteger(self.throttleTimeMs)
        buffer.writeWireArray(self.results, compact: flexible) { buffer, result in
            buffer.writeWireErrorCode(result.errorCode)
            buffer.writeWireNullableString(result.errorMessage, compact: flexible)
            if flexible { buffer.writeEmptyTaggedFields() }
        }
        if flexible { buffer.writeEmptyTaggedFields() }
    }
}

/// DeleteAcls (key 31), versions 1–3, flexible from 2.
public struct DeleteAclsRequest: KafkaRequestMessage {
    public typealias Response = DeleteAclsResponse
    public static let apiKey = ApiKey.deleteAcls

    public var filters: [AclFilterDescription]

    public init(filters: [AclFilterDescription]) {
        self.filters = filters
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = version >= 2
        self.filters = try buffer.readWireArray("DeleteAclsRequest.filters", compact: flexible) { item in
            let filter = try AclFilterDescription.read(from: &item, version: version, field: "DeleteAclsRequest.filters")
            if flexible { try item.readTaggedFields("DeleteAclsRequest.filters") }
            return filter
        }
        if flexible { try buffer.readTaggedFields("DeleteAclsRequest") }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = version >= 2
        buffer.writeWireArray(self.filters, compact: flexible) { buffer, filter in
            filter.write(into: &buffer, version: version)
            if flexible { buffer.writeEmptyTaggedFields() }
        }
        if flexible { buffer.writeEmptyTaggedFields() }
    }
}

public struct DeleteAclsResponse: KafkaResponseMessage {
    public static let apiKey = ApiKey.deleteAcls

    public struct FilterResult: Hashable, Sendable {
        public var errorCode: ErrorCode
        public var errorMessage: String?
        public var matchingAcls: [AclDescription]

        public init(errorCode: ErrorCode = .none, errorMessage: String? = nil, matchingAcls: [AclDescription]) {
            self.errorCode = errorCode
            self.errorMessage = errorMessage
            self.matchingAcls = matchingAcls
        }
    }

    public var throttleTimeMs: Int32
    public var filterResults: [FilterResult]

    public init(throttleTimeMs: Int32 = 0, filterResults: [FilterResult]) {
        self.throttleTimeMs = throttleTimeMs
        self.filterResults = filterResults
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = version >= 2
        self.throttleTimeMs = try buffer.readWireInt32("DeleteAclsResponse.throttleTimeMs")
        self.filterResults = try buffer.readWireArray("DeleteAclsResponse.filterResults", compact: flexible) { item in
            let code = try item.readWireErrorCode("DeleteAclsResponse.filterResults.errorCode")
            let message = try item.readWireNullableString("DeleteAclsResponse.filterResults.errorMessage", compact: flexible)
            let acls = try item.readWireArray("DeleteAclsResponse.matchingAcls", compact: flexible) { acl in
                _ = try acl.readWireErrorCode("DeleteAclsResponse.matchingAcls.errorCode")
                _ = try acl.readWireNullableString("DeleteAclsResponse.matchingAcls.errorMessage", compact: flexible)
                let matching = try AclDescription.read(from: &acl, version: version, field: "DeleteAclsResponse.matchingAcls")
                if flexible { try acl.readTaggedFields("DeleteAclsResponse.matchingAcls") }
                return matching
            }
            if flexible { try item.readTaggedFields("DeleteAclsResponse.filterResults") }
            return FilterResult(errorCode: code, errorMessage: message, matchingAcls: acls)
        }
        if flexible { try buffer.readTaggedFields("DeleteAclsResponse") }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = version >= 2
        buffer.writeInteger(self.throttleTimeMs)
        buffer.writeWireArray(self.filterResults, compact: flexible) { buffer, result in
            buffer.writeWireErrorCode(result.errorCode)
            buffer.writeWireNullableString(result.errorMessage, compact: flexible)
            buffer.writeWireArray(result.matchingAcls, compact: flexible) { buffer, acl in
                buffer.writeWireErrorCode(.none)
                buffer.writeWireNullableString(nil, compact: flexible)
                acl.write(into: &buffer, version: version)
                if flexible { buffer.writeEmptyTaggedFields() }
            }
            if flexible { buffer.writeEmptyTaggedFields() }
        }
        if flexible { buffer.writeEmptyTaggedFields() }
    }
}
