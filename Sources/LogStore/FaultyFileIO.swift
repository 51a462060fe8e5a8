#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// A `FileIO` for tests: forwards to another one (the real file system by default), counts syncs and writes,
/// and injects the faults real disks produce: short writes, fsync failures, a full disk, slow fsyncs.
/// Public so that tests of the layers above can use it too.
public final class FaultyFileIO: FileIO {
    /// What to inject; change it at any time with `update`.
    public struct Faults: Sendable {
        /// Each pwrite writes at most this many bytes (exercises short-write handling).
        public var writeSizeBytesMax: Int?
        /// The next this many syncs of files fail with EIO.
        public var failingSyncCount = 0
        /// Writes and allocations fail with ENOSPC once this many more bytes have been written or allocated;
        /// `diskSpace` reports it as the available space. nil: the real disk decides.
        public var remainingDiskBytes: Int64?
        /// The next this many allocations fail with ENOSPC whatever `remainingDiskBytes` says.
        public var failingAllocateCount = 0
        /// Each sync of a file sleeps this long first, so that concurrent waiters pile up (group commit).
        public var syncDelayMicroseconds: UInt32 = 0

        public init() {}
    }

    /// What happened so far.
    public struct Counters: Sendable, Equatable {
        public var fileSyncCount = 0
        public var writeCallCount = 0
        public var writtenBytes: Int64 = 0
        public var allocateCallCount = 0
        public var diskSpaceCallCount = 0
    }

    private struct State {
        var faults = Faults()
        var counters = Counters()
    }

    private let base: FileIO
    private let state = Mutex(State())

    public init(base: FileIO = SystemFileIO()) {
        self.base = base
    }

    public func update(_ change: (inout Faults) -> Void) {
        self.state.withLock { change(&$0.faults) }
    }

    public var counters: Counters {
        self.state.withLock { $0.counters }
    }

    public func open(_ path: String, create: Bool, readOnly: Bool) throws(StorageError) -> Int32 {
        try self.base.open(path, create: create, readOnly: readOnly)
    }

    public func close(_ descriptor: Int32) {
        self.base.close(descriptor)
    }

    public func pwrite(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer, at offsetBytes: Int64)
        throws(StorageError) -> Int
    {
        let allowedBytes: Int? = self.state.withLock { state in
            state.counters.writeCallCount += 1
            var count = bytes.count
            if let writeSizeBytesMax = state.faults.writeSizeBytesMax { count = min(count, writeSizeBytesMax) }
            if let remaining = state.faults.remainingDiskBytes {
                if remaining <= 0 { return nil }
                count = min(count, Int(remaining))
                state.faults.remainingDiskBytes = remaining - Int64(count)
            }
            state.counters.writtenBytes += Int64(count)
            return count
        }
        guard let allowedBytes else { throw .systemCall("pwrite", path: nil, errno: ENOSPC) }
        let allowed = UnsafeRawBufferPointer(rebasing: bytes[0..<allowedBytes])
        return try self.base.pwrite(descriptor, allowed, at: offsetBytes)
    }

    public func pread(_ descriptor: Int32, into buffer: UnsafeMutableRawBufferPointer, at offsetBytes: Int64)
        throws(StorageError) -> Int
    {
        try self.base.pread(descriptor, into: buffer, at: offsetBytes)
    }

    public func sync(_ descriptor: Int32, dataOnly: Bool) throws(StorageError) {
        let (shouldFail, delayMicroseconds) = self.state.withLock { state in
            state.counters.fileSyncCount += 1
            let shouldFail = state.faults.failingSyncCount > 0
            if shouldFail { state.faults.failingSyncCount -= 1 }
            return (shouldFail, state.faults.syncDelayMicroseconds)
        }
        if delayMicroseconds > 0 { usleep(delayMicroseconds) }
        if shouldFail { throw .systemCall(dataOnly ? "fdatasync" : "fsync", path: nil, errno: EIO) }
        try self.base.sync(descriptor, dataOnly: dataOnly)
    }

    public func truncate(_ descriptor: Int32, toSizeBytes sizeBytes: Int64) throws(StorageError) {
        try self.base.truncate(descriptor, toSizeBytes: sizeBytes)
    }

    public func allocate(_ descriptor: Int32, offsetBytes: Int64, sizeBytes: Int64) throws(StorageError) {
        let isRefused = self.state.withLock { state -> Bool in
            state.counters.allocateCallCount += 1
            if state.faults.failingAllocateCount > 0 {
                state.faults.failingAllocateCount -= 1
                return true
            }
            guard let remaining = state.faults.remainingDiskBytes else { return false }
            // Like posix_fallocate on a nearly full disk: all or nothing, never a partial range.
            if remaining < sizeBytes { return true }
            state.faults.remainingDiskBytes = remaining - sizeBytes
            return false
        }
        if isRefused { throw .systemCall("posix_fallocate", path: nil, errno: ENOSPC) }
        try self.base.allocate(descriptor, offsetBytes: offsetBytes, sizeBytes: sizeBytes)
    }

    public func fileSize(_ descriptor: Int32) throws(StorageError) -> Int64 {
        try self.base.fileSize(descriptor)
    }

    public func map(_ descriptor: Int32, sizeBytes: Int, writable: Bool) throws(StorageError)
        -> UnsafeMutableRawPointer
    {
        try self.base.map(descriptor, sizeBytes: sizeBytes, writable: writable)
    }

    public func unmap(_ address: UnsafeMutableRawPointer, sizeBytes: Int) {
        self.base.unmap(address, sizeBytes: sizeBytes)
    }

    public func rename(_ sourcePath: String, to destinationPath: String) throws(StorageError) {
        try self.base.rename(sourcePath, to: destinationPath)
    }

    public func unlink(_ path: String) throws(StorageError) {
        try self.base.unlink(path)
    }

    public func makeDirectory(_ path: String) throws(StorageError) {
        try self.base.makeDirectory(path)
    }

    public func removeDirectory(_ path: String) throws(StorageError) {
        try self.base.removeDirectory(path)
    }

    public func listDirectory(_ path: String) throws(StorageError) -> [DirectoryEntry] {
        try self.base.listDirectory(path)
    }

    public func fileExists(_ path: String) -> Bool {
        self.base.fileExists(path)
    }

    public func syncDirectory(_ path: String) throws(StorageError) {
        try self.base.syncDirectory(path)
    }

    public func diskSpace(_ path: String) throws(StorageError) -> DiskSpace {
        let remaining = self.state.withLock { state -> Int64? in
            state.counters.diskSpaceCallCount += 1
            return state.faults.remainingDiskBytes
        }
        var space = try self.base.diskSpace(path)
        if let remaining { space.availableBytes = max(0, remaining) }
        return space
    }
}
