@testable import BrokerServer
import SluiceModel
import XCTest

/// `[operators]`: the default limits of operators, from the file, the environment and flags, checked with
/// the same parser and bounds as `sluice deploy --memory-max`.
final class OperatorLimitsConfigTests: XCTestCase {
    func testOperatorDefaultsComeFromFileEnvironmentAndFlags() throws {
        var config = BrokerConfig()
        try config.apply(ConfigFile(parsing: """
            [operators]
            memory_max_bytes = "256MiB"
            cpu_max_cores = "0.5"
            files_max = 256
            cgroups = "off"
            run_as_user = "nobody"
            """))
        try config.apply(environment: ["SLUICE_OPERATOR_PROCESSES_MAX": "16"])
        try config.apply(key: "operators.files_max", text: "unlimited", source: "flag")
        XCTAssertEqual(config.operatorLimits, OperatorLimits(memoryBytesMax: 256 << 20, cpuMillicoresMax: 500, filesMax: 0, processesMax: 16))
        XCTAssertEqual(config.operatorCgroups, "off")
        XCTAssertEqual(config.operatorRunAsUser, "nobody")
        XCTAssertNoThrow(try config.validate())
    }

    func testBadOperatorDefaultsNameTheSourceAndTheBounds() {
        var config = BrokerConfig()
        XCTAssertThrowsError(try config.apply(ConfigFile(parsing: "[operators]\nmemory_max_bytes = 1000"))) { error in
            XCTAssertEqual("\(error)", "config key 'operators.memory_max_bytes': memory-max must be 16 MiB...1 TiB or unlimited, not 1000 B")
        }
        XCTAssertThrowsError(try config.apply(environment: ["SLUICE_OPERATOR_CPU_MAX": "lots"])) { error in
            XCTAssertTrue("\(error)".hasPrefix("environment variable SLUICE_OPERATOR_CPU_MAX: 'lots' is not a number of cores"), "\(error)")
        }
        XCTAssertThrowsError(try config.apply(key: "operators.cgroups", text: "v1", source: "flag for operators.cgroups"))
        XCTAssertEqual(config.operatorLimits, .defaults, "a refused value changes nothing")
    }
}
