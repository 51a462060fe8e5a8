@testable import OperatorRuntime
import SluiceModel
import XCTest

/// The lifecycle and retry decisions, without processes, on a clock moved by hand.
final class OperatorLifecycleTests: XCTestCase {
    private func makeLifecycle(paused: Bool = false) -> OperatorLifecycle {
        OperatorLifecycle(paused: paused, restartBackoffMsMin: 100, restartBackoffMsMax: 5000)
    }

    func testReadyStartsFeedingUnlessPaused() {
        var lifecycle = self.makeLifecycle()
        XCTAssertEqual(lifecycle.processReady(), .feed)
        XCTAssertTrue(lifecycle.mayFeed)
        var paused = self.makeLifecycle(paused: true)
        XCTAssertEqual(paused.processReady(), .none)
        XCTAssertEqual(paused.state, .paused)
        XCTAssertFalse(paused.mayFeed)
    }

    func testPauseWaitsForTheInFlightBatchThenResumeFeeds() {
        var lifecycle = self.makeLifecycle()
        _ = lifecycle.processReady()
        lifecycle.batchSent()
        XCTAssertEqual(lifecycle.pause(), .none)
        XCTAssertEqual(lifecycle.state, .pausing)
        XCTAssertEqual(lifecycle.stateName, "running", "the in-flight batch is still being processed")
        XCTAssertEqual(lifecycle.batchFinished(succeeded: true), .none)
        XCTAssertEqual(lifecycle.state, .paused)
        XCTAssertFalse(lifecycle.mayFeed)
        XCTAssertEqual(lifecycle.resume(), .feed)
        XCTAssertTrue(lifecycle.mayFeed)
    }

    func testResumeWhilePausingKeepsRunning() {
        var lifecycle = self.makeLifecycle()
        _ = lifecycle.processReady()
        lifecycle.batchSent()
        _ = lifecycle.pause()
        XCTAssertEqual(lifecycle.resume(), .none)
        XCTAssertEqual(lifecycle.batchFinished(succeeded: true), .feed)
    }

    func testSwapHandsOffOnlyAfterTheInFlightBatch() {
        var lifecycle = self.makeLifecycle()
        _ = lifecycle.processReady()
        lifecycle.batchSent()
        XCTAssertEqual(lifecycle.newVersionReady(), .none)
        XCTAssertEqual(lifecycle.state, .swapping)
        XCTAssertFalse(lifecycle.mayFeed)
        XCTAssertEqual(lifecycle.batchFinished(succeeded: true), .handOff)
        XCTAssertFalse(lifecycle.mayFeed, "nothing is fed until the handoff is done")
        XCTAssertEqual(lifecycle.handOffDone(), .feed)
        XCTAssertTrue(lifecycle.mayFeed)
    }

    func testSwapWithNothingInFlightHandsOffAtOnceAndKeepsAPause() {
        var lifecycle = self.makeLifecycle()
        _ = lifecycle.processReady()
        _ = lifecycle.pause()
        XCTAssertEqual(lifecycle.newVersionReady(), .handOff)
        XCTAssertEqual(lifecycle.handOffDone(), .none)
        XCTAssertEqual(lifecycle.state, .paused)
    }

    func testCrashRestartsWithExponentialBackoffCappedAndResetBySuccess() {
        let clock = ManualClock()
        var lifecycle = self.makeLifecycle()
        _ = lifecycle.processReady()
        var delays: [Int64] = []
        for _ in 0..<8 {
            guard case .scheduleRestart(let delayMs) = lifecycle.processExited(nowNs: clock.monotonicNs()) else {
                return XCTFail("a crash schedules a restart")
            }
            delays.append(delayMs)
            XCTAssertEqual(lifecycle.restartTimerFired(nowNs: clock.monotonicNs()), .none, "not before the backoff")
            clock.advance(byMs: delayMs)
            XCTAssertEqual(lifecycle.restartTimerFired(nowNs: clock.monotonicNs()), .startProcess)
            XCTAssertEqual(lifecycle.stateName, "starting")
        }
        XCTAssertEqual(delays, [100, 200, 400, 800, 1600, 3200, 5000, 5000])
        XCTAssertEqual(lifecycle.restarts, 8)
        XCTAssertEqual(lifecycle.processReady(), .feed)
        lifecycle.batchSent()
        _ = lifecycle.batchFinished(succeeded: true)
        XCTAssertEqual(lifecycle.processExited(nowNs: clock.monotonicNs()), .scheduleRestart(afterMs: 100))
    }

    func testACrashDuringASwapLeavesTheHandOffToTheNewVersion() {
        var lifecycle = self.makeLifecycle()
        _ = lifecycle.processReady()
        lifecycle.batchSent()
        _ = lifecycle.newVersionReady()
        XCTAssertEqual(lifecycle.processExited(nowNs: 0), .none)
        XCTAssertFalse(lifecycle.isBatchInFlight)
        XCTAssertEqual(lifecycle.handOffDone(), .feed)
    }

    func testStopIsFinal() {
        var lifecycle = self.makeLifecycle()
        _ = lifecycle.processReady()
        XCTAssertEqual(lifecycle.stop(), .stopProcess)
        XCTAssertEqual(lifecycle.processExited(nowNs: 0), .none)
        XCTAssertEqual(lifecycle.resume(), .none)
        XCTAssertFalse(lifecycle.mayFeed)
    }

    // MARK: - Retry planner

    private func record(_ offset: Int64) -> BatchRetryPlanner.RecordIdentity {
        .init(inputIndex: 0, partition: 0, offset: offset)
    }

    func testFailedRecordIsRetriedAloneAfterThePrefixThenDeadLettered() {
        var planner = BatchRetryPlanner(attempts: 3)
        // Batch [10, 20): record 14 fails; the next batch is [10, 14).
        XCTAssertEqual(planner.recordFailed(index: 4, of: 10, record: self.record(14), error: "boom"), .retry(limit: 4))
        XCTAssertNil(planner.batchLimit(head: self.record(10)))
        // Once [10, 14) is committed, 14 goes alone.
        XCTAssertEqual(planner.batchLimit(head: self.record(14)), 1)
        XCTAssertEqual(planner.recordFailed(index: 0, of: 1, record: self.record(14), error: "boom"), .retry(limit: 1))
        XCTAssertEqual(planner.recordFailed(index: 0, of: 1, record: self.record(14), error: "boom"), .deadLetter(error: "boom"))
        XCTAssertNil(planner.batchLimit(head: self.record(15)))
    }

    func testCrashingBatchIsHalvedUntilOneRecordIsIsolated() {
        var planner = BatchRetryPlanner(attempts: 2)
        // Records [0, 16), record 11 kills the process. Simulate the feeder: each batch is a prefix of the rest.
        var head: Int64 = 0
        var size = 16
        var deadLettered: [Int64] = []
        var batches = 0
        while head < 16 && batches < 50 {
            batches += 1
            let limit = planner.batchLimit(head: self.record(head)) ?? 16
            let count = min(min(limit, size), 16 - Int(head))
            let range = head..<(head + Int64(count))
            if range.contains(11) {
                switch planner.batchCrashed(count: count, head: self.record(head), error: "died") {
                case .retry(let next): size = next
                case .deadLetter:
                    deadLettered.append(head)
                    head += 1
                }
            } else {
                head += Int64(count)
            }
        }
        XCTAssertEqual(deadLettered, [11])
        XCTAssertLessThan(batches, 20)
        planner.retainedRecordsDrained()
        XCTAssertNil(planner.limit)
    }

    func testTimersAreOnePerKeyOrderedAndPendingUntilTheirBatchIsAnswered() {
        var heap = TimerHeap()
        for (key, time) in [([UInt8(1)], 50), ([2], 10), ([3], 30), ([4], 20)] as [([UInt8], Int64)] {
            heap.set(OperatorTimer(key: key, timeMs: time))
        }
        heap.set(OperatorTimer(key: nil, timeMs: 40))
        heap.set(OperatorTimer(key: nil, timeMs: 15))  // replaces the null key's timer
        heap.set(OperatorTimer(key: [3], timeMs: 60))  // replaces key 3's
        XCTAssertEqual(heap.count, 5)
        let due = heap.takeDue(nowMs: 35, countMax: 10)
        XCTAssertEqual(due.map(\.timeMs), [10, 15, 20])
        XCTAssertEqual(heap.count, 5, "delivered timers stay pending until their batch is answered")
        heap.restore(due)
        XCTAssertEqual(heap.takeDue(nowMs: 35, countMax: 2).map(\.timeMs), [10, 15])
        heap.set(OperatorTimer(key: [2], timeMs: 100))  // set again while being delivered: kept
        heap.retire([OperatorTimer(key: [2], timeMs: 10), OperatorTimer(key: nil, timeMs: 15)])
        XCTAssertEqual(heap.count, 4)
        XCTAssertEqual(heap.earliestTimeMs, 20, "restored, not yet delivered again")
        XCTAssertEqual(Set(heap.timers.map(\.timeMs)), [20, 50, 60, 100])
    }
}
