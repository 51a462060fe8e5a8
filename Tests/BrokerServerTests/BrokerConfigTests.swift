@testable import BrokerServer
import Foundation
import LogStore
import SluiceModel
import XCTest

final class BrokerConfigTests: XCTestCase {
    func testShippedConfigFileParsesToTheDefaults() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Config/sluice.toml").path
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var config = BrokerConfig()
        try config.apply(ConfigFile(parsing: text))
        XCTAssertEqual(config, BrokerConfig(), "Config/sluice.toml must show the built-in defaults")
        XCTAssertEqual(
            Set(try ConfigFile(parsing: text).values.keys), Set(BrokerSettings.all.map(\.key)),
            "every setting is documented in Config/sluice.toml"
        )
    }

    func testPrecedenceFileThenEnvironmentThenFlags() throws {
        var config = BrokerConfig()
        try config.apply(ConfigFile(parsing: "[storage]\nfsync = \"never\"\ndata_dir = \"/a\"\n[server]\nlisten = \"0.0.0.0:1\""))
        try config.apply(environment: ["SLUICE_FSYNC": "interval:50", "SLUICE_DATA_DIR": "/b"])
        try config.apply(key: "storage.data_dir", text: "/c", source: "flag")
        XCTAssertEqual(config.fsync, "interval:50")
        XCTAssertEqual(config.dataDirectory, "/c")
        XCTAssertEqual(config.listen, HostPort(host: "0.0.0.0", port: 1))
        XCTAssertEqual(config.advertisedAddress, HostPort(host: "0.0.0.0", port: 1))
    }

    func testBadInputIsAClearError() {
        var config = BrokerConfig()
        XCTAssertThrowsError(try config.apply(ConfigFile(parsing: "[storage]\nfsinc = \"always\""))) { error in
            XCTAssertTrue("\(error)".contains("storage.fsinc"))
        }
        XCTAssertThrowsError(try config.apply(environment: ["SLUICE_FSYNC": "sometimes"]))
        XCTAssertThrowsError(try config.apply(key: "server.listen", text: "nowhere", source: "flag"))
        XCTAssertThrowsError(try ConfigFile(parsing: "[storage\nx = 1")) { error in
            XCTAssertEqual((error as? ConfigFile.ParseError)?.lineNumber, 1)
        }
        XCTAssertThrowsError(try ConfigFile(parsing: "a = 1\na = 2"))
        XCTAssertThrowsError(try ConfigFile(parsing: "a = \"open"))
        config.batchSizeBytesMax = Int64(Limits.batchSizeBytesMax) + 1
        XCTAssertThrowsError(try config.validate())
    }

    /// The start-time check and the storage layer are one rule: what the check accepts, the broker opens; what
    /// it rejects names every key that clashes.
    func testSegmentSizeBelowTheBatchLimitIsRejectedNamingBothKeys() throws {
        var config = BrokerConfig()
        try config.apply(ConfigFile(parsing: "[storage]\nsegment_size_bytes = 1048576"))
        XCTAssertThrowsError(try config.validate()) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("storage.segment_size_bytes = 1048576"), text)
            XCTAssertTrue(text.contains("limits.batch_size_bytes_max = 8388608"), text)
            XCTAssertTrue(text.contains("clash"), text)
        }
        try config.apply(key: "limits.batch_size_bytes_max", text: "1048576", source: "flag")
        try config.validate()
        XCTAssertNoThrow(try LogSettings.logConfig(from: config).validate(), "the storage layer opens what the check accepts")
        XCTAssertEqual(try LogSettings.problems(in: BrokerConfig()), [])
        // Every storage setting has a config key of its own.
        let keys = Set(BrokerSettings.all.map(\.key))
        for setting in LogConfig.Setting.allCases {
            XCTAssertTrue(keys.contains(LogSettings.configKey(for: setting)), "\(setting)")
        }
    }

    func testMinFreeBytesIsASetting() throws {
        var config = BrokerConfig()
        XCTAssertEqual(config.minFreeBytes, 64 * 1024 * 1024)
        try config.apply(environment: ["SLUICE_MIN_FREE_BYTES": "0"])
        XCTAssertEqual(config.minFreeBytes, 0)
        XCTAssertThrowsError(try config.apply(key: "storage.min_free_bytes", text: "-1", source: "flag"))
    }

    func testConfigFileValues() throws {
        let file = try ConfigFile(parsing: "# top\nx = 1_000 # size\n[s]\nname = \"a#b\"\nflag = false\n")
        XCTAssertEqual(file.values["x"], .integer(1000))
        XCTAssertEqual(file.values["s.name"], .string("a#b"))
        XCTAssertEqual(file.values["s.flag"], .boolean(false))
    }
}

final class ResponseSequencerTests: XCTestCase {
    func testResponsesLeaveInRequestOrder() {
        var sequencer = ResponseSequencer<String>(inFlightRequestsMax: 10)
        let first = sequencer.reserve()
        let second = sequencer.reserve()
        let third = sequencer.reserve()
        XCTAssertEqual(sequencer.complete(third, with: .respond("c")), [])
        XCTAssertEqual(sequencer.complete(second, with: .noResponse), [])
        XCTAssertEqual(sequencer.complete(first, with: .respond("a")), ["a", "c"])
        XCTAssertEqual(sequencer.inFlightCount, 0)
    }

    func testReadingPausesAtTheInFlightLimit() {
        var sequencer = ResponseSequencer<Int>(inFlightRequestsMax: 2)
        let first = sequencer.reserve()
        XCTAssertFalse(sequencer.shouldPauseReading)
        _ = sequencer.reserve()
        XCTAssertTrue(sequencer.shouldPauseReading)
        XCTAssertEqual(sequencer.complete(first, with: .respond(1)), [1])
        XCTAssertFalse(sequencer.shouldPauseReading)
    }

    /// The admin API runs code: beyond loopback it needs authentication, or an explicit --admin-insecure.
    func testANonLoopbackAdminAddressNeedsAuthenticationOrInsecure() throws {
        for host in ["0.0.0.0", "::", "192.168.1.5", "broker.example.com"] {
            var config = BrokerConfig()
            config.admin = HostPort(host: host, port: 9644)
            XCTAssertThrowsError(try config.validate(), host) { error in
                XCTAssertTrue("\(error)".contains("--admin-insecure"), "\(error)")
                XCTAssertTrue("\(error)".contains("--admin-auth on"), "\(error)")
            }
            var authenticated = config
            try authenticated.apply(key: "admin.auth", text: "on", source: "flag")
            XCTAssertNoThrow(try authenticated.validate(), host)
            var insecure = config
            try insecure.apply(key: "admin.insecure", text: "true", source: "flag")
            XCTAssertNoThrow(try insecure.validate(), host)
        }
        for host in ["127.0.0.1", "127.8.9.10", "localhost", "::1", "::ffff:127.0.0.1"] {
            var config = BrokerConfig()
            config.admin = HostPort(host: host, port: 9644)
            XCTAssertNoThrow(try config.validate(), host)
        }
    }

    func testAdminSettingsFromFileEnvironmentAndFlags() throws {
        var config = BrokerConfig()
        try config.apply(ConfigFile(parsing: "[admin]\nauth = true\nbody_bytes_max = 1048576"))
        XCTAssertTrue(config.adminAuth)
        XCTAssertEqual(config.adminBodyBytesMax, 1_048_576)
        try config.apply(environment: ["SLUICE_ADMIN_AUTH": "off", "SLUICE_ADMIN_INSECURE": "on"])
        XCTAssertFalse(config.adminAuth)
        XCTAssertTrue(config.adminInsecure)
        XCTAssertThrowsError(try config.apply(key: "admin.auth", text: "maybe", source: "flag"))
        XCTAssertThrowsError(try config.apply(key: "admin.body_bytes_max", text: "10", source: "flag"))
    }
}
