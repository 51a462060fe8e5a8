/// Kafka's access control model (KIP-290 patterns), with Kafka's wire numbers: a binding allows or denies one
/// principal, from one host, one operation on resources of one type whose names match a literal or prefix
/// pattern. `*` as a literal name matches every resource of the type; `User:*` every principal; `*` every host.
public enum AclResourceType: Int8, CaseIterable, Sendable, Codable, AclNamedValue {
    case any = 1
    case topic = 2
    case group = 3
    case cluster = 4
    case transactionalId = 5

    public var name: String {
        switch self {
        case .any: return "ANY"
        case .topic: return "TOPIC"
        case .group: return "GROUP"
        case .cluster: return "CLUSTER"
        case .transactionalId: return "TRANSACTIONAL_ID"
        }
    }
}

public enum AclPatternType: Int8, CaseIterable, Sendable, Codable, AclNamedValue {
    /// Filters only: any pattern type.
    case any = 1
    /// Filters only: every binding that would apply to the named resource (literal, `*`, or a prefix of it).
    case match = 2
    case literal = 3
    case prefixed = 4

    public var name: String {
        switch self {
        case .any: return "ANY"
        case .match: return "MATCH"
        case .literal: return "LITERAL"
        case .prefixed: return "PREFIXED"
        }
    }
}

public enum AclOperation: Int8, CaseIterable, Sendable, Codable, AclNamedValue {
    case any = 1
    case all = 2
    case read = 3
    case write = 4
    case create = 5
    case delete = 6
    case alter = 7
    case describe = 8
    case clusterAction = 9
    case describeConfigs = 10
    case alterConfigs = 11
    case idempotentWrite = 12

    public var name: String {
        switch self {
        case .any: return "ANY"
        case .all: return "ALL"
        case .read: return "READ"
        case .write: return "WRITE"
        case .create: return "CREATE"
        case .delete: return "DELETE"
        case .alter: return "ALTER"
        case .describe: return "DESCRIBE"
        case .clusterAction: return "CLUSTER_ACTION"
        case .describeConfigs: return "DESCRIBE_CONFIGS"
        case .alterConfigs: return "ALTER_CONFIGS"
        case .idempotentWrite: return "IDEMPOTENT_WRITE"
        }
    }

    /// What an allow of this operation also allows, as in Kafka: READ, WRITE, DELETE and ALTER imply DESCRIBE;
    /// ALTER_CONFIGS implies DESCRIBE_CONFIGS.
    func allows(_ wanted: AclOperation) -> Bool {
        if self == .all || self == wanted { return true }
        switch wanted {
        case .describe: return [.read, .write, .delete, .alter].contains(self)
        case .describeConfigs: return self == .alterConfigs
        default: return false
        }
    }
}

public enum AclPermission: Int8, CaseIterable, Sendable, Codable, AclNamedValue {
    case any = 1
    case deny = 2
    case allow = 3

    public var name: String {
        switch self {
        case .any: return "ANY"
        case .deny: return "DENY"
        case .allow: return "ALLOW"
        }
    }
}

public struct AclBinding: Hashable, Sendable, Codable {
    public var resourceType: AclResourceType
    public var resourceName: String
    public var patternType: AclPatternType
    public var principal: String
    public var host: String
    public var operation: AclOperation
    public var permission: AclPermission

    public init(
        resourceType: AclResourceType, resourceName: String, patternType: AclPatternType = .literal, principal: String,
        host: String = "*", operation: AclOperation, permission: AclPermission = .allow
    ) {
        self.resourceType = resourceType
        self.resourceName = resourceName
        self.patternType = patternType
        self.principal = principal
        self.host = host
        self.operation = operation
        self.permission = permission
    }

    /// Why this binding cannot be stored (filter-only values, a malformed principal), or nil.
    public var problem: String? {
        if [.any].contains(self.resourceType) { return "the resource type must be TOPIC, GROUP, CLUSTER or TRANSACTIONAL_ID" }
        if [.any, .match].contains(self.patternType) { return "the pattern type must be LITERAL or PREFIXED" }
        if self.operation == .any { return "the operation must not be ANY" }
        if self.permission == .any { return "the permission must be ALLOW or DENY" }
        if KafkaPrincipal(parsing: self.principal) == nil { return "the principal must be Type:name, such as User:alice" }
        if self.resourceName.isEmpty || self.resourceName.utf8.count > 512 { return "the resource name has 1 to 512 bytes" }
        if self.host.isEmpty || self.host.utf8.count > 256 { return "the host has 1 to 256 bytes" }
        if self.resourceType == .cluster && self.resourceName != AclBinding.clusterName {
            return "the cluster resource is named \(AclBinding.clusterName)"
        }
        return nil
    }

    /// The one CLUSTER resource's name, as Kafka names it.
    public static let clusterName = "kafka-cluster"

    /// Whether this binding's resource pattern covers the resource `name` of `type`.
    func covers(_ type: AclResourceType, _ name: String) -> Bool {
        guard self.resourceType == type else { return false }
        switch self.patternType {
        case .literal: return self.resourceName == name || self.resourceName == "*"
        case .prefixed: return name.hasPrefix(self.resourceName)
        case .any, .match: return false
        }
    }
}

/// Selects bindings, as DescribeAcls and DeleteAcls do: nil or ANY fields match everything.
public struct AclFilter: Hashable, Sendable {
    public var resourceType: AclResourceType
    public var resourceName: String?
    public var patternType: AclPatternType
    public var principal: String?
    public var host: String?
    public var operation: AclOperation
    public var permission: AclPermission

    public init(
        resourceType: AclResourceType = .any, resourceName: String? = nil, patternType: AclPatternType = .any,
        principal: String? = nil, host: String? = nil, operation: AclOperation = .any, permission: AclPermission = .any
    ) {
        self.resourceType = resourceType
        self.resourceName = resourceName
        self.patternType = patternType
        self.principal = principal
        self.host = host
        self.operation = operation
        self.permission = permission
    }

    public func matches(_ binding: AclBinding) -> Bool {
        if self.resourceType != .any && self.resourceType != binding.resourceType { return false }
        if let principal = self.principal, principal != binding.principal { return false }
        if let host = self.host, host != binding.host { return false }
        if self.operation != .any && self.operation != binding.operation { return false }
        if self.permission != .any && self.permission != binding.permission { return false }
        switch self.patternType {
        case .any:
            return self.resourceName.map { $0 == binding.resourceName } ?? true
        case .literal, .prefixed:
            return binding.patternType == self.patternType && (self.resourceName.map { $0 == binding.resourceName } ?? true)
        case .match:
            guard let name = self.resourceName else { return true }
            return binding.covers(binding.resourceType, name)
        }
    }
}

/// Decides requests against a set of bindings, with Kafka's rules: super users may do everything; a matching
/// DENY beats any ALLOW; without a matching ALLOW the answer is no (`allow.everyone.if.no.acl.found=false`).
public struct Authorizer: Sendable {
    public var bindings: [AclBinding]
    public var superUsers: Set<String>

    public init(bindings: [AclBinding], superUsers: Set<String>) {
        self.bindings = bindings
        self.superUsers = superUsers
    }

    public func isAllowed(
        _ principal: KafkaPrincipal, host: String, _ operation: AclOperation, _ type: AclResourceType, _ name: String
    ) -> Bool {
        if self.superUsers.contains(principal.description) { return true }
        var allowed = false
        for binding in self.bindings where binding.covers(type, name) {
            guard binding.principal == principal.description || binding.principal == "\(principal.type):*" else { continue }
            guard binding.host == "*" || binding.host == host else { continue }
            switch binding.permission {
            case .deny:
                // A deny of ALL or of the operation itself; a deny of READ does not deny DESCRIBE.
                if binding.operation == .all || binding.operation == operation { return false }
            case .allow:
                if binding.operation.allows(operation) { allowed = true }
            case .any:
                break
            }
        }
        return allowed
    }

    /// Whether `principal` may do `operation` on at least one resource of `type` (InitProducerId asks whether
    /// the producer may write anywhere).
    public func isAllowedOnAny(_ principal: KafkaPrincipal, host: String, _ operation: AclOperation, _ type: AclResourceType) -> Bool {
        if self.superUsers.contains(principal.description) { return true }
        return self.bindings.contains { binding in
            binding.resourceType == type && binding.permission == .allow && binding.operation.allows(operation)
                && (binding.principal == principal.description || binding.principal == "\(principal.type):*")
                && (binding.host == "*" || binding.host == host)
        }
    }
}

/// The ACL enums, named as Kafka's tools spell them (`PREFIXED`, `DESCRIBE_CONFIGS`).
public protocol AclNamedValue: CaseIterable {
    var name: String { get }
}

extension AclNamedValue {
    /// Parses a name case-insensitively, with '-' for '_' (`describe-configs`).
    public init?(name: String) {
        let normalized = String(name.uppercased().map { $0 == "-" ? "_" : $0 })
        guard let value = Self.allCases.first(where: { $0.name == normalized }) else { return nil }
        self = value
    }
}
