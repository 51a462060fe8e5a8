import KafkaWire
import SluiceSecurity

/// DescribeAcls, CreateAcls and DeleteAcls: Kafka's ACL administration (`kafka-acls.sh`, AdminClient,
/// `sluice acl`). Describing needs DESCRIBE on the cluster, changing needs ALTER; with authorization off
/// everyone may, so ACLs can be prepared before it is turned on.
extension KafkaRequestRouter {
    func handleDescribeAcls(_ request: IncomingRequest) throws {
        let describe = try request.decode(DescribeAclsRequest.self)
        guard self.authorizeCluster(request, .describe) else {
            request.reply(DescribeAclsResponse(errorCode: .clusterAuthorizationFailed, errorMessage: "DESCRIBE on the cluster is needed", acls: []))
            return
        }
        guard let filter = describe.filter.filter else {
            request.reply(DescribeAclsResponse(errorCode: .invalidRequest, errorMessage: "an unknown resource type, pattern, operation or permission", acls: []))
            return
        }
        request.reply(DescribeAclsResponse(acls: self.acls.bindings(matching: filter).map(AclDescription.init)))
    }

    func handleCreateAcls(_ request: IncomingRequest) throws {
        let create = try request.decode(CreateAclsRequest.self)
        guard self.authorizeCluster(request, .alter) else {
            let refused = CreateAclsResponse.Result(errorCode: .clusterAuthorizationFailed, errorMessage: "ALTER on the cluster is needed")
            request.reply(CreateAclsResponse(results: create.creations.map { _ in refused }))
            return
        }
        var results: [CreateAclsResponse.Result] = []
        var valid: [AclBinding] = []
        for creation in create.creations {
            guard let binding = creation.binding else {
                results.append(.init(errorCode: .invalidRequest, errorMessage: "an unknown resource type, pattern, operation or permission"))
                continue
            }
            if let problem = binding.problem {
                results.append(.init(errorCode: .invalidRequest, errorMessage: problem))
                continue
            }
            valid.append(binding)
            results.append(.init())
        }
        do {
            try self.acls.add(valid)
            if !valid.isEmpty { self.logger.info("ACLs added", metadata: ["count": "\(valid.count)", "by": "\(request.context.session.principal)"]) }
        } catch {
            results = results.map { $0.errorCode == .none ? .init(errorCode: .unknownServerError, errorMessage: "\(error)") : $0 }
        }
        request.reply(CreateAclsResponse(results: results))
    }

    func handleDeleteAcls(_ request: IncomingRequest) throws {
        let delete = try request.decode(DeleteAclsRequest.self)
        guard self.authorizeCluster(request, .alter) else {
            let refused = DeleteAclsResponse.FilterResult(errorCode: .clusterAuthorizationFailed, errorMessage: "ALTER on the cluster is needed", matchingAcls: [])
            request.reply(DeleteAclsResponse(filterResults: delete.filters.map { _ in refused }))
            return
        }
        let filters = delete.filters.map(\.filter)
        do {
            let removed = try self.acls.remove(matching: filters.compactMap { $0 })
            var next = removed.makeIterator()
            request.reply(DeleteAclsResponse(filterResults: filters.map { filter in
                guard filter != nil, let bindings = next.next() else {
                    return .init(errorCode: .invalidRequest, errorMessage: "an unknown resource type, pattern, operation or permission", matchingAcls: [])
                }
                return .init(matchingAcls: bindings.map(AclDescription.init))
            }))
        } catch {
            request.reply(DeleteAclsResponse(filterResults: filters.map { _ in .init(errorCode: .unknownServerError, errorMessage: "\(error)", matchingAcls: []) }))
        }
    }
}
