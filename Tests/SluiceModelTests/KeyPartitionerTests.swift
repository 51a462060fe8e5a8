import SluiceModel
import XCTest

final class KeyPartitionerTests: XCTestCase {
    /// Expected hashes are those kafka-python's murmur2 (a port of Kafka's Java `Utils.murmur2`) gives.
    func testMurmur2MatchesKafka() {
        let expected: [(String, UInt32)] = [
            ("", 0x106e_08d9), ("a", 0xa2d0_b27c), ("ab", 0x12d8_262a), ("abc", 0x1c94_221b),
            ("abcd", 0xb11a_b5f4), ("hello world", 0x48d0_c363), ("key-42", 0xf4d9_4947),
        ]
        for (key, hash) in expected {
            XCTAssertEqual(KeyPartitioner.murmur2(Array(key.utf8)), hash, "murmur2(\(key))")
        }
    }

    func testPartitionIsPositiveHashModuloCount() {
        XCTAssertEqual(KeyPartitioner.partition(forKey: Array("a".utf8), partitionCount: 3), PartitionID(1))
        XCTAssertEqual(KeyPartitioner.partition(forKey: Array("ab".utf8), partitionCount: 3), PartitionID(2))
        XCTAssertEqual(KeyPartitioner.partition(forKey: Array("key-42".utf8), partitionCount: 3), PartitionID(0))
        for seed in 0..<1000 {
            let partition = KeyPartitioner.partition(forKey: Array("k\(seed)".utf8), partitionCount: 7)
            XCTAssertTrue((0..<7).contains(partition.rawValue))
        }
    }
}

final class ConfigPiecesTests: XCTestCase {
    func testHostPortParsing() {
        XCTAssertEqual(HostPort(parsing: "127.0.0.1:9092"), HostPort(host: "127.0.0.1", port: 9092))
        XCTAssertEqual(HostPort(parsing: "[::1]:9092"), HostPort(host: "::1", port: 9092))
        XCTAssertNil(HostPort(parsing: "localhost"))
        XCTAssertNil(HostPort(parsing: "host:99999"))
        XCTAssertNil(HostPort(parsing: ":9092"))
    }

    func testTopicNames() {
        XCTAssertTrue(TopicNames.isValid("orders.v1_2-x"))
        XCTAssertFalse(TopicNames.isValid(""))
        XCTAssertFalse(TopicNames.isValid(".."))
        XCTAssertFalse(TopicNames.isValid("a/b"))
        XCTAssertFalse(TopicNames.isValid(String(repeating: "a", count: 250)))
        XCTAssertTrue(TopicNames.isValid(String(repeating: "a", count: 249)))
    }

    func testManualClockMovesOnlyWhenTold() {
        let clock = ManualClock(wallTimeMs: 1000, monotonicNs: 5)
        XCTAssertEqual(clock.wallTimeMs(), 1000)
        clock.advance(byMs: 250)
        XCTAssertEqual(clock.wallTimeMs(), 1250)
        XCTAssertEqual(clock.monotonicNs(), 5 + 250_000_000)
    }
}
