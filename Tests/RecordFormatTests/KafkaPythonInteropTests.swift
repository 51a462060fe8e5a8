import Foundation  // Process and temporary files, for the live cross-check only; the module itself needs neither.
import XCTest
import RecordFormat

/// Checks Sluice against a real Kafka client library: batches kafka-python wrote (fixtures) must decode
/// to the records it was given, and batches Sluice writes must decode in kafka-python (live, when
/// python3 with kafka-python is installed).
final class KafkaPythonInteropTests: XCTestCase {
    func testDecodesKafkaPythonBatchesOfEveryCodec() throws {
        for codec in CompressionCodec.allCases {
            let batch = TestBytes.fromHex(try XCTUnwrap(KafkaPythonFixtures.batchHexByCodec[codec]))
            let header = try TestBatches.withBytes(batch) { try RecordBatchValidator.validate($0) }
            XCTAssertEqual(header.attributes.compression, codec)
            XCTAssertEqual(header.producerId, 1234)
            XCTAssertEqual(header.producerEpoch, 5)
            XCTAssertEqual(header.baseSequence, 42)
            XCTAssertEqual(try RecordBatchDecoder.decodeRecords(inBatch: batch), Self.fixtureRecords, "\(codec)")
        }
    }

    func testKafkaPythonDecodesSluiceBatchesOfEveryCodec() throws {
        let python = URL(fileURLWithPath: "/usr/bin/env")
        guard FileManager.default.isExecutableFile(atPath: python.path) else { throw XCTSkip("no /usr/bin/env") }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-interop-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for codec in CompressionCodec.allCases {
            let batch = try TestBatches.build(Self.fixtureRecords, compression: codec)
            try Data(batch).write(to: directory.appendingPathComponent("\(codec).batch"))
        }
        let process = Process()
        process.executableURL = python
        process.arguments = ["python3", "-c", Self.pythonChecker, directory.path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        process.waitUntilExit()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        // 127: env found no python3; 3: the checker found no kafka-python.
        if [3, 127].contains(process.terminationStatus) { throw XCTSkip("python3 with kafka-python is not installed") }
        XCTAssertEqual(process.terminationStatus, 0, text)
        let checkedBatches = text.split(separator: "\n").filter { $0.hasSuffix(" ok") }.count
        XCTAssertEqual(checkedBatches, CompressionCodec.allCases.count, text)
    }

    /// The records the fixtures were built from (see `KafkaPythonFixtures`).
    static let fixtureRecords: [Record] = {
        var records = [
            Record(
                offset: 0, timestampMs: 1_700_000_000_000, key: Array("key-0".utf8), value: Array("value-0".utf8),
                headers: [RecordHeader(key: "h1", value: Array("v1".utf8))]
            ),
            Record(offset: 1, timestampMs: 1_700_000_000_003, key: nil, value: []),
            Record(
                offset: 2, timestampMs: 1_699_999_999_990, key: [], value: nil,
                headers: [RecordHeader(key: "trace", value: nil), RecordHeader(key: "x", value: [0x00, 0xFF])]
            ),
        ]
        for index in 3..<40 {
            records.append(Record(
                offset: Int64(index), timestampMs: 1_700_000_000_000 + 7 * Int64(index),
                key: Array("k\(index)".utf8), value: Array(String(repeating: "value-\(index)-", count: 20).utf8)
            ))
        }
        return records
    }()

    /// Reads every `*.batch` file with kafka-python's own decoder and compares with the fixture records.
    static let pythonChecker = """
        import os, sys
        try:
            from kafka.record.default_records import DefaultRecordBatch
        except ImportError:
            sys.exit(3)
        expected = [(0, 1700000000000, b"key-0", b"value-0", [("h1", b"v1")]),
                    (1, 1700000000003, None, b"", []),
                    (2, 1699999999990, b"", None, [("trace", None), ("x", b"\\x00\\xff")])]
        for i in range(3, 40):
            expected.append((i, 1700000000000 + 7 * i, ("k%d" % i).encode(), ("value-%d-" % i).encode() * 20, []))
        for name in sorted(os.listdir(sys.argv[1])):
            data = open(os.path.join(sys.argv[1], name), "rb").read()
            batch = DefaultRecordBatch(data)
            assert batch.validate_crc(), name
            got = [(r.offset, r.timestamp, r.key, r.value, [(k, v) for k, v in r.headers]) for r in batch]
            assert got == expected, (name, got[:3])
            print(name, "ok")
        """
}
