import KafkaWire
import LogStore
import SluiceSecurity

/// Why a config request is refused for one resource, as Kafka answers it.
struct ConfigRefusal: Error {
    var errorCode: ErrorCode
    var message: String
}

/// AlterConfigs (33) and IncrementalAlterConfigs (44). Topic configs are checked by the storage layer's table
/// (`TopicConfigRegistry`), written to the topic's `topic.conf` and applied to its live partitions at once.
/// Broker configs are refused: Sluice reads its settings from its config file at start.
extension KafkaRequestRouter {
    var configDescriptions: ConfigDescriptions {
        ConfigDescriptions(brokerDefaults: self.logs.defaultConfig, broker: self.config)
    }

    func handleAlterConfigs(_ request: IncomingRequest) throws {
        let alter = try request.decode(AlterConfigsRequest.self)
        let results = alter.resources.map { resource in
            self.alterResource(
                request, type: resource.resourceType, name: resource.resourceName,
                changedKeys: resource.configs.map(\.name), validateOnly: alter.validateOnly
            ) { (_: TopicInfo) throws(ConfigRefusal) -> [String: String] in
                // The request is the whole new set: keys left out go back to the default.
                var overrides: [String: String] = [:]
                for config in resource.configs {
                    guard overrides[config.name] == nil else { throw Self.duplicateKey(config.name) }
                    if let value = config.value { overrides[config.name] = value }
                }
                return overrides
            }
        }
        request.reply(AlterConfigsResponse(responses: results))
    }

    func handleIncrementalAlterConfigs(_ request: IncomingRequest) throws {
        let alter = try request.decode(IncrementalAlterConfigsRequest.self)
        let results = alter.resources.map { resource in
            self.alterResource(
                request, type: resource.resourceType, name: resource.resourceName,
                changedKeys: resource.configs.map(\.name), validateOnly: alter.validateOnly
            ) { (topic: TopicInfo) throws(ConfigRefusal) -> [String: String] in
                try Self.applyIncrementally(resource.configs, to: topic)
            }
        }
        request.reply(IncrementalAlterConfigsResponse(responses: results))
    }

    /// Checks access, then changes one resource: `newOverrides` turns the topic as it is into the topic's new
    /// set of explicitly set configs.
    private func alterResource(
        _ request: IncomingRequest, type: Int8, name: String, changedKeys: [String], validateOnly: Bool,
        newOverrides: (TopicInfo) throws(ConfigRefusal) -> [String: String]
    ) -> AlterConfigsResourceResult {
        var result = AlterConfigsResourceResult(resourceType: type, resourceName: name)
        do throws(ConfigRefusal) {
            if let refusal = self.configAccessRefusal(request, .alterConfigs, type, name) { throw refusal }
            guard type == ConfigDescriptions.ResourceType.topic else {
                try Self.refuseBrokerChange(changedKeys)
                return result
            }
            guard let topic = self.logs.topic(name) else {
                throw ConfigRefusal(errorCode: .unknownTopicOrPartition, message: "topic \(name) does not exist")
            }
            let overrides = try newOverrides(topic)
            do {
                try self.logs.setTopicConfigs(name, overrides: overrides, validateOnly: validateOnly)
            } catch {
                throw ConfigRefusal(errorCode: ErrorMapping.errorCode(for: error), message: ErrorMapping.message(for: error))
            }
            if !validateOnly {
                self.logger.info("altered topic configs", metadata: [
                    "topic": "\(name)", "configs": "\(overrides.keys.sorted().map { "\($0)=\(overrides[$0]!)" })",
                ])
            }
        } catch {
            result.errorCode = error.errorCode
            result.errorMessage = error.message
        }
        return result
    }

    /// Nil when the request may read (DESCRIBE_CONFIGS) or change (ALTER_CONFIGS) the resource's configs, else
    /// Kafka's answer: the authorization error of the resource, or INVALID_REQUEST for a type without configs here.
    func configAccessRefusal(
        _ request: IncomingRequest, _ operation: AclOperation, _ type: Int8, _ name: String
    ) -> ConfigRefusal? {
        switch type {
        case ConfigDescriptions.ResourceType.topic:
            guard self.mayAccessConfigs(request, operation, topic: name) else {
                return ConfigRefusal(errorCode: .topicAuthorizationFailed, message: "\(operation.name) on topic \(name) is needed")
            }
        case ConfigDescriptions.ResourceType.broker:
            guard self.mayAccessConfigs(request, operation, topic: nil) else {
                return ConfigRefusal(errorCode: .clusterAuthorizationFailed, message: "\(operation.name) on the cluster is needed")
            }
        default:
            return ConfigRefusal(
                errorCode: .invalidRequest,
                message: "resource type \(type) has no configs here: Sluice has topic (2) and broker (4) configs"
            )
        }
        return nil
    }

    /// The topic's explicitly set configs after IncrementalAlterConfigs' operations: SET and DELETE one key,
    /// APPEND and SUBTRACT items of a list config (`cleanup.policy`), starting from its current value.
    static func applyIncrementally(
        _ configs: [IncrementalAlterConfigsRequest.Config], to topic: TopicInfo
    ) throws(ConfigRefusal) -> [String: String] {
        var overrides = topic.overrides
        var seen = Set<String>()
        for config in configs {
            guard seen.insert(config.name).inserted else { throw self.duplicateKey(config.name) }
            guard let definition = TopicConfigRegistry.definition(named: config.name) else {
                throw ConfigRefusal(errorCode: .invalidConfig, message: "unknown topic config '\(config.name)'")
            }
            switch config.operation {
            case .set:
                guard let value = config.value else {
                    throw ConfigRefusal(errorCode: .invalidConfig, message: "SET of topic config '\(config.name)' needs a value")
                }
                overrides[config.name] = value
            case .delete:
                overrides.removeValue(forKey: config.name)
            case .append, .subtract:
                guard definition.type == .list else {
                    throw ConfigRefusal(
                        errorCode: .invalidConfig,
                        message: "topic config '\(config.name)' is not a list: APPEND and SUBTRACT apply to list "
                            + "configs such as cleanup.policy"
                    )
                }
                let current = Self.listItems(definition.value(in: topic.config, override: overrides[config.name]))
                let given = Self.listItems(config.value ?? "")
                let items = config.operation == .append
                    ? current + given.filter { !current.contains($0) } : current.filter { !given.contains($0) }
                overrides[config.name] = items.joined(separator: ",")
            default:
                throw ConfigRefusal(
                    errorCode: .invalidRequest,
                    message: "unknown config operation \(config.operation.rawValue) for '\(config.name)'"
                )
            }
        }
        return overrides
    }

    private static func listItems(_ text: String) -> [String] {
        text.split(separator: ",").map { String($0.filter { !$0.isWhitespace }) }.filter { !$0.isEmpty }
    }

    private static func duplicateKey(_ name: String) -> ConfigRefusal {
        ConfigRefusal(errorCode: .invalidRequest, message: "config '\(name)' is given more than once")
    }

    /// Broker configs are read at start from the config file; an empty change is accepted.
    private static func refuseBrokerChange(_ keys: [String]) throws(ConfigRefusal) {
        guard !keys.isEmpty else { return }
        throw ConfigRefusal(
            errorCode: .invalidRequest,
            message: "broker configs \(keys.joined(separator: ", ")) cannot be changed while the broker runs: Sluice "
                + "reads them from its config file at start (Config/sluice.toml); set a topic config per topic instead"
        )
    }
}
