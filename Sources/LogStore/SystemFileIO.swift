#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The real file system: each method is one system call (retried on EINTR), errors carry `errno`.
public struct SystemFileIO: FileIO {
    public init() {}

    public func open(_ path: String, create: Bool, readOnly: Bool) throws(StorageError) -> Int32 {
        var flags: Int32 = readOnly ? O_RDONLY : O_RDWR
        if create { flags |= O_CREAT }
        flags |= O_CLOEXEC
        let descriptor = Self.retryingInterrupts { Glibc.open(path, flags, 0o644) }
        guard descriptor >= 0 else { throw .systemCall("open", path: path, errno: errno) }
        return descriptor
    }

    public func close(_ descriptor: Int32) {
        // Not retried on EINTR: on Linux the descriptor is released even then.
        _ = Glibc.close(descriptor)
    }

    public func pwrite(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer, at offsetBytes: Int64)
        throws(StorageError) -> Int
    {
        let count = Self.retryingInterrupts {
            Glibc.pwrite(descriptor, bytes.baseAddress, bytes.count, off_t(offsetBytes))
        }
        guard count >= 0 else { throw .systemCall("pwrite", path: nil, errno: errno) }
        return count
    }

    public func pread(_ descriptor: Int32, into buffer: UnsafeMutableRawBufferPointer, at offsetBytes: Int64)
        throws(StorageError) -> Int
    {
        let count = Self.retryingInterrupts {
            Glibc.pread(descriptor, buffer.baseAddress, buffer.count, off_t(offsetBytes))
        }
        guard count >= 0 else { throw .systemCall("pread", path: nil, errno: errno) }
        return count
    }

    public func sync(_ descriptor: Int32, dataOnly: Bool) throws(StorageError) {
        let result = Self.retryingInterrupts { dataOnly ? fdatasync(descriptor) : fsync(descriptor) }
        guard result == 0 else { throw .systemCall(dataOnly ? "fdatasync" : "fsync", path: nil, errno: errno) }
    }

    public func truncate(_ descriptor: Int32, toSizeBytes sizeBytes: Int64) throws(StorageError) {
        let result = Self.retryingInterrupts { ftruncate(descriptor, off_t(sizeBytes)) }
        guard result == 0 else { throw .systemCall("ftruncate", path: nil, errno: errno) }
    }

    public func allocate(_ descriptor: Int32, offsetBytes: Int64, sizeBytes: Int64) throws(StorageError) {
        guard sizeBytes > 0 else { return }
        #if canImport(Glibc)
        // posix_fallocate returns the error number instead of setting errno; glibc falls back to writing
        // zeros on file systems without fallocate, so the blocks are real either way.
        var result: Int32
        repeat {
            result = posix_fallocate(descriptor, off_t(offsetBytes), off_t(sizeBytes))
        } while result == EINTR
        guard result == 0 else { throw .systemCall("posix_fallocate", path: nil, errno: result) }
        #else
        try self.allocateByWritingZeros(descriptor, offsetBytes: offsetBytes, sizeBytes: sizeBytes)
        #endif
    }

    /// Where there is no fallocate: writes zeros over the range, which allocates it just the same.
    private func allocateByWritingZeros(_ descriptor: Int32, offsetBytes: Int64, sizeBytes: Int64) throws(StorageError) {
        let chunkSizeBytes = 64 * 1024
        let zeros = [UInt8](repeating: 0, count: chunkSizeBytes)
        var writtenBytes: Int64 = 0
        while writtenBytes < sizeBytes {
            let count = Int(min(Int64(chunkSizeBytes), sizeBytes - writtenBytes))
            try zeros.withUnsafeBytes { buffer in
                Result { () throws(StorageError) in
                    try self.writeAll(
                        descriptor, UnsafeRawBufferPointer(rebasing: buffer[0..<count]), at: offsetBytes + writtenBytes
                    )
                }
            }.get()
            writtenBytes += Int64(count)
        }
    }

    public func fileSize(_ descriptor: Int32) throws(StorageError) -> Int64 {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw .systemCall("fstat", path: nil, errno: errno) }
        return Int64(status.st_size)
    }

    public func map(_ descriptor: Int32, sizeBytes: Int, writable: Bool) throws(StorageError)
        -> UnsafeMutableRawPointer
    {
        precondition(sizeBytes > 0, "cannot map zero bytes")
        let protection = writable ? (PROT_READ | PROT_WRITE) : PROT_READ
        let address = mmap(nil, sizeBytes, protection, MAP_SHARED, descriptor, 0)
        guard let address, address != MAP_FAILED else { throw .systemCall("mmap", path: nil, errno: errno) }
        return address
    }

    public func unmap(_ address: UnsafeMutableRawPointer, sizeBytes: Int) {
        _ = munmap(address, sizeBytes)
    }

    public func rename(_ sourcePath: String, to destinationPath: String) throws(StorageError) {
        guard Glibc.rename(sourcePath, destinationPath) == 0 else {
            throw .systemCall("rename to \(destinationPath)", path: sourcePath, errno: errno)
        }
    }

    public func unlink(_ path: String) throws(StorageError) {
        guard Glibc.unlink(path) == 0 else { throw .systemCall("unlink", path: path, errno: errno) }
    }

    public func makeDirectory(_ path: String) throws(StorageError) {
        guard mkdir(path, 0o755) == 0 else { throw .systemCall("mkdir", path: path, errno: errno) }
    }

    public func removeDirectory(_ path: String) throws(StorageError) {
        guard rmdir(path) == 0 else { throw .systemCall("rmdir", path: path, errno: errno) }
    }

    public func listDirectory(_ path: String) throws(StorageError) -> [DirectoryEntry] {
        guard let directory = opendir(path) else { throw .systemCall("opendir", path: path, errno: errno) }
        defer { closedir(directory) }
        var entries: [DirectoryEntry] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { bytes in
                String(cString: bytes.bindMemory(to: CChar.self).baseAddress!)
            }
            if name == "." || name == ".." { continue }
            var isDirectory = entry.pointee.d_type == UInt8(DT_DIR)
            if entry.pointee.d_type == UInt8(DT_UNKNOWN) {
                // Some file systems do not fill d_type; ask stat instead.
                var status = stat()
                isDirectory = stat(path + "/" + name, &status) == 0 && (status.st_mode & S_IFMT) == S_IFDIR
            }
            entries.append(DirectoryEntry(name: name, isDirectory: isDirectory))
        }
        return entries
    }

    public func fileExists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    public func syncDirectory(_ path: String) throws(StorageError) {
        let descriptor = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .systemCall("open directory", path: path, errno: errno) }
        defer { Glibc.close(descriptor) }
        guard fsync(descriptor) == 0 else { throw .systemCall("fsync directory", path: path, errno: errno) }
    }

    public func diskSpace(_ path: String) throws(StorageError) -> DiskSpace {
        // Through a descriptor: in Swift the name `statvfs` means the struct, which hides the function.
        let descriptor = Self.retryingInterrupts { Glibc.open(path, O_RDONLY | O_CLOEXEC) }
        guard descriptor >= 0 else { throw .systemCall("open for statvfs", path: path, errno: errno) }
        defer { Glibc.close(descriptor) }
        var status = statvfs()
        let result = Self.retryingInterrupts { fstatvfs(descriptor, &status) }
        guard result == 0 else { throw .systemCall("fstatvfs", path: path, errno: errno) }
        let blockSizeBytes = Int64(status.f_frsize)
        return DiskSpace(
            totalBytes: Int64(status.f_blocks) * blockSizeBytes, availableBytes: Int64(status.f_bavail) * blockSizeBytes
        )
    }

    private static func retryingInterrupts<Result: BinaryInteger>(_ call: () -> Result) -> Result {
        while true {
            let result = call()
            if result >= 0 || errno != EINTR { return result }
        }
    }
}
