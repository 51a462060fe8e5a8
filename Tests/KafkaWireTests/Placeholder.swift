import XCTest
final class KafkaWireTestsPlaceholder: XCTestCase { func testBuilds() {} }
