import XCTest
final class BrokerServerTestsPlaceholder: XCTestCase { func testBuilds() {} }
