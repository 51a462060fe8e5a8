import KafkaWire

/// Reading and changing topic configs (DescribeConfigs, IncrementalAlterConfigs).
extension KafkaClient {
    /// The topic's configs as the broker describes them, in the broker's order.
    public func topicConfigs(_ name: String) async throws -> [DescribeConfigsResponse.Config] {
        let response = try await self.connection.send(DescribeConfigsRequest(resources: [
            DescribeConfigsRequest.Resource(resourceType: DescribeConfigsRequest.resourceTypeTopic, resourceName: name),
        ]))
        guard let result = response.results.first else {
            throw KafkaClientError.unexpectedResponse("describe-configs response without a result")
        }
        guard result.errorCode == .none else {
            throw KafkaClientError.brokerError(result.errorCode, "describe configs of \(name)", result.errorMessage)
        }
        return result.configs
    }

    /// Sets the configs of `set` and returns those of `delete` to the broker's defaults, in one request.
    public func alterTopicConfigs(_ name: String, set: [String: String], delete: [String]) async throws {
        let configs = set.keys.sorted().map {
            IncrementalAlterConfigsRequest.Config(name: $0, operation: .set, value: set[$0])
        } + delete.map { IncrementalAlterConfigsRequest.Config(name: $0, operation: .delete, value: nil) }
        let response = try await self.connection.send(IncrementalAlterConfigsRequest(resources: [
            IncrementalAlterConfigsRequest.Resource(
                resourceType: DescribeConfigsRequest.resourceTypeTopic, resourceName: name, configs: configs
            ),
        ]))
        guard let result = response.responses.first else {
            throw KafkaClientError.unexpectedResponse("incremental-alter-configs response without a result")
        }
        guard result.errorCode == .none else {
            throw KafkaClientError.brokerError(result.errorCode, "alter configs of \(name)", result.errorMessage)
        }
    }
}
