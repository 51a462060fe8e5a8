import SluiceSecurity

/// The checks the request handlers make (`security.authorization`): who the connection is, from where, against
/// the ACLs (`AclStore`). Each handler asks for the operation Kafka asks for (`Docs/security.md` lists them)
/// and answers a refusal with Kafka's error for it, per topic, group or cluster.
extension KafkaRequestRouter {
    func authorize(_ request: IncomingRequest, _ operation: AclOperation, _ type: AclResourceType, _ name: String) -> Bool {
        self.acls.isAllowed(request.context.session.principal, host: request.context.clientHost, operation, type, name)
    }

    func authorizeCluster(_ request: IncomingRequest, _ operation: AclOperation) -> Bool {
        self.authorize(request, operation, .cluster, AclBinding.clusterName)
    }

    /// CREATE on the cluster, or on the topic itself.
    func mayCreateTopic(_ request: IncomingRequest, _ name: String) -> Bool {
        self.authorizeCluster(request, .create) || self.authorize(request, .create, .topic, name)
    }

    /// DESCRIBE_CONFIGS or ALTER_CONFIGS, as Kafka asks for them: on the topic for a topic's configs, on the
    /// cluster for the broker's (`topic` nil).
    func mayAccessConfigs(_ request: IncomingRequest, _ operation: AclOperation, topic: String?) -> Bool {
        guard let topic else { return self.authorizeCluster(request, operation) }
        return self.authorize(request, operation, .topic, topic)
    }

    /// Internal topics (`__*`) are the broker's: with authorization on, super users may read them; otherwise
    /// no client may.
    func mayReadInternalTopic(_ request: IncomingRequest) -> Bool {
        self.acls.isEnabled && self.acls.isSuperUser(request.context.session.principal)
    }
}

extension RequestContext {
    /// The client's IP address as ACL hosts name it ("127.0.0.1").
    var clientHost: String { self.remoteHost.hasPrefix("/") ? String(self.remoteHost.dropFirst()) : self.remoteHost }
}
