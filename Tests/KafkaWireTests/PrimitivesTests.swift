import NIOCore
import XCTest

@testable import KafkaWire

final class PrimitivesTests: XCTestCase {
}
