import Foundation
import GroupCoordinator
import LogStore
@testable import OperatorRuntime
import RecordFormat
import SluiceModel
import XCTest

/// Scaling and canaries with real Python fixture processes, in-process logs and groups.
final class OperatorScaleAndCanaryTests: XCTestCase {
    private var harness: RuntimeHarness!

    override func setUpWithError() throws {
        self.harness = try RuntimeHarness()
    }

    override func tearDownWithError() throws {
        self.harness.close()
        self.harness.remove()
    }

    /// Appends `p<partition>-<seq>` records to every partition of `topic` until stopped; returns the count.
    private func startProducing(_ topic: String, partitions: Int, stop: ManagedAtomicFlag) -> Task<Int, Never> {
        let harness = self.harness!
        return Task.detached {
            var next = Array(repeating: 0, count: partitions)
            var produced = 0
            while !stop.isSet {
                for partition in 0..<partitions {
                    let values = (0..<10).map { "p\(partition)-\(next[partition] + $0)" }
                    try? harness.produce(topic, partition: partition, values: values)
                    next[partition] += 10
                    produced += 10
                }
                try? await Task.sleep(nanoseconds: 2_000_000)
            }
            return produced
        }
    }

    private func tags(of topic: String) throws -> [(source: Int, tag: String)] {
        try self.harness.records(topic).values.joined().map { record in
            let value = String(decoding: record.value ?? [], as: UTF8.self)
            let source = Int(value.split(separator: "-")[0].dropFirst())!
            let tag = record.headers.first { $0.key == "fixture.tag" }.map { String(decoding: $0.value ?? [], as: UTF8.self) }
            return (source, tag ?? "")
        }
    }

    func testScaleOneToThreeToOneUnderLoadCopiesEveryRecordOnce() async throws {
        try self.harness.createTopic("in", partitions: 6)
        let runtime = try self.harness.makeRuntime()
        _ = try await runtime.deploy(RuntimeHarness.fixture("identity.py", environment: ["FIXTURE_TAG": "@instance"]))
        let stop = ManagedAtomicFlag()
        let producer = self.startProducing("in", partitions: 6, stop: stop)
        try await Task.sleep(nanoseconds: 300_000_000)
        let up = try await runtime.scale(name: "identity", instances: 3)
        XCTAssertEqual(up.fromInstances, 1)
        XCTAssertEqual(up.toInstances, 3)
        let scaled = try runtime.status(name: "identity")
        XCTAssertEqual(scaled.instances, 3)
        XCTAssertEqual(scaled.instanceDetails.map(\.partitions), [["in-0", "in-3"], ["in-1", "in-4"], ["in-2", "in-5"]])
        XCTAssertEqual(scaled.instanceDetails.map(\.index), [0, 1, 2])
        await waitUntil("every instance copied records", timeoutSeconds: 30) {
            let tags = Set(((try? self.tags(of: "out")) ?? []).map(\.tag))
            return tags.contains("1") && tags.contains("2")
        }
        let down = try await runtime.scale(name: "identity", instances: 1)
        XCTAssertEqual(down.toInstances, 1)
        try await Task.sleep(nanoseconds: 200_000_000)
        stop.set()
        let produced = await producer.value
        await waitUntil("every record copied") { self.harness.count("out") >= Int64(produced) }
        try await Task.sleep(nanoseconds: 100_000_000)
        XCTAssertEqual(self.harness.count("out"), Int64(produced), "no duplicates")
        for (source, values) in try self.harness.outputSequences("out") {
            XCTAssertEqual(values, Array(0..<values.count), "\(source): every record once, in order")
        }
        // Instances 2 and 3 ([1/3], [2/3]) only ever saw their own partitions.
        let tagged = try self.tags(of: "out")
        for (source, tag) in tagged where tag == "1" || tag == "2" {
            XCTAssertEqual(source % 3, Int(tag)!, "partition \(source) went to instance \(tag)")
        }
        XCTAssertTrue(tagged.contains { $0.tag == "1" } && tagged.contains { $0.tag == "2" }, "three instances ran")
        print("scale handoff gaps (ms): up \(up.handoffGapMs), down \(down.handoffGapMs)")
        await runtime.shutdown()
    }

    func testScaledOperatorComesBackScaledAndSourcesCannotScale() async throws {
        try self.harness.createTopic("in", partitions: 4)
        var runtime = try self.harness.makeRuntime()
        _ = try await runtime.deploy(RuntimeHarness.fixture("identity.py"))
        _ = try await runtime.scale(name: "identity", instances: 2)
        await runtime.shutdown()
        runtime = try self.harness.makeRuntime()
        try await runtime.start()
        XCTAssertEqual(try runtime.status(name: "identity").instances, 2)
        try self.harness.produce("in", partition: 3, values: ["p3-0", "p3-1"])
        try self.harness.produce("in", partition: 0, values: ["p0-0"])
        await waitUntil("copied by both instances") { self.harness.count("out") == 3 }
        let logLines = try runtime.logs(name: "identity", tailLines: 50)
        XCTAssertTrue(logLines.contains { $0.contains("[2/2]") }, "the second instance logs with its place")
        await XCTAssertThrowsErrorAsync(try await runtime.scale(name: "identity", instances: 0))
        _ = try await runtime.deploy(RuntimeHarness.fixture("timer_source.py", name: "ticks"))
        await XCTAssertThrowsErrorAsync(try await runtime.scale(name: "ticks", instances: 2))
        await runtime.shutdown()
    }

    /// A crash between a scale's timer move and its record: timers in files of instances the stored count
    /// does not run are taken over by the first instance at start.
    func testTimersLeftByAnInterruptedScaleAreAdopted() async throws {
        try self.harness.createTopic("in", partitions: 2)
        var runtime = try self.harness.makeRuntime()
        _ = try await runtime.deploy(RuntimeHarness.fixture("identity.py"))
        await runtime.shutdown()
        let store = try DeploymentStore(dataDirectory: self.harness.configuration.dataDirectory)
        let timer = OperatorTimer(key: Array("k".utf8), timeMs: Int64(Date().timeIntervalSince1970 * 1000) + 3_600_000)
        try store.saveTimers([timer], of: "identity", file: "timers.2.json")
        runtime = try self.harness.makeRuntime()
        try await runtime.start()
        XCTAssertEqual(store.loadTimers(of: "identity"), [timer])
        XCTAssertFalse(FileManager.default.fileExists(atPath: store.directory(of: "identity") + "/timers.2.json"))
        await runtime.shutdown()
    }

    func testCanaryWritesShadowStreamsThenPromoteKeepsTheLiveOutputExact() async throws {
        try self.harness.createTopic("in", partitions: 3)
        let runtime = try self.harness.makeRuntime()
        _ = try await runtime.deploy(RuntimeHarness.fixture("identity.py", environment: ["FIXTURE_TAG": "live"]))
        let stop = ManagedAtomicFlag()
        let producer = self.startProducing("in", partitions: 3, stop: stop)
        try await Task.sleep(nanoseconds: 300_000_000)
        let status = try await runtime.deployCanary(
            name: "identity", RuntimeHarness.fixture("identity.py", environment: ["FIXTURE_TAG": "canary"])
        )
        XCTAssertEqual(status.canary?.version, 2)
        XCTAssertEqual(status.canary?.outputs, ["out@2"])
        XCTAssertEqual(status.version, 1)
        await waitUntil("the canary writes its shadow stream", timeoutSeconds: 30) { self.harness.count("out@2") > 0 }
        let report = try await runtime.promote(name: "identity")
        XCTAssertEqual(report.fromVersion, 1)
        XCTAssertEqual(report.toVersion, 2)
        await waitUntil("the promoted version copies records", timeoutSeconds: 30) {
            ((try? self.tags(of: "out")) ?? []).contains { $0.tag == "canary" }
        }
        stop.set()
        let produced = await producer.value
        await waitUntil("every record copied") { self.harness.count("out") >= Int64(produced) }
        try await Task.sleep(nanoseconds: 100_000_000)
        XCTAssertEqual(self.harness.count("out"), Int64(produced), "no duplicates across the promotion")
        for (source, values) in try self.harness.outputSequences("out") {
            XCTAssertEqual(values, Array(0..<values.count), "\(source): every record once, in order")
        }
        let shadowTags = Set(try self.tags(of: "out@2").map(\.tag))
        XCTAssertEqual(shadowTags, ["canary"], "the shadow stream holds the canary's output only")
        XCTAssertEqual(Set(try self.tags(of: "out").map(\.tag)), ["live", "canary"])
        let after = try runtime.status(name: "identity")
        XCTAssertNil(after.canary)
        XCTAssertEqual(after.version, 2)
        await XCTAssertThrowsErrorAsync(try await runtime.promote(name: "identity"))
        await runtime.shutdown()
    }

    func testCanaryComesBackAfterARestartAndAbortForgetsIt() async throws {
        try self.harness.createTopic("in", partitions: 1)
        var runtime = try self.harness.makeRuntime()
        _ = try await runtime.deploy(RuntimeHarness.fixture("identity.py"))
        try self.harness.produce("in", partition: 0, values: (0..<50).map { "p0-\($0)" })
        await waitUntil("the live copy") { self.harness.count("out") == 50 }
        _ = try await runtime.deployCanary(name: "identity", RuntimeHarness.fixture("identity.py"))
        await waitUntil("the canary starts where the live version is") {
            self.harness.committed(group: "identity@2", topic: "in", partition: 0) == 50
        }
        XCTAssertEqual(self.harness.count("out@2"), 0, "nothing before the live position is replayed")
        await XCTAssertThrowsErrorAsync(try await runtime.deployCanary(name: "identity", RuntimeHarness.fixture("identity.py")))
        try self.harness.produce("in", partition: 0, values: (50..<55).map { "p0-\($0)" })
        await waitUntil("both copy the new records") { self.harness.count("out") == 55 && self.harness.count("out@2") == 5 }
        // A broker restart brings the canary back at its own offsets.
        await runtime.shutdown()
        runtime = try self.harness.makeRuntime()
        try await runtime.start()
        XCTAssertEqual(try runtime.status(name: "identity").canary?.version, 2)
        try self.harness.produce("in", partition: 0, values: (55..<60).map { "p0-\($0)" })
        await waitUntil("both copy the new records") { self.harness.count("out") == 60 && self.harness.count("out@2") == 10 }
        let aborted = try await runtime.abortCanary(name: "identity")
        XCTAssertNil(aborted.canary)
        XCTAssertEqual(aborted.version, 1)
        XCTAssertEqual(aborted.previousVersions, [])
        try self.harness.produce("in", partition: 0, values: ["p0-60"])
        await waitUntil("the live version goes on") { self.harness.count("out") == 61 }
        XCTAssertEqual(self.harness.count("out@2"), 10)
        await runtime.shutdown()
    }
}

func XCTAssertThrowsErrorAsync<T>(
    _ expression: @autoclosure () async throws -> T, file: StaticString = #filePath, line: UInt = #line
) async {
    do {
        _ = try await expression()
        XCTFail("expected an error", file: file, line: line)
    } catch {}
}
