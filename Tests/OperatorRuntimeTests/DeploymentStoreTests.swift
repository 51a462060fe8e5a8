import Foundation
import LogStore
@testable import OperatorRuntime
import XCTest

/// `operator.json` and the timer files in the checksummed envelope: round trip, damage detected and reported,
/// bare JSON of the previous version still loaded.
final class DeploymentStoreTests: XCTestCase {
    private var directory = ""
    private let errors = ReportedLines()

    override func setUpWithError() throws {
        self.directory = NSTemporaryDirectory() + "deployment-store-" + UUID().uuidString
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: self.directory)
    }

    private func makeStore() throws -> DeploymentStore {
        let errors = self.errors
        return try DeploymentStore(dataDirectory: self.directory, onError: { line in errors.append(line) })
    }

    private let record = DeploymentRecord(
        name: "identity", currentVersion: 1,
        versions: [.init(version: 1, command: ["python3", "op.py"], environment: [:], createdMs: 5)],
        paused: false, instances: nil, canaryVersion: nil
    )

    private func flipLastByte(_ path: String) throws {
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[bytes.count - 2] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    func testRecordRoundTripsAndADamagedOneIsRefused() throws {
        let store = try self.makeStore()
        try FileManager.default.createDirectory(atPath: store.directory(of: "identity"), withIntermediateDirectories: true)
        try store.saveRecord(self.record)
        let path = store.directory(of: "identity") + "/operator.json"
        XCTAssertTrue(try String(contentsOfFile: path, encoding: .utf8).hasPrefix("#sluice:1 "))
        XCTAssertEqual(try store.loadRecord(of: "identity"), self.record)
        try self.flipLastByte(path)
        XCTAssertThrowsError(try store.loadRecord(of: "identity")) { error in
            XCTAssertEqual((error as? StorageError)?.code, .corruptFile)
        }
        // The previous version's bare JSON still loads.
        try JSONEncoder().encode(self.record).write(to: URL(fileURLWithPath: path))
        XCTAssertEqual(try store.loadRecord(of: "identity"), self.record)
    }

    func testDamagedTimersLoadAsNoneAndAreReported() throws {
        let store = try self.makeStore()
        try FileManager.default.createDirectory(atPath: store.directory(of: "identity"), withIntermediateDirectories: true)
        let timers = [OperatorTimer(key: Array("k".utf8), timeMs: 42)]
        try store.saveTimers(timers, of: "identity")
        XCTAssertEqual(store.loadTimers(of: "identity"), timers)
        try self.flipLastByte(store.directory(of: "identity") + "/timers.json")
        XCTAssertEqual(store.loadTimers(of: "identity"), [])
        XCTAssertTrue(self.errors.lines.contains { $0.contains("ignoring its pending timers") }, "\(self.errors.lines)")
    }
}

/// Lines handed to `onError`, collected across threads.
private final class ReportedLines: @unchecked Sendable {
    // @unchecked: `recorded` is only touched under `lock`.
    private let lock = NSLock()
    private var recorded: [String] = []

    func append(_ line: String) {
        self.lock.withLock { self.recorded.append(line) }
    }

    var lines: [String] { self.lock.withLock { self.recorded } }
}
