import Foundation
import GroupCoordinator
import LogStore
@testable import OperatorRuntime
import RecordFormat
import SluiceModel
import XCTest

/// A broker crash between a batch's outputs and the commit of its inputs (`OutputIntent`): the state such a
/// crash leaves (an intent in the group's metadata, part of the outputs in the log under the old process's
/// producer id) is laid down by hand, then the runtime starts on it and must complete the batch exactly.
final class ExactlyOnceAcrossCrashTests: XCTestCase {
    private var harness: RuntimeHarness!

    override func setUpWithError() throws {
        self.harness = try RuntimeHarness()
    }

    override func tearDownWithError() throws {
        self.harness.close()
        self.harness.remove()
    }

    func testIntentRoundTripsAndRejectsWhatIsNotOne() throws {
        let intent = OutputIntent(
            producerId: 4242,
            inputs: [.init(stream: "in", partition: 2, endOffset: 150), .init(stream: "in@2", partition: 0, endOffset: 9)],
            outputs: [.init(slot: .init(stream: "out", partition: 1), skip: 3, baseSequence: 2_147_483_000, count: 700)],
            roundRobinStarts: ["out": 1, "dlq.x": 0]
        )
        XCTAssertEqual(OutputIntent(decoding: intent.encoded), intent)
        for text in ["", "hello", "sluice-intent/1", "sluice-intent/1;p=x;in=a:0:1;out=;rr=",
                     "sluice-intent/1;p=1;in=a:0;out=;rr=", "sluice-intent/1;p=1;in=a:0:1;out=b:0:-1:0:1;rr="] {
            XCTAssertNil(OutputIntent(decoding: text), text)
        }
        XCTAssertNotNil(OutputIntent(decoding: "sluice-intent/1;p=1;in=a:0:1;out=;rr="))
        XCTAssertNotNil(OutputIntent(decoding: "sluice-intent/1;p=1;in=;out=o:0:0:0:1;rr=o:0"), "a Timers batch has no input runs")
    }

    func testLandedCountFollowsTheLastSequenceAcrossTheWrap() {
        let range = OutputIntent.OutputRange(slot: .init(stream: "o", partition: 0), skip: 0, baseSequence: 100, count: 10)
        XCTAssertEqual(OutputIntent.landedCount(of: range, lastSequence: nil), 0)
        XCTAssertEqual(OutputIntent.landedCount(of: range, lastSequence: 99), 0, "an earlier batch of the producer")
        XCTAssertEqual(OutputIntent.landedCount(of: range, lastSequence: 100), 1)
        XCTAssertEqual(OutputIntent.landedCount(of: range, lastSequence: 109), 10)
        let wrapping = OutputIntent.OutputRange(slot: range.slot, skip: 0, baseSequence: Int32.max - 1, count: 5)
        XCTAssertEqual(OutputIntent.landedCount(of: wrapping, lastSequence: Int32.max), 2)
        XCTAssertEqual(OutputIntent.landedCount(of: wrapping, lastSequence: 1), 4)
        XCTAssertEqual(OutputIntent.landedCount(of: wrapping, lastSequence: Int32.max - 2), 0)
    }

    /// Partition 0 of `in` was committed at 40 and the batch of its records 40..<100 was being applied: 20 of
    /// its 30 outputs for `out` partition 0 landed, none for partition 1 (unkeyed records alternate).
    func testInterruptedBatchIsCompletedWithoutRepeatingWhatLanded() async throws {
        try self.harness.createTopic("in", partitions: 2)
        try self.harness.createTopic("out", partitions: 2)
        let runtime = try self.harness.makeRuntime()
        _ = try await runtime.deploy(RuntimeHarness.fixture("identity.py"))
        await runtime.shutdown()

        try self.harness.produce("in", partition: 0, values: (0..<100).map { "p0-\($0)" })
        try self.harness.produce("in", partition: 1, values: (0..<50).map { "p1-\($0)" })
        let oldProducerId: Int64 = 7
        try self.appendAsOldProcess("out", partition: 0, producerId: oldProducerId, values: stride(from: 40, to: 80, by: 2).map { "p0-\($0)" })
        let intent = OutputIntent(
            producerId: oldProducerId, inputs: [.init(stream: "in", partition: 0, endOffset: 100)],
            outputs: [
                .init(slot: .init(stream: "out", partition: 0), skip: 0, baseSequence: 0, count: 30),
                .init(slot: .init(stream: "out", partition: 1), skip: 0, baseSequence: 0, count: 30),
            ],
            roundRobinStarts: ["out": 0]
        )
        let results = await self.harness.groups.commitOffsets(GroupOffsetCommitRequest(groupId: "identity", partitions: [
            PartitionOffsetCommit(topicPartition: TopicPartition(topic: "in", partition: PartitionID(0)), offset: 40, metadata: intent.encoded),
            PartitionOffsetCommit(topicPartition: TopicPartition(topic: "in", partition: PartitionID(1)), offset: 0),
        ]))
        XCTAssertTrue(results.allSatisfy { $0.errorCode == .none })

        let restarted = try self.harness.makeRuntime()
        try await restarted.start()
        await waitUntil("every input copied") { self.harness.count("out") >= 110 }
        await waitUntil("the commit clears the intent") {
            self.harness.committed(group: "identity", topic: "in", partition: 0) == 100
        }
        try await Task.sleep(nanoseconds: 200_000_000)
        let outputs = try self.harness.values("out")
        let fromPartition0 = outputs.values.flatMap { $0 }.filter { $0.hasPrefix("p0-") }
        XCTAssertEqual(fromPartition0.count, 60, "records 40..<100 once each")
        XCTAssertEqual(Set(fromPartition0), Set((40..<100).map { "p0-\($0)" }))
        XCTAssertEqual(outputs[0]?.filter { $0.hasPrefix("p0-") }, stride(from: 40, to: 100, by: 2).map { "p0-\($0)" },
                       "the replay put the unkeyed records where the first attempt did, the landed ones once")
        XCTAssertEqual(outputs.values.flatMap { $0 }.filter { $0.hasPrefix("p1-") }.count, 50)
        let metadata = self.harness.groups.fetchOffsets(groupId: "identity", partitions: nil)
            .offsets[TopicPartition(topic: "in", partition: PartitionID(0))]?.metadata
        XCTAssertEqual(metadata, "", "the commit after the replay clears the intent")
        await restarted.shutdown()
    }

    /// An intent whose outputs all landed: the replay appends nothing and only commits.
    func testInterruptedBatchWhoseOutputsAllLandedIsOnlyCommitted() async throws {
        try self.harness.createTopic("in", partitions: 1)
        try self.harness.createTopic("out", partitions: 1)
        let runtime = try self.harness.makeRuntime()
        _ = try await runtime.deploy(RuntimeHarness.fixture("identity.py"))
        await runtime.shutdown()
        try self.harness.produce("in", partition: 0, values: (0..<30).map { "p0-\($0)" })
        try self.appendAsOldProcess("out", partition: 0, producerId: 11, values: (0..<10).map { "p0-\($0)" })
        let intent = OutputIntent(
            producerId: 11, inputs: [.init(stream: "in", partition: 0, endOffset: 10)],
            outputs: [.init(slot: .init(stream: "out", partition: 0), skip: 0, baseSequence: 0, count: 10)],
            roundRobinStarts: ["out": 0]
        )
        _ = await self.harness.groups.commitOffsets(GroupOffsetCommitRequest(groupId: "identity", partitions: [
            PartitionOffsetCommit(topicPartition: TopicPartition(topic: "in", partition: PartitionID(0)), offset: 0, metadata: intent.encoded),
        ]))
        let restarted = try self.harness.makeRuntime()
        try await restarted.start()
        await waitUntil("the rest copied") { self.harness.committed(group: "identity", topic: "in", partition: 0) == 30 }
        XCTAssertEqual(try self.harness.values("out")[0], (0..<30).map { "p0-\($0)" })
        await restarted.shutdown()
    }

    /// A dead letter appended before a crash stopped the commit after it: the record is not fed again and
    /// not dead-lettered twice; one that did not land leaves its record to be fed again.
    func testDeadLetterThatLandedBeforeACrashIsNotRepeatedAndOneThatDidNotIsFedAgain() async throws {
        try self.harness.createTopic("in", partitions: 2)
        try self.harness.createTopic("out", partitions: 1)
        try self.harness.createTopic("identity.dlq", partitions: 1)
        let runtime = try self.harness.makeRuntime()
        _ = try await runtime.deploy(RuntimeHarness.fixture("identity.py"))
        await runtime.shutdown()
        try self.harness.produce("in", partition: 0, values: (0..<5).map { "p0-\($0)" })
        try self.harness.produce("in", partition: 1, values: (0..<5).map { "p1-\($0)" })
        // in-0@2 was dead-lettered (it landed); in-1@2 was about to be (it did not).
        try self.appendAsOldProcess("identity.dlq", partition: 0, producerId: 13, values: ["p0-2"])
        func deadLetter(_ partition: Int32, producerId: Int64) -> String {
            OutputIntent(
                producerId: producerId, inputs: [.init(stream: "in", partition: partition, endOffset: 3)],
                outputs: [.init(slot: .init(stream: "identity.dlq", partition: 0), skip: 0, baseSequence: 0, count: 1)],
                roundRobinStarts: [:], isDeadLetter: true
            ).encoded
        }
        XCTAssertEqual(OutputIntent(decoding: deadLetter(0, producerId: 13))?.isDeadLetter, true)
        _ = await self.harness.groups.commitOffsets(GroupOffsetCommitRequest(groupId: "identity", partitions: [
            PartitionOffsetCommit(topicPartition: TopicPartition(topic: "in", partition: PartitionID(0)), offset: 2, metadata: deadLetter(0, producerId: 13)),
            PartitionOffsetCommit(topicPartition: TopicPartition(topic: "in", partition: PartitionID(1)), offset: 2, metadata: deadLetter(1, producerId: 14)),
        ]))
        let restarted = try self.harness.makeRuntime()
        try await restarted.start()
        await waitUntil("both partitions committed to the end") {
            self.harness.committed(group: "identity", topic: "in", partition: 0) == 5
                && self.harness.committed(group: "identity", topic: "in", partition: 1) == 5
        }
        try await Task.sleep(nanoseconds: 200_000_000)
        XCTAssertEqual(try self.harness.values("identity.dlq")[0], ["p0-2"], "the landed dead letter once, no other")
        let outputs = try self.harness.values("out").values.flatMap { $0 }
        XCTAssertEqual(outputs.filter { $0.hasPrefix("p0-") }.sorted(), ["p0-3", "p0-4"], "the dead-lettered record is not fed again")
        XCTAssertEqual(outputs.filter { $0.hasPrefix("p1-") }.sorted(), ["p1-2", "p1-3", "p1-4"], "the one that did not land is")
        await restarted.shutdown()
    }

    /// Appends `values` as one batch of an idempotent producer starting at sequence 0: what the crashed
    /// process had appended.
    private func appendAsOldProcess(_ topic: String, partition: Int, producerId: Int64, values: [String]) throws {
        var builder = RecordBatchBuilder(producerId: producerId, producerEpoch: 0, baseSequence: 0)
        for value in values { try builder.append(timestampMs: 1_700_000_000_000, key: nil, value: Array(value.utf8)) }
        let batch = try builder.finish()
        let log = try XCTUnwrap(self.harness.logs.partition(TopicPartition(topic: topic, partition: PartitionID(Int32(partition)))))
        _ = try batch.withUnsafeBytes { try log.append($0) }
    }
}
