import Foundation
import GroupCoordinator
import LogStore
@testable import OperatorRuntime
import RecordFormat
import SluiceModel
import XCTest

/// A broker's storage and groups in a temporary directory, plus helpers to produce, read and wait.
final class RuntimeHarness: @unchecked Sendable {
    let directory: String
    let logs: LogManager
    let groups: GroupCoordinator
    var configuration: OperatorRuntimeConfiguration

    static let fixturesDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures").path

    init(directory: String? = nil, fsyncPolicy: FsyncPolicy = .interval(milliseconds: 1000)) throws {
        let path = directory ?? NSTemporaryDirectory() + "sluice-runtime-\(UUID().uuidString)"
        self.directory = path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        self.logs = try LogManager(
            dataDirectory: path, defaultConfig: LogConfig(fsyncPolicy: fsyncPolicy), clock: SystemClock()
        )
        let store = try OffsetStore(logManager: self.logs, clock: SystemClock())
        self.groups = try GroupCoordinator(offsetStore: store, clock: SystemClock())
        self.configuration = OperatorRuntimeConfiguration(dataDirectory: path)
        self.configuration.restartBackoffMsMin = 50
        self.configuration.restartBackoffMsMax = 500
    }

    func makeRuntime(
        clock: SluiceClock = SystemClock(), events: @escaping @Sendable (String) -> Void = { _ in }
    ) throws -> OperatorRuntime {
        try OperatorRuntime(
            configuration: self.configuration, logs: self.logs, groups: self.groups, clock: clock, onEvent: events
        )
    }

    func close() {
        try? self.logs.close()
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: self.directory)
    }

    /// A deploy request for fixture `file` (with the shared protocol module), run with python3.
    static func fixture(_ file: String, name: String? = nil, environment: [String: String] = [:]) throws -> DeployRequest {
        var files: [String: [UInt8]] = [:]
        for each in [file, "sluice_fixture.py"] {
            files[each] = Array(try Data(contentsOf: URL(fileURLWithPath: "\(Self.fixturesDirectory)/\(each)")))
        }
        return DeployRequest(name: name, files: files, run: "python3 \(file)", environment: environment)
    }

    func createTopic(_ name: String, partitions: Int) throws {
        try self.logs.createTopic(name, partitionCount: partitions)
    }

    /// Appends one batch of `values` (keys as given) to a partition.
    func produce(_ topic: String, partition: Int, values: [String], keys: [String?]? = nil) throws {
        var builder = RecordBatchBuilder()
        for (index, value) in values.enumerated() {
            let key = keys?[index].map { Array($0.utf8) }
            try builder.append(timestampMs: 1_700_000_000_000, key: key, value: Array(value.utf8))
        }
        let batch = try builder.finish()
        let log = try XCTUnwrap(self.logs.partition(TopicPartition(topic: topic, partition: PartitionID(Int32(partition)))))
        _ = try batch.withUnsafeBytes { try log.append($0) }
    }

    /// Output values grouped by the partition they came from (`p<n>-<seq>`), in output order.
    func outputSequences(_ topic: String) throws -> [String: [Int]] {
        var sequences: [String: [Int]] = [:]
        for (_, values) in try self.values(topic) {
            for value in values {
                let parts = value.split(separator: "-")
                sequences[String(parts[0]), default: []].append(Int(parts[1])!)
            }
        }
        return sequences
    }

    /// Every record of every partition of `topic`.
    func records(_ topic: String) throws -> [Int: [Record]] {
        guard let info = self.logs.topic(topic) else { return [:] }
        var result: [Int: [Record]] = [:]
        for partition in 0..<info.partitionCount {
            let log = try XCTUnwrap(self.logs.partition(TopicPartition(topic: topic, partition: PartitionID(Int32(partition)))))
            var records: [Record] = []
            var offset = log.logStartOffset
            while offset < log.logEndOffset {
                guard let slice = try log.read(from: offset, maxBytes: 4 << 20, minOneBatch: true).slice else { break }
                let bytes = try slice.readBytes()
                var start = 0
                while start < bytes.count {
                    let header = try bytes[start...].withUnsafeBytes { try RecordBatchHeader(parsing: $0) }
                    let batch = Array(bytes[start..<start + header.totalSizeBytes])
                    records.append(contentsOf: try RecordBatchDecoder.decodeRecords(inBatch: batch).filter { $0.offset >= offset.rawValue })
                    start += header.totalSizeBytes
                    offset = Offset(header.lastOffset + 1)
                }
            }
            result[partition] = records
        }
        return result
    }

    func values(_ topic: String) throws -> [Int: [String]] {
        try self.records(topic).mapValues { $0.map { String(decoding: $0.value ?? [], as: UTF8.self) } }
    }

    func count(_ topic: String) -> Int64 {
        guard let info = self.logs.topic(topic) else { return 0 }
        return (0..<info.partitionCount).reduce(0) { sum, partition in
            sum + (self.logs.partition(TopicPartition(topic: topic, partition: PartitionID(Int32(partition))))?.logEndOffset.rawValue ?? 0)
        }
    }

    func committed(group: String, topic: String, partition: Int) -> Int64 {
        let topicPartition = TopicPartition(topic: topic, partition: PartitionID(Int32(partition)))
        return self.groups.fetchOffsets(groupId: group, partitions: [topicPartition]).offsets[topicPartition]?.offset ?? -1
    }
}

/// Waits until `condition` holds, checking every 10 ms, up to `timeoutSeconds`.
func waitUntil(
    _ what: String, timeoutSeconds: Double = 30, file: StaticString = #filePath, line: UInt = #line,
    _ condition: () throws -> Bool
) async rethrows {
    let deadline = Date().addingTimeInterval(timeoutSeconds)
    while Date() < deadline {
        if try condition() { return }
        try? await Task.sleep(nanoseconds: 10_000_000)
    }
    XCTFail("timed out waiting for \(what)", file: file, line: line)
}
