import Foundation
@testable import OperatorRuntime
import SluiceModel
import XCTest

/// Operator limits in the runtime: telling a limit breach from a crash, the lifecycle that stops instead of
/// restarting, the limits kept in `operator.json`, the cgroup files read, and real processes over their limits.
final class OperatorLimitEnforcementTests: XCTestCase {
    private let limits = OperatorLimits(memoryBytesMax: 64 << 20, cpuMillicoresMax: 0, filesMax: 64, processesMax: 8)

    // MARK: - Breach or crash

    func testTheKernelsCountsAreTheEvidenceUnderCgroups() {
        let oom = LimitBreach.Exit(code: nil, signal: SIGKILL, cgroup: .init(oomKills: 1, processLimitHits: 0))
        XCTAssertEqual(LimitBreach.classify(oom, stderrTail: [], limits: self.limits)?.resource, .memory)
        XCTAssertEqual(
            LimitBreach.classify(oom, stderrTail: [], limits: self.limits)?.reason,
            "exceeded its memory limit (64 MiB): killed by the kernel's OOM killer in its cgroup; not restarted. "
                + "Raise it with a swap (--memory-max ...) or resume to try again"
        )
        let pids = LimitBreach.Exit(code: 3, signal: nil, cgroup: .init(oomKills: 0, processLimitHits: 2))
        XCTAssertEqual(LimitBreach.classify(pids, stderrTail: [], limits: self.limits)?.resource, .processes)
        // A SIGKILL without an OOM kill is someone's kill -9: a crash, restarted as ever.
        let killed = LimitBreach.Exit(code: nil, signal: SIGKILL, cgroup: .init())
        XCTAssertNil(LimitBreach.classify(killed, stderrTail: [], limits: self.limits))
        // Under cgroups a MemoryError in stderr is not the kernel's word: the memory limit kills, it does not fail.
        let crashed = LimitBreach.Exit(code: 1, signal: nil, cgroup: .init())
        XCTAssertNil(LimitBreach.classify(crashed, stderrTail: ["MemoryError"], limits: self.limits))
    }

    func testWithoutCgroupsTheFailuresLastWordsAreTheEvidence() {
        let exit = LimitBreach.Exit(code: 3, signal: nil, cgroup: nil)
        let memory = LimitBreach.classify(exit, stderrTail: ["Traceback (most recent call last):", "MemoryError"], limits: self.limits)
        XCTAssertEqual(memory?.resource, .memory)
        XCTAssertEqual(memory?.evidence, "an allocation failed under RLIMIT_DATA (memoryerror)")
        let files = LimitBreach.classify(exit, stderrTail: ["OSError: [Errno 24] Too many open files"], limits: self.limits)
        XCTAssertEqual(files?.resource, .files)
        XCTAssertEqual(files?.limit, "64")
        let threads = LimitBreach.classify(exit, stderrTail: ["RuntimeError: can't start new thread"], limits: self.limits)
        XCTAssertEqual(threads?.resource, .processes)
        XCTAssertNil(LimitBreach.classify(exit, stderrTail: ["ValueError: bad record"], limits: self.limits))
        let clean = LimitBreach.Exit(code: 0, signal: nil, cgroup: nil)
        XCTAssertNil(LimitBreach.classify(clean, stderrTail: ["MemoryError"], limits: self.limits), "a clean exit is no breach")
        XCTAssertNil(
            LimitBreach.classify(exit, stderrTail: ["MemoryError"], limits: .unlimited),
            "no limit, no breach: the machine ran out, not the operator's budget"
        )
    }

    // MARK: - Lifecycle

    func testOverALimitTheOperatorStopsUntilAResumeOrASwap() {
        var lifecycle = OperatorLifecycle(paused: false, restartBackoffMsMin: 100, restartBackoffMsMax: 5000)
        _ = lifecycle.processReady()
        lifecycle.batchSent()
        XCTAssertEqual(lifecycle.processExceededLimit(), .none, "no restart is scheduled")
        XCTAssertEqual(lifecycle.state, .overLimit)
        XCTAssertEqual(lifecycle.stateName, "stopped")
        XCTAssertFalse(lifecycle.isBatchInFlight)
        XCTAssertFalse(lifecycle.mayFeed)
        XCTAssertEqual(lifecycle.restartTimerFired(nowNs: .max), .none)
        XCTAssertEqual(lifecycle.pause(), .none)
        XCTAssertEqual(lifecycle.state, .overLimit, "a pause keeps it stopped")
        XCTAssertEqual(lifecycle.resume(), .scheduleRestart(afterMs: 0), "a resume starts a new process at once")
        XCTAssertEqual(lifecycle.restartTimerFired(nowNs: 1), .startProcess)

        var swapped = OperatorLifecycle(paused: false, restartBackoffMsMin: 100, restartBackoffMsMax: 5000)
        _ = swapped.processReady()
        _ = swapped.processExceededLimit()
        XCTAssertEqual(swapped.newVersionReady(), .handOff, "a swap replaces the stopped version at once")
        XCTAssertEqual(swapped.handOffDone(), .feed)

        var swapping = OperatorLifecycle(paused: false, restartBackoffMsMin: 100, restartBackoffMsMax: 5000)
        _ = swapping.processReady()
        _ = swapping.newVersionReady()
        XCTAssertEqual(swapping.processExceededLimit(), .none)
        XCTAssertEqual(swapping.state, .swapping, "during a swap the new version takes over")
    }

    // MARK: - Persistence and cgroup files

    func testLimitsAreKeptInTheDeploymentRecordAndOldRecordsHaveNone() throws {
        let directory = NSTemporaryDirectory() + "limits-store-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try DeploymentStore(dataDirectory: directory)
        try FileManager.default.createDirectory(atPath: store.directory(of: "hog"), withIntermediateDirectories: true)
        let record = DeploymentRecord(
            name: "hog", currentVersion: 1,
            versions: [.init(version: 1, command: ["python3", "hog.py"], environment: [:], createdMs: 5, limits: self.limits)],
            paused: false
        )
        try store.saveRecord(record)
        XCTAssertEqual(try store.loadRecord(of: "hog").version(1)?.limits, self.limits)

        let old = #"{"name":"old","currentVersion":1,"paused":false,"versions":[{"version":1,"command":["./op"],"environment":{},"createdMs":1}]}"#
        try FileManager.default.createDirectory(atPath: store.directory(of: "old"), withIntermediateDirectories: true)
        try Data(old.utf8).write(to: URL(fileURLWithPath: store.directory(of: "old") + "/operator.json"))
        XCTAssertNil(try store.loadRecord(of: "old").version(1)?.limits, "a record from before limits loads, without them")
    }

    func testCgroupMountsOwnPathsAndCountersAreRead() {
        let mountInfo = """
            30 25 0:26 / /sys/fs/cgroup/unified rw,nosuid - cgroup2 cgroup2 rw
            31 25 0:27 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
            32 25 0:28 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
            33 25 0:29 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
            34 25 0:30 / /data rw shared:5 - ext4 /dev/sda1 rw
            """
        let mounts = CgroupLayout.parseMounts(mountInfo)
        XCTAssertEqual(mounts.v2, "/sys/fs/cgroup/unified")
        XCTAssertEqual(mounts.v1, ["memory": "/sys/fs/cgroup/memory", "cpu": "/sys/fs/cgroup/cpu,cpuacct", "pids": "/sys/fs/cgroup/pids"])
        let own = CgroupLayout.parseOwnCgroups("4:memory:/box/7\n2:cpu,cpuacct:/\n0::/system.slice/sluice.service\n")
        XCTAssertEqual(own["memory"], "/box/7")
        XCTAssertEqual(own["cpu"], "/")
        XCTAssertEqual(own[""], "/system.slice/sluice.service")
        XCTAssertEqual(OperatorCgroup.field("oom_kill", in: "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n"), 2)
        XCTAssertEqual(OperatorCgroup.field("max", in: "max 5\n"), 5)
        XCTAssertEqual(OperatorCgroup.field("oom_kill", in: nil), 0)
        XCTAssertNil(CgroupLayout.detect(enabled: false).version)
        XCTAssertEqual(CgroupLayout.detect(enabled: false).reason, "cgroups are turned off (operators.cgroups = off)")
    }

    // MARK: - Real processes

    /// A fixture allocating 512 MiB under a 64 MiB limit is stopped, with the reason, and not restarted;
    /// with cgroups (when the machine has them) the kernel kills it, without them an allocation fails.
    private func runHog(cgroups: Bool) async throws -> OperatorStatus {
        let harness = try RuntimeHarness()
        defer {
            harness.close()
            harness.remove()
        }
        harness.configuration.cgroupsEnabled = cgroups
        try harness.createTopic("in", partitions: 1)
        let runtime = try harness.makeRuntime()
        var request = try RuntimeHarness.fixture("identity.py", environment: ["FIXTURE_BEHAVIOUR": "hog-on-poison"])
        request.limits = OperatorLimitsOverride(memoryBytesMax: 64 << 20)
        _ = try await runtime.deploy(request)
        try harness.produce("in", partition: 0, values: ["r0"])
        await waitUntil("r0 copied") { harness.count("out") == 1 }
        try harness.produce("in", partition: 0, values: ["poison", "r2"])
        try await waitUntil("stopped over its limit", timeoutSeconds: 60) { try runtime.status(name: "identity").state == "stopped" }
        // Long past the restart backoff (50 ms in the harness): a crash would have been restarted many times.
        try await Task.sleep(nanoseconds: 1_500_000_000)
        let status = try runtime.status(name: "identity")
        XCTAssertEqual(harness.count("out"), 1, "nothing past the record that broke the limit")
        XCTAssertEqual(harness.count("identity.dlq"), 0, "a limit breach blames no record")
        await runtime.shutdown()
        return status
    }

    func testAnOperatorOverItsMemoryLimitIsStoppedNotRestarted() async throws {
        for cgroups in [true, false] {
            let status = try await self.runHog(cgroups: cgroups)
            XCTAssertEqual(status.state, "stopped", "cgroups \(cgroups)")
            XCTAssertEqual(status.restarts, 0, "cgroups \(cgroups): not restarted")
            XCTAssertNil(status.instanceDetails.first?.process, "no process runs")
            XCTAssertTrue(status.reason?.hasPrefix("exceeded its memory limit (64 MiB): ") == true, status.reason ?? "no reason")
            XCTAssertEqual(status.limits?.memoryBytesMax, 64 << 20)
            if !cgroups {
                XCTAssertTrue(status.reason?.contains("RLIMIT_DATA") == true, status.reason ?? "")
                XCTAssertTrue(status.limitsEnforcement?.hasPrefix("rlimits (memory as RLIMIT_DATA") == true)
            }
        }
    }

    func testLimitsOutOfBoundsAreRefusedBeforeAnythingIsStored() async throws {
        let harness = try RuntimeHarness()
        defer {
            harness.close()
            harness.remove()
        }
        let runtime = try harness.makeRuntime()
        var request = try RuntimeHarness.fixture("identity.py")
        request.limits = OperatorLimitsOverride(memoryBytesMax: 1000)
        do {
            _ = try await runtime.deploy(request)
            XCTFail("a 1000-byte memory limit was accepted")
        } catch let error as OperatorRuntimeError {
            XCTAssertEqual(error.code, .invalidRequest)
            XCTAssertEqual(error.message, "memory-max must be 16 MiB...1 TiB or unlimited, not 1000 B")
        }
        let entries = try FileManager.default.contentsOfDirectory(atPath: harness.directory + "/operators")
        XCTAssertEqual(entries, [], "no code staged for a refused deploy")
    }

    func testDeployedLimitsComeFromTheRequestOverTheDefaultsAndSurviveARestart() async throws {
        let harness = try RuntimeHarness()
        defer {
            harness.close()
            harness.remove()
        }
        harness.configuration.limitsDefault = OperatorLimits(memoryBytesMax: 512 << 20, cpuMillicoresMax: 0, filesMax: 512, processesMax: 64)
        try harness.createTopic("in", partitions: 1)
        var runtime = try harness.makeRuntime()
        var request = try RuntimeHarness.fixture("identity.py")
        request.limits = OperatorLimitsOverride(filesMax: 100)
        let expected = OperatorLimits(memoryBytesMax: 512 << 20, cpuMillicoresMax: 0, filesMax: 100, processesMax: 64)
        let deployed = try await runtime.deploy(request)
        XCTAssertEqual(deployed.limits, expected)
        await runtime.shutdown()

        harness.configuration.limitsDefault = .defaults
        runtime = try harness.makeRuntime()
        try await runtime.start()
        XCTAssertEqual(try runtime.status(name: "identity").limits, expected, "the record's limits, not today's defaults")
        // A swap keeps what it does not change.
        _ = try await runtime.swap(name: "identity", RuntimeHarness.fixture("identity.py"))
        XCTAssertEqual(try runtime.status(name: "identity").limits, expected)
        await runtime.shutdown()
    }
}
