import Foundation
import LogStore
@testable import OperatorRuntime
import SluiceModel
import XCTest

/// A misbehaving operator is contained, and internal streams are refused at deploy (issue #10). The retry
/// path runs a real operator process against a manual clock: no retry happens until the test moves the clock
/// past the backoff.
final class ContainmentTests: XCTestCase {
    private var harness: RuntimeHarness!

    override func setUpWithError() throws {
        self.harness = try RuntimeHarness()
        self.harness.configuration.deadLetterAttempts = 3
        self.harness.configuration.retryBackoffMsMin = 100
        self.harness.configuration.retryBackoffMsMax = 1000
    }

    override func tearDown() {
        self.harness.close()
        self.harness.remove()
    }

    private func notApplied(_ runtime: OperatorRuntime) throws -> Int {
        try runtime.status(name: "identity").lastErrors.filter { $0.contains("not applied") }.count
    }

    func testAnUnappliableAnswerIsRetriedWithBackoffOnTheClockThenDeadLettered() async throws {
        try self.harness.createTopic("in", partitions: 1)
        let clock = ManualClock()
        let runtime = try self.harness.makeRuntime(clock: clock)
        _ = try await runtime.deploy(
            RuntimeHarness.fixture("identity.py", environment: ["FIXTURE_BEHAVIOUR": "undeclared-output"])
        )
        try self.harness.produce("in", partition: 0, values: ["r0"], keys: ["k0"])

        // First attempt: not applied, the operator shows failing, and the retry waits on the clock.
        try await waitUntil("the first failure and its backoff") {
            try self.notApplied(runtime) == 1 && clock.sleeperCount >= 1
        }
        var status = try runtime.status(name: "identity")
        XCTAssertEqual(status.state, "failing")
        XCTAssertEqual(status.reason, "its answers cannot be applied: output index 7 is not a declared output")
        try await Task.sleep(nanoseconds: 300_000_000)
        XCTAssertEqual(try self.notApplied(runtime), 1, "no retry while the clock stands still")

        clock.advance(byMs: 99)
        try await Task.sleep(nanoseconds: 200_000_000)
        XCTAssertEqual(try self.notApplied(runtime), 1, "no retry before 100 ms")
        clock.advance(byMs: 1)
        try await waitUntil("the second failure") { try self.notApplied(runtime) == 2 && clock.sleeperCount >= 1 }

        // The backoff doubles: 200 ms.
        clock.advance(byMs: 150)
        try await Task.sleep(nanoseconds: 200_000_000)
        XCTAssertEqual(try self.notApplied(runtime), 2, "no retry before 200 ms")
        clock.advance(byMs: 50)
        await waitUntil("the dead letter") { self.harness.count("identity.dlq") == 1 }

        XCTAssertEqual(try self.notApplied(runtime), 3, "three attempts, then the dead letter")
        XCTAssertEqual(self.harness.count("out"), 0, "nothing of an unappliable answer is appended")
        let letter = try XCTUnwrap(try self.harness.records("identity.dlq")[0]?.first)
        XCTAssertEqual(letter.value, Array("r0".utf8))
        let headers = Dictionary(uniqueKeysWithValues: letter.headers.map {
            ($0.key, String(decoding: $0.value ?? [], as: UTF8.self))
        })
        XCTAssertEqual(headers["sluice.error"], "the operator's answer cannot be applied: output index 7 is not a declared output")
        await waitUntil("committed past it") { self.harness.committed(group: "identity", topic: "in", partition: 0) == 1 }
        status = try runtime.status(name: "identity")
        XCTAssertEqual(status.deadLettered, 1)
        XCTAssertEqual(status.state, "failing", "failing until an answer is applied again")
        await runtime.shutdown()
    }

    func testABatchOfUnappliableAnswersIsHalvedAtOnceThenEachRecordBacksOff() async throws {
        try self.harness.createTopic("in", partitions: 1)
        self.harness.configuration.retryBackoffMsMin = 1
        self.harness.configuration.retryBackoffMsMax = 1
        let runtime = try self.harness.makeRuntime()
        _ = try await runtime.deploy(
            RuntimeHarness.fixture("identity.py", environment: ["FIXTURE_BEHAVIOUR": "undeclared-output"])
        )
        let values = (0..<8).map { "r\($0)" }
        try self.harness.produce("in", partition: 0, values: values, keys: values)
        await waitUntil("every record dead-lettered", timeoutSeconds: 60) { self.harness.count("identity.dlq") == 8 }
        XCTAssertEqual(try self.harness.values("identity.dlq")[0]?.sorted(), values.sorted())
        XCTAssertEqual(self.harness.count("out"), 0)
        await runtime.shutdown()
    }

    func testDeployRefusesInternalAndShadowStreamsAndCreatesNothing() async throws {
        try self.harness.createTopic("in", partitions: 1)
        let runtime = try self.harness.makeRuntime()
        let before = self.harness.logs.topicNames()
        for (input, output, expected) in [
            ("in", "__consumer_offsets.0", "internal to the broker"), ("in", "__x", "internal to the broker"),
            ("__consumer_offsets.0", "out", "internal to the broker"), ("in", "out@3", "contains '@'"),
        ] {
            let request = try RuntimeHarness.fixture(
                "identity.py", environment: ["FIXTURE_INPUT": input, "FIXTURE_OUTPUT": output]
            )
            do {
                _ = try await runtime.deploy(request)
                XCTFail("deployed an operator declaring \(input) -> \(output)")
            } catch let error as OperatorRuntimeError {
                XCTAssertEqual(error.code, .notAnOperator)
                XCTAssertTrue(error.message.contains(expected), error.message)
            }
        }
        XCTAssertEqual(self.harness.logs.topicNames(), before, "a refused deploy created a stream")
        XCTAssertEqual(runtime.list(), [])
        await runtime.shutdown()
    }

    func testAStreamInUseIsDeletedOnlyWhenForcedWhichPausesWithTheReason() async throws {
        try self.harness.createTopic("in", partitions: 1)
        let runtime = try self.harness.makeRuntime()
        _ = try await runtime.deploy(RuntimeHarness.fixture("identity.py"))
        try self.harness.produce("in", partition: 0, values: ["p0-0", "p0-1"])
        await waitUntil("the outputs") { self.harness.count("out") == 2 }
        XCTAssertEqual(runtime.streamUsers("in"), ["identity"])
        XCTAssertEqual(runtime.streamUsers("out"), ["identity"])
        do {
            _ = try await runtime.deleteStream("in", force: false)
            XCTFail("deleted a stream in use")
        } catch let error as OperatorRuntimeError {
            XCTAssertEqual(error.code, .streamInUse)
        }
        XCTAssertNotNil(self.harness.logs.topic("in"))

        let paused = try await runtime.deleteStream("in", force: true)
        XCTAssertEqual(paused, ["identity"])
        var status = try runtime.status(name: "identity")
        XCTAssertEqual(status.state, "paused")
        XCTAssertTrue(status.reason?.contains("stream in was deleted") ?? false, "\(String(describing: status.reason))")
        do {
            _ = try await runtime.resume(name: "identity")
            XCTFail("resumed without its input")
        } catch {}
        XCTAssertEqual(try runtime.status(name: "identity").state, "paused")

        // Recreated: the committed offset 2 is past the new end (1), so the operator reads from the start.
        try self.harness.createTopic("in", partitions: 1)
        try self.harness.produce("in", partition: 0, values: ["p0-2"])
        status = try await runtime.resume(name: "identity")
        XCTAssertNil(status.reason)
        await waitUntil("the recreated stream's record") { self.harness.count("out") == 3 }
        await waitUntil("committed on the new log") { self.harness.committed(group: "identity", topic: "in", partition: 0) == 1 }
        await runtime.shutdown()
    }

    func testAnOutputDeletedBehindTheRuntimesBackPausesTheOperatorInsteadOfSpinning() async throws {
        try self.harness.createTopic("in", partitions: 1)
        let runtime = try self.harness.makeRuntime()
        _ = try await runtime.deploy(RuntimeHarness.fixture("identity.py"))
        try self.harness.produce("in", partition: 0, values: ["p0-0"])
        await waitUntil("the output") { self.harness.count("out") == 1 }
        // Not through deleteStream: the feeding loop finds the log gone when it appends.
        try self.harness.logs.deleteTopic("out")
        try self.harness.produce("in", partition: 0, values: ["p0-1"])
        await waitUntil("paused") { (try? runtime.status(name: "identity").state) == "paused" }
        let status = try runtime.status(name: "identity")
        XCTAssertTrue(status.reason?.contains("stream out was deleted") ?? false, "\(String(describing: status.reason))")
        XCTAssertEqual(status.deadLettered, 0, "a deleted stream is not the operator's fault")
        let errors = status.lastErrors.count
        try await Task.sleep(nanoseconds: 300_000_000)
        XCTAssertEqual(try runtime.status(name: "identity").lastErrors.count, errors, "nothing retried while paused")

        // Resumed: the output is created again and the record not applied before goes to it.
        _ = try await runtime.resume(name: "identity")
        await waitUntil("the record after the deletion") { self.harness.count("out") == 1 }
        XCTAssertEqual(try self.harness.values("out")[0], ["p0-1"])
        await runtime.shutdown()
    }

    // MARK: - The state machines alone

    func testPlannerBacksOffARecordThatFailedButNotANarrowingRetry() {
        var planner = BatchRetryPlanner(attempts: 3, backoffMsMin: 100, backoffMsMax: 150)
        let head = BatchRetryPlanner.RecordIdentity(inputIndex: 0, partition: 0, offset: 0)
        XCTAssertEqual(planner.batchCrashed(count: 4, head: head, error: "e", nowNs: 1_000), .retry(limit: 2))
        XCTAssertTrue(planner.mayRetry(nowNs: 1_000), "halving goes at once")
        XCTAssertEqual(planner.batchCrashed(count: 1, head: head, error: "e", nowNs: 1_000), .retry(limit: 1))
        XCTAssertFalse(planner.mayRetry(nowNs: 1_000 + 99_999_999))
        XCTAssertTrue(planner.mayRetry(nowNs: 1_000 + 100_000_000))
        XCTAssertEqual(planner.batchCrashed(count: 1, head: head, error: "e", nowNs: 2_000), .retry(limit: 1))
        XCTAssertEqual(planner.retryNotBeforeNs, 2_000 + 150_000_000, "200 ms capped at 150")
        XCTAssertEqual(planner.batchCrashed(count: 1, head: head, error: "e", nowNs: 3_000), .deadLetter(error: "e"))
        XCTAssertTrue(planner.mayRetry(nowNs: 3_000), "the next record goes at once")
    }

    func testRepeatedLogLinesAreLimitedPerWindow() {
        var limiter = LogLineLimiter(linesPerWindowMax: 2, windowMs: 1000)
        XCTAssertEqual(limiter.admit(nowNs: 0), .write(suppressedBefore: 0))
        XCTAssertEqual(limiter.admit(nowNs: 1), .write(suppressedBefore: 0))
        for step in 2..<1000 { XCTAssertEqual(limiter.admit(nowNs: UInt64(step)), .suppress) }
        XCTAssertEqual(limiter.admit(nowNs: 1_000_000_000), .write(suppressedBefore: 998))
        XCTAssertEqual(limiter.admit(nowNs: 1_000_000_001), .write(suppressedBefore: 0))
    }
}
