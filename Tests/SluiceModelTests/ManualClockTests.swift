import SluiceModel
import XCTest

/// A sleep on the manual clock ends when the test moves the clock to its deadline, not before.
final class ManualClockTests: XCTestCase {
    func testSleepEndsWhenTheClockIsAdvancedToTheDeadline() async throws {
        let clock = ManualClock(monotonicNs: 1_000_000_000)
        let sleeper = Task {
            await clock.sleep(untilMonotonicNs: 1_100_000_000)
            return clock.monotonicNs()
        }
        while clock.sleeperCount == 0 { try await Task.sleep(nanoseconds: 1_000_000) }
        clock.advance(byMs: 99)
        XCTAssertEqual(clock.sleeperCount, 1, "not due yet")
        clock.advance(byMs: 1)
        let wokeAtNs = await sleeper.value
        XCTAssertEqual(wokeAtNs, 1_100_000_000)
        XCTAssertEqual(clock.sleeperCount, 0)
        await clock.sleep(untilMonotonicNs: 0)  // a deadline already past returns at once
    }
}
