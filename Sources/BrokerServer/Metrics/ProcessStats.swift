import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The process-level numbers of the metrics endpoint.
enum ProcessStats {
    /// /proc/self/statm is one short line of seven numbers; anything longer is not that file.
    static let statmSizeBytesMax = 4096

    /// Resident memory from /proc/self/statm (its second field, in pages), or nil off Linux.
    static func residentMemoryBytes() -> Int64? {
        guard let handle = FileHandle(forReadingAtPath: "/proc/self/statm") else { return nil }
        defer { try? handle.close() }
        guard let data = try? handle.read(upToCount: Self.statmSizeBytesMax) else { return nil }
        return self.residentMemoryBytes(statm: String(decoding: data, as: UTF8.self), pageSizeBytes: self.pageSizeBytes)
    }

    /// Parses statm's `size resident shared text lib data dt` (pages); nil when it is not that.
    static func residentMemoryBytes(statm: String, pageSizeBytes: Int) -> Int64? {
        let fields = statm.split(whereSeparator: { $0 == " " || $0 == "\n" })
        guard fields.count >= 2, let residentPages = Int64(fields[1]), residentPages >= 0 else { return nil }
        let (bytes, overflow) = residentPages.multipliedReportingOverflow(by: Int64(pageSizeBytes))
        return overflow ? nil : bytes
    }

    private static var pageSizeBytes: Int {
        #if canImport(Glibc)
        return Int(sysconf(Int32(_SC_PAGESIZE)))
        #else
        return 4096
        #endif
    }
}

/// Open Kafka client connections: counted up when a connection's channel is set up, down when it closes.
final class KafkaConnectionCounter: Sendable {
    private let openCount = Atomic<Int>(0)

    init() {}

    var open: Int { self.openCount.load(ordering: .relaxed) }

    func opened() {
        self.openCount.add(1, ordering: .relaxed)
    }

    func closed() {
        self.openCount.subtract(1, ordering: .relaxed)
    }
}
