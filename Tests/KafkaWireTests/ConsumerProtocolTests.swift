import Foundation
import KafkaWire
import NIOCore
import XCTest

final class ConsumerProtocolTests: XCTestCase {
    /// Hand-computed bytes of a v0 assignment: two topics, null user data.
    private let assignmentHex =
        "0000" + "00000002" + "0006" + "6f7264657273" + "00000002" + "00000000" + "00000002"
        + "0001" + "74" + "00000001" + "00000001" + "ffffffff"

    func testAssignmentMatchesHandComputedBytes() throws {
        let assignment = ConsumerProtocolAssignment(partitionsByTopic: [("orders", [0, 2]), ("t", [1])])
        var buffer = ByteBuffer()
        assignment.encode(into: &buffer)
        XCTAssertEqual(buffer.readableBytesView.map { String(format: "%02x", $0) }.joined(), self.assignmentHex)
        XCTAssertEqual(try ConsumerProtocolAssignment(from: buffer), assignment)
    }

    func testEmptyAndTruncatedAssignments() throws {
        XCTAssertEqual(try ConsumerProtocolAssignment(from: ByteBuffer()).partitionsByTopic.count, 0)
        var truncated = ByteBuffer()
        truncated.writeInteger(Int16(0))
        truncated.writeInteger(Int32(5))  // claims five topics, has none
        XCTAssertThrowsError(try ConsumerProtocolAssignment(from: truncated))
        var huge = ByteBuffer()
        huge.writeInteger(Int16(0))
        huge.writeInteger(Int32.max)
        XCTAssertThrowsError(try ConsumerProtocolAssignment(from: huge))
    }
}
