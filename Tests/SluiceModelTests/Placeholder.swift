import XCTest
final class SluiceModelTestsPlaceholder: XCTestCase { func testBuilds() {} }
