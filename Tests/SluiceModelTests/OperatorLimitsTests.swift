import SluiceModel
import XCTest

/// The one parser and checker of operator limits that the CLI, the admin API and the config file share.
final class OperatorLimitsTests: XCTestCase {
    func testSizesParseInBinaryAndDecimalUnits() throws {
        XCTAssertEqual(try OperatorLimits.parseBytes("268435456"), 268_435_456)
        XCTAssertEqual(try OperatorLimits.parseBytes("256MiB"), 256 << 20)
        XCTAssertEqual(try OperatorLimits.parseBytes("256 mib"), 256 << 20)
        XCTAssertEqual(try OperatorLimits.parseBytes("256M"), 256 << 20, "M is binary, as ulimit and Docker read it")
        XCTAssertEqual(try OperatorLimits.parseBytes("512MB"), 512_000_000)
        XCTAssertEqual(try OperatorLimits.parseBytes("1.5GiB"), 3 << 29)
        XCTAssertEqual(try OperatorLimits.parseBytes("1g"), 1 << 30)
        XCTAssertEqual(try OperatorLimits.parseBytes("unlimited"), 0)
        for bad in ["", "abc", "-5", "nan", "1e9", "12XB", "1.2.3MiB", "MiB", "99999999999TiB"] {
            XCTAssertThrowsError(try OperatorLimits.parseBytes(bad), "'\(bad)' is not a size")
        }
    }

    func testCoresParseAsMillicores() throws {
        XCTAssertEqual(try OperatorLimits.parseCores("0.5"), 500)
        XCTAssertEqual(try OperatorLimits.parseCores("2"), 2000)
        XCTAssertEqual(try OperatorLimits.parseCores("250m"), 250)
        XCTAssertEqual(try OperatorLimits.parseCores("unlimited"), 0)
        for bad in ["half", "-1", "1e3", "0.5 cores"] {
            XCTAssertThrowsError(try OperatorLimits.parseCores(bad), "'\(bad)' is not a number of cores")
        }
        XCTAssertEqual(try OperatorLimits.parseCount("1_024"), 1024)
        XCTAssertThrowsError(try OperatorLimits.parseCount("-3"))
        XCTAssertThrowsError(try OperatorLimits.parseCount("3.5"))
    }

    func testValuesOutOfBoundsNameTheFlagAndTheBounds() {
        XCTAssertNil(OperatorLimits.defaults.problem)
        XCTAssertNil(OperatorLimits.unlimited.problem, "0 is no limit, not a limit of 0")
        var limits = OperatorLimits.defaults
        limits.memoryBytesMax = 64
        XCTAssertEqual(limits.problem, "memory-max must be 16 MiB...1 TiB or unlimited, not 64 B")
        limits = .defaults
        limits.cpuMillicoresMax = 5
        XCTAssertEqual(limits.problem, "cpu-max must be 0.01 cores...1024 cores or unlimited, not 0.005 cores")
        limits = .defaults
        limits.filesMax = 3
        XCTAssertEqual(limits.problem, "files-max must be 16...1048576 or unlimited, not 3")
        limits = .defaults
        limits.processesMax = -1
        XCTAssertEqual(limits.problem, "processes-max must be 1...65536 or unlimited, not -1")
        limits = .defaults
        limits.processesMax = 65_537
        XCTAssertNotNil(limits.problem)
    }

    func testAnOverrideReplacesOnlyTheValuesItGives() {
        let override = OperatorLimitsOverride(memoryBytesMax: 64 << 20, filesMax: 0)
        XCTAssertEqual(
            override.applied(to: .defaults),
            OperatorLimits(memoryBytesMax: 64 << 20, cpuMillicoresMax: 0, filesMax: 0, processesMax: 128)
        )
        XCTAssertTrue(OperatorLimitsOverride().isEmpty)
        XCTAssertEqual(OperatorLimitsOverride().applied(to: .defaults), .defaults)
    }

    func testSummaryShowsUnitsAndUnlimited() {
        let limits = OperatorLimits(memoryBytesMax: 256 << 20, cpuMillicoresMax: 500, filesMax: 256, processesMax: 0)
        XCTAssertEqual(limits.summary, "memory 256 MiB, cpu 0.5 cores, files 256, processes unlimited")
        XCTAssertEqual(OperatorLimits.formatBytes(3 << 29), "1.5 GiB")
        XCTAssertEqual(OperatorLimits.formatBytes(1000), "1000 B")
        XCTAssertEqual(OperatorLimits.formatCores(1000), "1 core")
        XCTAssertEqual(OperatorLimits.formatCores(1250), "1.25 cores")
        XCTAssertEqual(OperatorLimits.formatCores(1050), "1.05 cores")
        XCTAssertEqual(OperatorLimits.formatBytes(Int64.max), "8388608 TiB", "no overflow on the largest value")
    }
}
