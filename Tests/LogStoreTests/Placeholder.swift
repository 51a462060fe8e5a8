import XCTest
final class LogStoreTestsPlaceholder: XCTestCase { func testBuilds() {} }
