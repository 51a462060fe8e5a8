#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The two system calls the SDK makes on its pipes, in one place: each retries on EINTR and turns a failure into
/// an `OperatorError` carrying the errno and the call.
enum FileDescriptorIO {
    /// Reads up to `count` bytes into `buffer`; 0 means end of input.
    static func read(_ descriptor: Int32, into buffer: UnsafeMutableRawPointer, count: Int) throws -> Int {
        while true {
            let result = systemRead(descriptor, buffer, count)
            if result >= 0 {
                return result
            }
            let error = errno
            if error == EINTR {
                continue
            }
            throw OperatorError(.systemCallFailed, "read(\(descriptor), \(count) bytes) failed", errno: error)
        }
    }

    /// Writes all of `bytes`, looping over short writes.
    static func writeAll(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) throws {
        var written = 0
        while written < bytes.count {
            let result = systemWrite(descriptor, bytes.baseAddress! + written, bytes.count - written)
            if result >= 0 {
                written += result
                continue
            }
            let error = errno
            if error == EINTR {
                continue
            }
            throw OperatorError(
                .systemCallFailed, "write(\(descriptor), \(bytes.count - written) bytes) failed", errno: error
            )
        }
    }

    static func writeAll(_ descriptor: Int32, _ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try Self.writeAll(descriptor, $0) }
    }
}

#if canImport(Glibc)
private let systemRead = Glibc.read
private let systemWrite = Glibc.write
#elseif canImport(Darwin)
private let systemRead = Darwin.read
private let systemWrite = Darwin.write
#endif
