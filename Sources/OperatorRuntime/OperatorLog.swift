import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// An operator's log: its processes' standard error, one line per entry, prefixed with the time and
/// `v<version>#<instance>`, appended to `operator.log` and rotated to `operator.log.1` at a size bound, so a
/// chatty operator cannot fill the disk. Followers get every new line through an AsyncStream.
final class OperatorLog: Sendable {
    private struct State {
        var descriptor: Int32
        var sizeBytes: Int64
        var followers: [UInt64: AsyncStream<String>.Continuation] = [:]
        var nextFollower: UInt64 = 0
    }

    let path: String
    private let sizeBytesMax: Int64
    private let state: Mutex<State>

    init(path: String, sizeBytesMax: Int64) {
        self.path = path
        self.sizeBytesMax = sizeBytesMax
        let descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        var status = stat()
        let sizeBytes = descriptor >= 0 && fstat(descriptor, &status) == 0 ? Int64(status.st_size) : 0
        self.state = Mutex(State(descriptor: descriptor, sizeBytes: sizeBytes))
    }

    deinit {
        self.state.withLock { state in
            if state.descriptor >= 0 { close(state.descriptor) }
            for follower in state.followers.values { follower.finish() }
        }
    }

    func append(_ line: String, prefix: String) {
        let entry = "\(Self.timestamp()) \(prefix) \(line)"
        var bytes = Array(entry.utf8)
        bytes.append(UInt8(ascii: "\n"))
        self.state.withLock { state in
            if state.sizeBytes + Int64(bytes.count) > self.sizeBytesMax && state.descriptor >= 0 {
                close(state.descriptor)
                rename(self.path, self.path + ".1")
                state.descriptor = open(self.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
                state.sizeBytes = 0
            }
            if state.descriptor >= 0 {
                _ = bytes.withUnsafeBytes { write(state.descriptor, $0.baseAddress!, $0.count) }
                state.sizeBytes += Int64(bytes.count)
            }
            for follower in state.followers.values { follower.yield(entry) }
        }
    }

    /// The last `count` lines (from the rotated file too when the current one has fewer).
    func tail(_ count: Int) -> [String] {
        guard count > 0 else { return [] }
        var lines = Self.lines(of: self.path)
        if lines.count < count { lines = Self.lines(of: self.path + ".1") + lines }
        return Array(lines.suffix(count))
    }

    func follow() -> AsyncStream<String> {
        let (stream, continuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(10_000))
        let identifier = self.state.withLock { state in
            let identifier = state.nextFollower
            state.nextFollower += 1
            state.followers[identifier] = continuation
            return identifier
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.followers.removeValue(forKey: identifier) }
        }
        return stream
    }

    /// Ends every follower's stream (the operator was killed).
    func finishFollowers() {
        let followers = self.state.withLock { state in
            defer { state.followers.removeAll() }
            return Array(state.followers.values)
        }
        followers.forEach { $0.finish() }
    }

    private static func lines(of path: String) -> [String] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        return String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
    }

    private static func timestamp() -> String {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        var time = tm()
        var seconds = spec.tv_sec
        gmtime_r(&seconds, &time)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", Int(time.tm_year) + 1900, Int(time.tm_mon) + 1,
            Int(time.tm_mday), Int(time.tm_hour), Int(time.tm_min), Int(time.tm_sec), Int(spec.tv_nsec / 1_000_000)
        )
    }
}
