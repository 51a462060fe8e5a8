import Foundation
import GroupCoordinator
import LogStore
@testable import OperatorRuntime
import RecordFormat
import SluiceModel
import XCTest

/// Real Python fixture processes fed through LogManager and GroupCoordinator in-process.
final class OperatorRuntimeEndToEndTests: XCTestCase {
    private var harness: RuntimeHarness!

    override func setUpWithError() throws {
        self.harness = try RuntimeHarness()
    }

    override func tearDownWithError() throws {
        self.harness.close()
        self.harness.remove()
    }

    private func produceSequence(_ topic: String, partitions: Int, count: Int, batch: Int = 500, startingAt start: Int = 0) throws {
        var next = Array(repeating: start, count: partitions)
        var produced = 0
        while produced < count {
            let partition = produced / batch % partitions
            let values = (0..<min(batch, count - produced)).map { i in "p\(partition)-\(next[partition] + i)" }
            try self.harness.produce(topic, partition: partition, values: values)
            next[partition] += values.count
            produced += values.count
        }
    }

    func testIdentityCopiesEveryRecordExactlyOnceInOrder() async throws {
        try self.harness.createTopic("in", partitions: 3)
        try self.produceSequence("in", partitions: 3, count: 20_000)
        let runtime = try self.harness.makeRuntime()
        let status = try await runtime.deploy(RuntimeHarness.fixture("identity.py"))
        XCTAssertEqual(status.name, "identity")
        XCTAssertEqual(status.inputs, ["in"])
        XCTAssertEqual(status.outputs, ["out"])
        XCTAssertEqual(status.version, 1)
        await waitUntil("20,000 outputs") { self.harness.count("out") >= 20_000 }
        let sequences = try self.harness.outputSequences("out")
        XCTAssertEqual(self.harness.count("out"), 20_000)
        for (source, values) in sequences {
            XCTAssertTrue(values == Array(0..<values.count), "\(source) in order, exactly once")
        }
        await waitUntil("commits") {
            (0..<3).map { self.harness.committed(group: "identity", topic: "in", partition: $0) }.reduce(0, +) == 20_000
        }
        let final = try runtime.status(name: "identity")
        XCTAssertEqual(final.recordsIn, 20_000)
        XCTAssertEqual(final.recordsOut, 20_000)
        XCTAssertEqual(final.lag, 0)
        XCTAssertEqual(final.state, "running")
        await runtime.shutdown()
    }

    func testPauseStopsProgressAndResumeCompletes() async throws {
        try self.harness.createTopic("in", partitions: 1)
        let runtime = try self.harness.makeRuntime()
        _ = try await runtime.deploy(RuntimeHarness.fixture("identity.py"))
        try self.produceSequence("in", partitions: 1, count: 1000)
        await waitUntil("first 1000") { self.harness.count("out") == 1000 }
        let paused = try await runtime.pause(name: "identity")
        XCTAssertEqual(paused.state, "paused")
        try self.produceSequence("in", partitions: 1, count: 1000, startingAt: 1000)
        try await Task.sleep(nanoseconds: 300_000_000)
        XCTAssertEqual(self.harness.count("out"), 1000, "no progress while paused")
        XCTAssertEqual(try runtime.status(name: "identity").lag, 1000)
        let resumed = try await runtime.resume(name: "identity")
        XCTAssertEqual(resumed.state, "running")
        await waitUntil("all 2000") { self.harness.count("out") == 2000 }
        await runtime.shutdown()
    }

    func testSwapsUnderContinuousAppendsLoseAndRepeatNothing() async throws {
        try self.harness.createTopic("in", partitions: 3)
        let runtime = try self.harness.makeRuntime()
        _ = try await runtime.deploy(RuntimeHarness.fixture("identity.py", environment: ["FIXTURE_TAG": "a"]))
        let harness = self.harness!
        let producing = ManagedAtomicFlag()
        let producer = Task.detached { () -> Int in
            var next = [0, 0, 0]
            var produced = 0
            while !producing.isSet {
                for partition in 0..<3 {
                    let values = (0..<20).map { "p\(partition)-\(next[partition] + $0)" }
                    try? harness.produce("in", partition: partition, values: values)
                    next[partition] += 20
                    produced += 20
                }
                try? await Task.sleep(nanoseconds: 2_000_000)
            }
            return produced
        }
        var gaps: [Double] = []
        for swap in 0..<20 {
            let tag = swap % 2 == 0 ? "b" : "a"
            let report = try await runtime.swap(name: "identity", RuntimeHarness.fixture("identity.py", environment: ["FIXTURE_TAG": tag]))
            XCTAssertEqual(report.toVersion, swap + 2)
            gaps.append(report.handoffGapMs)
        }
        producing.set()
        let produced = await producer.value
        await waitUntil("every record copied") { self.harness.count("out") >= Int64(produced) }
        try await Task.sleep(nanoseconds: 100_000_000)
        XCTAssertEqual(self.harness.count("out"), Int64(produced), "no duplicates")
        for (source, values) in try self.harness.outputSequences("out") {
            XCTAssertTrue(values == Array(0..<values.count), "\(source): every record once, in order")
        }
        let tags = Set(try self.harness.records("out").values.joined().compactMap { record in
            record.headers.first { $0.key == "fixture.tag" }.map { String(decoding: $0.value ?? [], as: UTF8.self) }
        })
        XCTAssertEqual(tags, ["a", "b"], "both versions processed records")
        gaps.sort()
        print("handoff gaps over 20 swaps (ms): p50 \(gaps[gaps.count / 2]), p99 \(gaps[min(gaps.count - 1, gaps.count * 99 / 100)]), max \(gaps.last!), produced \(produced)")
        let status = try runtime.status(name: "identity")
        XCTAssertEqual(status.version, 21)
        XCTAssertEqual(status.recentHandoffGapsMs.count, 20)
        let rolledBack = try await runtime.rollback(name: "identity")
        XCTAssertEqual(rolledBack.fromVersion, 21)
        XCTAssertEqual(rolledBack.toVersion, 20)
        await runtime.shutdown()
    }

    func testKilledProcessIsRestartedAndNothingIsLost() async throws {
        try self.harness.createTopic("in", partitions: 2)
        self.harness.configuration.batchRecordsMax = 500
        let runtime = try self.harness.makeRuntime()
        _ = try await runtime.deploy(RuntimeHarness.fixture("identity.py"))
        try self.produceSequence("in", partitions: 2, count: 10_000, batch: 100)
        await waitUntil("some progress") { self.harness.count("out") > 1000 }
        let pid = try await XCTUnwrapAsync(try await runtime.currentProcessIdentifier(name: "identity"))
        XCTAssertEqual(kill(pid, SIGKILL), 0)
        try self.produceSequence("in", partitions: 2, count: 10_000, batch: 100, startingAt: 5000)
        await waitUntil("a restart") { (try? runtime.status(name: "identity").restarts) ?? 0 >= 1 }
        await waitUntil("all committed") { (try? runtime.status(name: "identity").lag) == 0 && (try? runtime.status(name: "identity").state) == "running" }
        let sequences = try self.harness.outputSequences("out")
        var duplicates = 0
        for (source, values) in sequences {
            XCTAssertTrue(Set(values) == Set(0..<10_000), "\(source): every record")
            duplicates += values.count - Set(values).count
        }
        XCTAssertLessThanOrEqual(duplicates, 500, "duplicates only within the one uncommitted batch")
        print("kill -9: \(duplicates) duplicates, restarts \(try runtime.status(name: "identity").restarts)")
        await runtime.shutdown()
    }

    func testFailingRecordIsDeadLetteredAndProcessingContinues() async throws {
        try self.harness.createTopic("in", partitions: 1)
        let runtime = try self.harness.makeRuntime()
        _ = try await runtime.deploy(RuntimeHarness.fixture("identity.py", environment: ["FIXTURE_BEHAVIOUR": "fail-bad"]))
        var values = (0..<100).map { "p0-\($0)" }
        values.insert("bad-record", at: 40)
        try self.harness.produce("in", partition: 0, values: values, keys: values.map { "k-" + $0 })
        await waitUntil("the dead letter") { self.harness.count("identity.dlq") == 1 }
        await waitUntil("the rest") { self.harness.count("out") == 100 }
        XCTAssertEqual(try self.harness.outputSequences("out")["p0"], Array(0..<100))
        let letter = try XCTUnwrap(try self.harness.records("identity.dlq")[0]?.first)
        XCTAssertEqual(letter.value, Array("bad-record".utf8))
        XCTAssertEqual(letter.key, Array("k-bad-record".utf8))
        let headers = Dictionary(uniqueKeysWithValues: letter.headers.map { ($0.key, String(decoding: $0.value ?? [], as: UTF8.self)) })
        XCTAssertEqual(headers["sluice.error"], "refusing a bad record")
        XCTAssertEqual(headers["sluice.source.stream"], "in")
        XCTAssertEqual(headers["sluice.source.partition"], "0")
        XCTAssertEqual(headers["sluice.source.offset"], "40")
        await waitUntil("committed past it") { self.harness.committed(group: "identity", topic: "in", partition: 0) == 101 }
        let status = try runtime.status(name: "identity")
        XCTAssertEqual(status.deadLettered, 1)
        XCTAssertEqual(status.restarts, 0)
        await runtime.shutdown()
    }

    func testRecordThatCrashesTheProcessIsIsolatedAndDeadLettered() async throws {
        try self.harness.createTopic("in", partitions: 1)
        let runtime = try self.harness.makeRuntime()
        _ = try await runtime.deploy(RuntimeHarness.fixture("identity.py", environment: ["FIXTURE_BEHAVIOUR": "crash-on-poison"]))
        var values = (0..<1000).map { "p0-\($0)" }
        values.insert("poison", at: 537)
        try self.harness.produce("in", partition: 0, values: values)
        await waitUntil("the dead letter", timeoutSeconds: 60) { self.harness.count("identity.dlq") == 1 }
        await waitUntil("the rest") { self.harness.count("out") == 1000 }
        XCTAssertTrue(try self.harness.outputSequences("out")["p0"] == Array(0..<1000), "every other record once, in order")
        XCTAssertEqual(try self.harness.values("identity.dlq")[0], ["poison"])
        let status = try runtime.status(name: "identity")
        XCTAssertGreaterThanOrEqual(status.restarts, 3)
        XCTAssertEqual(status.deadLettered, 1)
        let logLines = try runtime.logs(name: "identity", tailLines: 200)
        XCTAssertTrue(logLines.contains { $0.contains("poison record, exiting") && $0.contains(" v1#") }, "\(logLines.suffix(5))")
        await runtime.shutdown()
    }

    /// Small batches, so failures land on batches that were pipelined behind an answered one: nothing is
    /// lost or appended twice.
    func testFailuresInPipelinedBatchesLoseAndRepeatNothing() async throws {
        try self.harness.createTopic("in", partitions: 1)
        self.harness.configuration.batchRecordsMax = 7
        let runtime = try self.harness.makeRuntime()
        _ = try await runtime.deploy(RuntimeHarness.fixture("identity.py", environment: ["FIXTURE_BEHAVIOUR": "fail-bad"]))
        var values = (0..<600).map { "p0-\($0)" }
        for position in [598, 451, 450, 303, 100] { values.insert("bad-\(position)", at: position) }
        try self.harness.produce("in", partition: 0, values: values)
        await waitUntil("the dead letters", timeoutSeconds: 60) { self.harness.count("identity.dlq") == 5 }
        await waitUntil("the rest") { self.harness.count("out") == 600 }
        XCTAssertEqual(try self.harness.outputSequences("out")["p0"], Array(0..<600), "every good record once, in order")
        await waitUntil("committed to the end") { self.harness.committed(group: "identity", topic: "in", partition: 0) == 605 }
        await runtime.shutdown()
    }

    /// A crash while a batch is being applied and the next one is pipelined: the applied one stays
    /// committed, the pipelined one is replayed after the restart.
    func testCrashWithAPipelinedBatchReplaysOnlyThatBatch() async throws {
        try self.harness.createTopic("in", partitions: 1)
        self.harness.configuration.batchRecordsMax = 7
        let runtime = try self.harness.makeRuntime()
        _ = try await runtime.deploy(RuntimeHarness.fixture("identity.py", environment: ["FIXTURE_BEHAVIOUR": "crash-on-poison"]))
        var values = (0..<300).map { "p0-\($0)" }
        values.insert("poison", at: 200)
        try self.harness.produce("in", partition: 0, values: values)
        await waitUntil("the dead letter", timeoutSeconds: 60) { self.harness.count("identity.dlq") == 1 }
        await waitUntil("the rest") { self.harness.count("out") == 300 }
        XCTAssertEqual(try self.harness.outputSequences("out")["p0"], Array(0..<300), "every other record once, in order")
        await runtime.shutdown()
    }

    func testOperatorWritingGarbageIsKilledReportedAndItsRecordIsolated() async throws {
        try self.harness.createTopic("in", partitions: 1)
        let runtime = try self.harness.makeRuntime()
        _ = try await runtime.deploy(RuntimeHarness.fixture("identity.py", environment: ["FIXTURE_BEHAVIOUR": "garbage-on-poison"]))
        var values = (0..<200).map { "p0-\($0)" }
        values.insert("poison", at: 77)
        try self.harness.produce("in", partition: 0, values: values)
        await waitUntil("the dead letter", timeoutSeconds: 60) { self.harness.count("identity.dlq") == 1 }
        await waitUntil("the rest") { self.harness.count("out") == 200 }
        XCTAssertTrue(try self.harness.outputSequences("out")["p0"] == Array(0..<200))
        let status = try runtime.status(name: "identity")
        XCTAssertTrue(status.lastErrors.contains { $0.contains("broke the protocol") }, "\(status.lastErrors)")
        XCTAssertEqual(status.state, "running")
        await runtime.shutdown()
    }

    func testHungOperatorIsKilledAfterTheBatchTimeoutAndShutdownDoesNotWaitForever() async throws {
        try self.harness.createTopic("in", partitions: 1)
        self.harness.configuration.batchTimeoutMs = 300
        self.harness.configuration.stopTimeoutMs = 300
        self.harness.configuration.deadLetterAttempts = 1
        let runtime = try self.harness.makeRuntime()
        _ = try await runtime.deploy(RuntimeHarness.fixture("identity.py", environment: ["FIXTURE_BEHAVIOUR": "hang-on-poison"]))
        var values = (0..<20).map { "p0-\($0)" }
        values.insert("poison", at: 13)
        try self.harness.produce("in", partition: 0, values: values)
        await waitUntil("the dead letter", timeoutSeconds: 60) { self.harness.count("identity.dlq") == 1 }
        await waitUntil("the rest") { self.harness.count("out") == 20 }
        XCTAssertTrue(try runtime.status(name: "identity").lastErrors.contains { $0.contains("did not answer a batch") })
        // A process hanging in its batch at shutdown is killed after the stop timeout.
        try self.harness.produce("in", partition: 0, values: ["poison"])
        try await Task.sleep(nanoseconds: 100_000_000)
        let started = Date()
        await runtime.shutdown()
        XCTAssertLessThan(Date().timeIntervalSince(started), 5)
    }

    func testSwapWhilePausedStaysPausedAndRollbackRunsThePreviousCode() async throws {
        try self.harness.createTopic("in", partitions: 1)
        let runtime = try self.harness.makeRuntime()
        _ = try await runtime.deploy(RuntimeHarness.fixture("identity.py", environment: ["FIXTURE_TAG": "one"]))
        _ = try await runtime.pause(name: "identity")
        let report = try await runtime.swap(name: "identity", RuntimeHarness.fixture("identity.py", environment: ["FIXTURE_TAG": "two"]))
        XCTAssertEqual(report.toVersion, 2)
        XCTAssertEqual(try runtime.status(name: "identity").state, "paused")
        XCTAssertEqual(try runtime.status(name: "identity").previousVersions, [1])
        try self.produceSequence("in", partitions: 1, count: 10)
        _ = try await runtime.resume(name: "identity")
        await waitUntil("v2 output") { self.harness.count("out") == 10 }
        let back = try await runtime.rollback(name: "identity")
        XCTAssertEqual(back.toVersion, 1)
        try self.produceSequence("in", partitions: 1, count: 10, startingAt: 10)
        await waitUntil("v1 output") { self.harness.count("out") == 20 }
        let tags = try self.harness.records("out")[0]!.map { record in
            String(decoding: record.headers.first { $0.key == "fixture.tag" }?.value ?? [], as: UTF8.self)
        }
        XCTAssertEqual(tags, Array(repeating: "two", count: 10) + Array(repeating: "one", count: 10))
        XCTAssertEqual(try runtime.status(name: "identity").version, 1)
        await runtime.shutdown()
    }

    func testTimerSourceProducesOnSchedule() async throws {
        let runtime = try self.harness.makeRuntime()
        let status = try await runtime.deploy(RuntimeHarness.fixture("timer_source.py", environment: ["FIXTURE_INTERVAL_MS": "100"]))
        XCTAssertEqual(status.name, "ticker")
        XCTAssertEqual(status.inputs, [])
        try await Task.sleep(nanoseconds: 1_250_000_000)
        let ticks = self.harness.count("ticks")
        XCTAssertGreaterThanOrEqual(ticks, 9)
        XCTAssertLessThanOrEqual(ticks, 13)
        for value in try self.harness.values("ticks")[0] ?? [] {
            let parts = value.split(separator: " ")
            XCTAssertGreaterThanOrEqual(Int64(parts[5])!, Int64(parts[3])!, "fired at or after its time")
        }
        await runtime.shutdown()
        // The pending timer survives the restart of the runtime.
        let timers = try String(contentsOfFile: self.harness.directory + "/operators/ticker/timers.json", encoding: .utf8)
        XCTAssertTrue(timers.contains("timeMs"), timers)
    }

    func testRuntimeRestartBringsOperatorsBackAtTheirOffsets() async throws {
        try self.harness.createTopic("in", partitions: 2)
        let runtime = try self.harness.makeRuntime()
        _ = try await runtime.deploy(RuntimeHarness.fixture("identity.py"))
        _ = try await runtime.deploy(RuntimeHarness.fixture("identity.py", name: "second", environment: ["FIXTURE_OUTPUT": "out2"]))
        _ = try await runtime.pause(name: "second")
        try self.produceSequence("in", partitions: 2, count: 5000)
        await waitUntil("first half") { self.harness.count("out") == 5000 }
        await runtime.shutdown()
        try self.produceSequence("in", partitions: 2, count: 5000, startingAt: 2500)
        let restarted = try self.harness.makeRuntime()
        try await restarted.start()
        XCTAssertEqual(restarted.list().map(\.name), ["identity", "second"])
        await waitUntil("second half") { self.harness.count("out") == 10_000 }
        try await Task.sleep(nanoseconds: 200_000_000)
        XCTAssertEqual(self.harness.count("out"), 10_000, "no record twice across the restart")
        XCTAssertEqual(try restarted.status(name: "second").state, "paused")
        XCTAssertEqual(self.harness.count("out2"), 0)
        _ = try await restarted.resume(name: "second")
        await waitUntil("second catches up") { self.harness.count("out2") == 10_000 }
        try await restarted.kill(name: "second")
        XCTAssertThrowsError(try restarted.status(name: "second"))
        XCTAssertEqual(self.harness.committed(group: "second", topic: "in", partition: 0) + self.harness.committed(group: "second", topic: "in", partition: 1), 10_000)
        await restarted.shutdown()
    }

    func testDeployErrors() async throws {
        try self.harness.createTopic("in", partitions: 1)
        self.harness.configuration.startTimeoutMs = 2000
        let runtime = try self.harness.makeRuntime()
        await self.assertDeployFails(runtime, "no_streams.py", .noStreams)
        await self.assertDeployFails(runtime, "not_an_operator.py", .notAnOperator, containing: "hello, I am just a scr")
        await self.assertDeployFails(runtime, "garbage.py", .notAnOperator)
        await self.assertDeployFails(runtime, "exit_in_init.py", .startFailed, containing: "cannot connect to the database")
        await self.assertDeployFails(runtime, "slow_start.py", .notAnOperator, containing: "no answer within")
        XCTAssertEqual(runtime.list().count, 0)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: self.harness.directory + "/operators")
        XCTAssertEqual(leftovers, [], "failed deploys leave nothing behind")

        _ = try await runtime.deploy(RuntimeHarness.fixture("identity.py"))
        await self.assertDeployFails(runtime, "identity.py", .alreadyDeployed)
        do {
            _ = try await runtime.swap(name: "identity", RuntimeHarness.fixture("exit_in_init.py"))
            XCTFail("the swap should fail")
        } catch let error as OperatorRuntimeError {
            XCTAssertEqual(error.code, .startFailed)
            XCTAssertFalse(error.message.contains("\n"))
        }
        try self.produceSequence("in", partitions: 1, count: 100)
        await waitUntil("the old version goes on") { self.harness.count("out") == 100 }
        XCTAssertEqual(try runtime.status(name: "identity").version, 1)
        do {
            _ = try await runtime.rollback(name: "identity")
            XCTFail("no previous version")
        } catch let error as OperatorRuntimeError {
            XCTAssertEqual(error.code, .noPreviousVersion)
        }
        await runtime.shutdown()
    }

    func testSwapToAVersionThatCrashesAtOnceKeepsTheOldOne() async throws {
        try self.harness.createTopic("in", partitions: 1)
        let runtime = try self.harness.makeRuntime()
        _ = try await runtime.deploy(RuntimeHarness.fixture("identity.py", environment: ["FIXTURE_TAG": "old"]))
        try self.produceSequence("in", partitions: 1, count: 100)
        await waitUntil("first records") { self.harness.count("out") == 100 }
        let appending = Task.detached { [harness = self.harness!] in
            for round in 0..<50 {
                try? harness.produce("in", partition: 0, values: (0..<10).map { "p0-\(100 + round * 10 + $0)" })
                try? await Task.sleep(nanoseconds: 5_000_000)
            }
        }
        do {
            _ = try await runtime.swap(
                name: "identity", RuntimeHarness.fixture("identity.py", environment: ["FIXTURE_BEHAVIOUR": "crash-at-once"])
            )
            XCTFail("the swap should fail")
        } catch let error as OperatorRuntimeError {
            XCTAssertEqual(error.code, .startFailed, error.message)
            print("swap to a crashing version: \(error.message)")
        }
        await appending.value
        await waitUntil("the old version finishes") { self.harness.count("out") == 600 }
        XCTAssertTrue(try self.harness.outputSequences("out")["p0"] == Array(0..<600))
        let status = try runtime.status(name: "identity")
        XCTAssertEqual(status.version, 1)
        XCTAssertEqual(status.state, "running")
        await runtime.shutdown()
    }

    func testFsyncAlwaysAndFollowingLogs() async throws {
        self.harness.close()
        self.harness.remove()
        self.harness = try RuntimeHarness(fsyncPolicy: .always)
        try self.harness.createTopic("in", partitions: 2)
        let runtime = try self.harness.makeRuntime()
        _ = try await runtime.deploy(RuntimeHarness.fixture("identity.py"))
        let follower = try runtime.followLogs(name: "identity")
        try self.produceSequence("in", partitions: 2, count: 3000)
        await waitUntil("all copied") { self.harness.count("out") == 3000 }
        let pid = try await XCTUnwrapAsync(try await runtime.currentProcessIdentifier(name: "identity"))
        kill(pid, SIGKILL)
        let reading = Task {
            var followed: [String] = []
            for await line in follower {
                followed.append(line)
                if line.contains("starting") && line.contains("v1#2") { break }
            }
            return followed
        }
        let timeout = Task {
            try await Task.sleep(nanoseconds: 10_000_000_000)
            reading.cancel()
        }
        let followed = await reading.value
        timeout.cancel()
        XCTAssertTrue(followed.contains { $0.contains("exited unexpectedly") }, "\(followed)")
        let tail = try runtime.logs(name: "identity", tailLines: 3)
        XCTAssertEqual(tail.count, 3)
        await runtime.shutdown()
    }

    private func assertDeployFails(
        _ runtime: OperatorRuntime, _ fixture: String, _ code: OperatorRuntimeError.Code, containing text: String? = nil,
        line: UInt = #line
    ) async {
        do {
            _ = try await runtime.deploy(RuntimeHarness.fixture(fixture))
            XCTFail("\(fixture) deployed", line: line)
        } catch let error as OperatorRuntimeError {
            XCTAssertEqual(error.code, code, error.message, line: line)
            XCTAssertFalse(error.message.contains("\n"), line: line)
            if let text { XCTAssertTrue(error.message.contains(text), error.message, line: line) }
        } catch {
            XCTFail("\(error)", line: line)
        }
    }
}

/// A flag set once, read from any thread.
final class ManagedAtomicFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { self.lock.withLock { self.value = true } }
    var isSet: Bool { self.lock.withLock { self.value } }
}

func XCTUnwrapAsync<T>(_ value: T?, file: StaticString = #filePath, line: UInt = #line) async throws -> T {
    try XCTUnwrap(value, file: file, line: line)
}
