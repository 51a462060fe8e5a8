import NIOCore
import XCTest

@testable import KafkaWire

/// AlterConfigs (33) and IncrementalAlterConfigs (44): every version round-trips, and a request laid out by hand
/// from Kafka's message definitions decodes (so the codec is not merely consistent with itself).
final class ConfigMessagesTests: XCTestCase {
    func testAlterConfigsRoundTrips() {
        assertRoundTripAllVersions(0...2) { _ in
            AlterConfigsRequest(resources: [
                AlterConfigsRequest.Resource(resourceType: 2, resourceName: "orders", configs: [
                    AlterConfigsRequest.Config(name: "retention.ms", value: "1000"),
                    AlterConfigsRequest.Config(name: "cleanup.policy", value: nil),
                ]),
            ], validateOnly: true)
        }
        assertRoundTripAllVersions(0...2) { _ in
            AlterConfigsResponse(throttleTimeMs: 5, responses: [
                AlterConfigsResourceResult(errorCode: .invalidConfig, errorMessage: "why", resourceType: 2, resourceName: "t"),
                AlterConfigsResourceResult(resourceType: 4, resourceName: "1"),
            ])
        }
    }

    func testIncrementalAlterConfigsRoundTrips() {
        assertRoundTripAllVersions(0...1) { _ in
            IncrementalAlterConfigsRequest(resources: [
                IncrementalAlterConfigsRequest.Resource(resourceType: 2, resourceName: "orders", configs: [
                    IncrementalAlterConfigsRequest.Config(name: "cleanup.policy", operation: .append, value: "compact"),
                    IncrementalAlterConfigsRequest.Config(name: "retention.ms", operation: .delete, value: nil),
                ]),
            ])
        }
        assertRoundTripAllVersions(0...1) { _ in
            IncrementalAlterConfigsResponse(responses: [
                AlterConfigsResourceResult(errorCode: .unknownTopicOrPartition, resourceType: 2, resourceName: "t"),
            ])
        }
    }

    func testIncrementalAlterConfigsV1RequestLaidOutByHandDecodes() throws {
        var buffer = ByteBufferAllocator().buffer(capacity: 64)
        buffer.writeBytes([2])  // resources: compact array of 1
        buffer.writeInteger(Int8(2))  // resource type: topic
        buffer.writeBytes([2] + Array("t".utf8))  // resource name: compact string
        buffer.writeBytes([2])  // configs: compact array of 1
        buffer.writeBytes([3] + Array("ab".utf8))  // name
        buffer.writeInteger(Int8(3))  // operation: subtract
        buffer.writeBytes([0])  // value: null compact nullable string
        buffer.writeBytes([0])  // config tagged fields
        buffer.writeBytes([0])  // resource tagged fields
        buffer.writeInteger(UInt8(1))  // validate only
        buffer.writeBytes([0])  // tagged fields
        let request = try IncrementalAlterConfigsRequest.decodeWhole(from: &buffer, version: 1)
        XCTAssertEqual(request, IncrementalAlterConfigsRequest(resources: [
            IncrementalAlterConfigsRequest.Resource(resourceType: 2, resourceName: "t", configs: [
                IncrementalAlterConfigsRequest.Config(name: "ab", operation: .subtract, value: nil),
            ]),
        ], validateOnly: true))
    }
}
