import ArgumentParser
import SluiceClient
import SluiceSecurity

/// `sluice acl`: Kafka's ACLs (DescribeAcls / CreateAcls / DeleteAcls), enforced when the broker runs with
/// `--authorization on`.
struct AclCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "acl",
        abstract: "Add, list and remove ACLs (enforced with serve --authorization on).",
        subcommands: [Add.self, List.self, Remove.self]
    )

    /// The resource and who, shared by the three commands.
    struct Selection: ParsableArguments {
        @Option(help: "Principal, e.g. User:alice or User:* (add: required).") var principal: String?
        @Option(help: "Client host, or * (default).") var host: String?
        @Option(help: "Topic name (or prefix with --prefixed); * for every topic.") var topic: String?
        @Option(help: "Group name (or prefix with --prefixed); * for every group.") var group: String?
        @Flag(help: "The cluster itself (CREATE topics, ALTER ACLs and users, IDEMPOTENT_WRITE, ...).") var cluster = false
        @Flag(help: "The name is a prefix (PREFIXED pattern).") var prefixed = false
        @Option(help: "READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE or ALL (repeatable).")
        var operation: [String] = []
        @Flag(help: "A DENY rule instead of ALLOW.") var deny = false

        func resource() throws -> (AclResourceType, String)? {
            let chosen = [self.topic.map { (AclResourceType.topic, $0) }, self.group.map { (.group, $0) },
                          self.cluster ? (.cluster, AclBinding.clusterName) : nil].compactMap { $0 }
            guard chosen.count <= 1 else { throw ValidationError("name one of --topic, --group, --cluster") }
            return chosen.first
        }

        func operations() throws -> [AclOperation] {
            try self.operation.map { name in
                guard let operation = AclOperation(name: name), operation != .any else {
                    throw ValidationError("unknown operation '\(name)'")
                }
                return operation
            }
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Allow (or --deny) a principal operations on a resource.")
        @OptionGroup var brokerOption: BrokerOption
        @OptionGroup var selection: Selection

        func run() async throws {
            guard let principal = self.selection.principal else { throw ValidationError("--principal is required") }
            guard let (type, name) = try self.selection.resource() else { throw ValidationError("name --topic, --group or --cluster") }
            let operations = try self.selection.operations()
            guard !operations.isEmpty else { throw ValidationError("name at least one --operation") }
            let bindings = operations.map {
                AclBinding(
                    resourceType: type, resourceName: name, patternType: self.selection.prefixed ? .prefixed : .literal,
                    principal: principal, host: self.selection.host ?? "*", operation: $0,
                    permission: self.selection.deny ? .deny : .allow
                )
            }
            if let problem = bindings.compactMap(\.problem).first { throw ValidationError(problem) }
            try await withClient(self.brokerOption) { client in try await client.createAcls(bindings) }
            bindings.forEach { print("added " + AclCommand.render($0).joined(separator: " ")) }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List ACLs, optionally of one principal or resource.")
        @OptionGroup var brokerOption: BrokerOption
        @OptionGroup var selection: Selection

        func run() async throws {
            let bindings = try await withClient(self.brokerOption) { client in try await client.acls(matching: try AclCommand.filter(self.selection)) }
            print(TextTable(headers: ["RESOURCE", "NAME", "PATTERN", "PRINCIPAL", "HOST", "OPERATION", "PERMISSION"],
                            rows: bindings.map(AclCommand.render)).rendered(), terminator: "")
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove the ACLs that match (name a principal or a resource).")
        @OptionGroup var brokerOption: BrokerOption
        @OptionGroup var selection: Selection

        func run() async throws {
            let resource = try self.selection.resource()
            guard self.selection.principal != nil || resource != nil else {
                throw ValidationError("name a --principal or a resource: removing every ACL takes both unset on purpose, which is refused")
            }
            let removed = try await withClient(self.brokerOption) { client in
                try await client.deleteAcls(matching: try AclCommand.filter(self.selection))
            }
            removed.forEach { print("removed " + AclCommand.render($0).joined(separator: " ")) }
            if removed.isEmpty { print("no ACL matched") }
        }
    }

    static func filter(_ selection: Selection) throws -> AclFilter {
        let resource = try selection.resource()
        let operations = try selection.operations()
        guard operations.count <= 1 else { throw ValidationError("name at most one --operation to select by") }
        return AclFilter(
            resourceType: resource?.0 ?? .any, resourceName: resource?.1,
            patternType: resource == nil ? .any : (selection.prefixed ? .prefixed : .literal),
            principal: selection.principal, host: selection.host, operation: operations.first ?? .any,
            permission: selection.deny ? .deny : .any
        )
    }

    static func render(_ binding: AclBinding) -> [String] {
        [binding.resourceType.name, binding.resourceName, binding.patternType.name, binding.principal, binding.host,
         binding.operation.name, binding.permission.name]
    }
}
