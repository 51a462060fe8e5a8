@testable import BrokerServer
import SluiceModel
import XCTest

final class RateTrackerTests: XCTestCase {
    func testRateIsTheGrowthOverTheWindow() {
        let clock = ManualClock()
        let tracker = RateTracker(clock: clock, windowNs: 5_000_000_000)
        XCTAssertTrue(tracker.needsBaseline)
        tracker.observe(["a": 100])
        XCTAssertFalse(tracker.needsBaseline)
        XCTAssertEqual(tracker.ratePerSecond("a"), 0, "one sample measures nothing")
        clock.advance(byMs: 500)
        tracker.observe(["a": 350])
        XCTAssertEqual(tracker.ratePerSecond("a"), 500, accuracy: 0.001)
        XCTAssertEqual(tracker.ratePerSecond("unknown"), 0)
    }

    func testOldSamplesLeaveTheWindowSoAStopShowsAsZero() {
        let clock = ManualClock()
        let tracker = RateTracker(clock: clock, windowNs: 5_000_000_000)
        for second in 0...10 {
            tracker.observe(["a": Int64(second) * 1_000])
            clock.advance(byMs: 1_000)
        }
        XCTAssertEqual(tracker.ratePerSecond("a"), 1_000, accuracy: 0.001)
        // The counter stops; after a window of samples the rate has fallen to zero.
        for _ in 0..<5 {
            tracker.observe(["a": 10_000])
            clock.advance(byMs: 1_000)
        }
        tracker.observe(["a": 10_000])
        XCTAssertEqual(tracker.ratePerSecond("a"), 0, accuracy: 0.001)
    }

    func testPartlyStoppedCounterAveragesOverTheWindow() {
        let clock = ManualClock()
        let tracker = RateTracker(clock: clock, windowNs: 4_000_000_000)
        for (second, counter) in [0, 100, 200, 200, 200].enumerated() {
            if second > 0 { clock.advance(byMs: 1_000) }
            tracker.observe(["a": Int64(counter)])
        }
        XCTAssertEqual(tracker.ratePerSecond("a"), 50, accuracy: 0.001, "200 records over the 4 s window")
    }

    func testACounterThatGoesDownStartsOver() {
        let clock = ManualClock()
        let tracker = RateTracker(clock: clock)
        tracker.observe(["a": 1_000])
        clock.advance(byMs: 1_000)
        tracker.observe(["a": 10])
        XCTAssertEqual(tracker.ratePerSecond("a"), 0, "a recreated stream has no rate yet")
        clock.advance(byMs: 1_000)
        tracker.observe(["a": 30])
        XCTAssertEqual(tracker.ratePerSecond("a"), 20, accuracy: 0.001)
    }

    func testAnIdleGapLongerThanTheWindowNeedsANewBaseline() {
        let clock = ManualClock()
        let tracker = RateTracker(clock: clock, windowNs: 5_000_000_000)
        tracker.observe(["a": 0])
        clock.advance(byMs: 60_000)
        XCTAssertTrue(tracker.needsBaseline)
        tracker.observe(["a": 60_000])
        XCTAssertEqual(tracker.ratePerSecond("a"), 0, "a minute-old sample is not a baseline")
        clock.advance(byMs: 1_000)
        tracker.observe(["a": 60_010])
        XCTAssertEqual(tracker.ratePerSecond("a"), 10, accuracy: 0.001)
    }

    func testCountersNoLongerReportedAreForgotten() {
        let clock = ManualClock()
        let tracker = RateTracker(clock: clock)
        tracker.observe(["a": 0, "b": 0])
        clock.advance(byMs: 1_000)
        tracker.observe(["a": 5, "b": 7])
        XCTAssertEqual(tracker.ratePerSecond("b"), 7, accuracy: 0.001)
        clock.advance(byMs: 1_000)
        tracker.observe(["a": 10])
        XCTAssertEqual(tracker.ratePerSecond("b"), 0, "b went away (a deleted stream)")
        clock.advance(byMs: 1_000)
        tracker.observe(["a": 15, "b": 100])
        XCTAssertEqual(tracker.ratePerSecond("b"), 0, "b came back without history")
    }
}

final class TopologyBuilderTests: XCTestCase {
    private func status(
        _ name: String, inputs: [String], outputs: [String], state: String = "running", recordsIn: Int64 = 0,
        recordsOut: Int64 = 0, deadLettered: Int64 = 0
    ) -> OperatorDocument {
        // recordsPerSecond is the runtime's own figure; the topology measures its rates itself.
        OperatorDocument(
            name: name, version: 2, state: state, inputs: inputs, outputs: outputs, lag: 7, recordsPerSecond: 999,
            recordsIn: recordsIn, recordsOut: recordsOut, restarts: 0, deadLettered: deadLettered, lastErrors: [],
            previousVersions: [1]
        )
    }

    private func snapshot(recordsOut: Int64, deadLettered: Int64, inEnd: Int64) -> TopologySnapshot {
        TopologySnapshot(
            streams: [
                .init(name: "in", partitions: 3, endOffsetSum: inEnd),
                .init(name: "upper", partitions: 3, endOffsetSum: recordsOut),
                .init(name: "upper.dlq", partitions: 1, endOffsetSum: deadLettered),
            ],
            operators: [
                self.status(
                    "upper", inputs: ["in"], outputs: ["upper"], recordsIn: recordsOut + 80 * deadLettered,
                    recordsOut: recordsOut, deadLettered: deadLettered
                ),
                self.status("count", inputs: ["upper", "in"], outputs: ["counts"], state: "paused"),
            ],
            inputLags: [.init(operatorName: "upper", stream: "in"): 5, .init(operatorName: "count", stream: "in"): 9]
        )
    }

    func testDocumentHasNodesEdgesRatesAndLag() throws {
        let clock = ManualClock()
        let rates = RateTracker(clock: clock)
        let first = self.snapshot(recordsOut: 100, deadLettered: 1, inEnd: 1_000)
        rates.observe(TopologyBuilder.counters(first))
        clock.advance(byMs: 2_000)
        let second = self.snapshot(recordsOut: 300, deadLettered: 5, inEnd: 1_600)
        rates.observe(TopologyBuilder.counters(second))
        let document = TopologyBuilder.document(second, rates: rates, sampledAtMs: 42)

        XCTAssertEqual(document.sampledAtMs, 42)
        let inStream = try XCTUnwrap(document.streams.first { $0.name == "in" })
        XCTAssertEqual(inStream.appendRecordsPerSecond, 300, accuracy: 0.001)
        XCTAssertEqual(inStream.endOffsetSum, 1_600)
        XCTAssertEqual(inStream.partitions, 3)
        let counts = try XCTUnwrap(document.streams.first { $0.name == "counts" }, "an output the logs lack still gets a node")
        XCTAssertEqual(counts.partitions, 0)

        let upper = try XCTUnwrap(document.operators.first { $0.name == "upper" })
        XCTAssertEqual(upper.outputRecordsPerSecond, 100, accuracy: 0.001)
        XCTAssertEqual(upper.recordsPerSecond, 260, accuracy: 0.001, "(300 + 400 - 100 - 80) / 2 s")
        XCTAssertEqual(upper.version, 2)
        XCTAssertNil(upper.canaryVersion)

        let upperIn = try XCTUnwrap(document.edges.first { $0.operator == "upper" && $0.direction == .input })
        XCTAssertEqual(upperIn.stream, "in")
        XCTAssertEqual(upperIn.lag, 5)
        XCTAssertEqual(upperIn.recordsPerSecond, 260, accuracy: 0.001)
        let upperOut = document.edges.filter { $0.operator == "upper" && $0.direction == .output }
        XCTAssertEqual(upperOut.map(\.stream), ["upper", "upper.dlq"], "the dead-letter stream is an output once it exists")
        XCTAssertEqual(upperOut[0].recordsPerSecond, 100, accuracy: 0.001)
        XCTAssertEqual(upperOut[1].recordsPerSecond, 2, accuracy: 0.001)
        XCTAssertNil(upperOut[0].lag)

        let countInputs = document.edges.filter { $0.operator == "count" && $0.direction == .input }
        XCTAssertEqual(countInputs.map(\.stream), ["upper", "in"])
        XCTAssertEqual(countInputs.map(\.lag), [0, 9])
        XCTAssertEqual(Set(countInputs.map(\.state)), ["paused"])
        XCTAssertFalse(document.edges.contains { $0.stream == "count.dlq" }, "no dead-letter edge before the stream exists")
    }

    func testDocumentRoundTripsThroughJSON() throws {
        let rates = RateTracker(clock: ManualClock())
        let document = TopologyBuilder.document(self.snapshot(recordsOut: 1, deadLettered: 0, inEnd: 2), rates: rates, sampledAtMs: 1)
        let decoded = try JSONDecoder().decode(TopologyDocument.self, from: JSONEncoder().encode(document))
        XCTAssertEqual(decoded, document)
        // Optional fields may be absent, so documents of older brokers still decode.
        let minimal = #"{"name":"a","version":1,"state":"running","inputs":[],"outputs":["x"],"lag":0,"#
            + #""recordsPerSecond":0,"outputRecordsPerSecond":0}"#
        let op = try JSONDecoder().decode(TopologyDocument.Operator.self, from: Data(minimal.utf8))
        XCTAssertNil(op.instances)
        XCTAssertNil(op.canaryVersion)
    }
}

final class DashboardRouteTests: XCTestCase {
    func testTopologyAndDashboardRoutes() {
        XCTAssertEqual(AdminRoute(method: "GET", uri: "/v1/topology"), .topology)
        XCTAssertEqual(AdminRoute(method: "GET", uri: "/v1/topology?x=1"), .topology)
        XCTAssertEqual(AdminRoute(method: "GET", uri: "/"), .dashboard)
        XCTAssertEqual(AdminRoute(method: "GET", uri: "/dashboard"), .dashboard)
        XCTAssertNil(AdminRoute(method: "POST", uri: "/v1/topology"))
        XCTAssertNil(AdminRoute(method: "DELETE", uri: "/"))
    }

    func testThePageLoadsNothingFromElsewhereAndNeverParsesNamesAsMarkup() {
        let page = DashboardPage.html
        let withoutNamespace = page.replacingOccurrences(of: "http://www.w3.org/2000/svg", with: "")
        XCTAssertFalse(withoutNamespace.contains("http://"))
        XCTAssertFalse(withoutNamespace.contains("https://"))
        XCTAssertFalse(page.contains("<script src"))
        XCTAssertFalse(page.contains("<link"))
        XCTAssertFalse(page.contains("innerHTML"))
        XCTAssertFalse(page.contains("insertAdjacentHTML"))
        XCTAssertFalse(page.contains("document.write"))
        XCTAssertTrue(page.contains("/v1/topology"))
    }
}
