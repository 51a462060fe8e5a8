#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@testable import SluiceOperator

/// A `pipe(2)` pair for tests.
struct Pipe {
    let read: Int32
    let write: Int32

    static func make() throws -> Pipe {
        var descriptors: [Int32] = [0, 0]
        guard pipe(&descriptors) == 0 else {
            throw OperatorError(.systemCallFailed, "pipe", errno: errno)
        }
        return Pipe(read: descriptors[0], write: descriptors[1])
    }

    func closeRead() { close(self.read) }
    func closeWrite() { close(self.write) }
}
