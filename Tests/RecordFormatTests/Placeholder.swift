import XCTest
final class RecordFormatTestsPlaceholder: XCTestCase { func testBuilds() {} }
