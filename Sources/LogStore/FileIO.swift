/// The seam between LogStore and the operating system: every system call the storage layer makes goes
/// through one of these methods, so tests can replace them (`FaultyFileIO`) to inject short writes,
/// fsync failures and a full disk. Methods throw only `StorageError`; descriptor-based methods do not know
/// the path, and `SegmentFileHandle` adds it to the error.
public protocol FileIO: Sendable {
    /// Opens (and with `create`, creates with mode 0644) a file for reading and writing, or read-only.
    func open(_ path: String, create: Bool, readOnly: Bool) throws(StorageError) -> Int32
    func close(_ descriptor: Int32)
    /// Writes some of `bytes` at `offsetBytes`; returns how many were written (may be fewer: a short write).
    func pwrite(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer, at offsetBytes: Int64) throws(StorageError) -> Int
    /// Reads up to `buffer.count` bytes at `offsetBytes`; returns how many were read (0 at end of file).
    func pread(_ descriptor: Int32, into buffer: UnsafeMutableRawBufferPointer, at offsetBytes: Int64)
        throws(StorageError) -> Int
    /// fsync, or fdatasync when `dataOnly` (enough for appended data: it still persists the new size).
    func sync(_ descriptor: Int32, dataOnly: Bool) throws(StorageError)
    func truncate(_ descriptor: Int32, toSizeBytes sizeBytes: Int64) throws(StorageError)
    /// Gives the range `offsetBytes..<offsetBytes + sizeBytes` real blocks (posix_fallocate), growing the file
    /// when the range ends past it. Throws `diskFull` when the device has no room. A store into a mapping of a
    /// range without blocks (a sparse file) cannot report ENOSPC: the kernel answers it with SIGBUS, so every
    /// mapped range written to must be allocated first.
    func allocate(_ descriptor: Int32, offsetBytes: Int64, sizeBytes: Int64) throws(StorageError)
    func fileSize(_ descriptor: Int32) throws(StorageError) -> Int64
    /// Maps `sizeBytes` of the file shared and writable (or read-only).
    func map(_ descriptor: Int32, sizeBytes: Int, writable: Bool) throws(StorageError) -> UnsafeMutableRawPointer
    func unmap(_ address: UnsafeMutableRawPointer, sizeBytes: Int)
    func rename(_ sourcePath: String, to destinationPath: String) throws(StorageError)
    func unlink(_ path: String) throws(StorageError)
    func makeDirectory(_ path: String) throws(StorageError)
    func removeDirectory(_ path: String) throws(StorageError)
    /// Entry names of a directory, without "." and "..".
    func listDirectory(_ path: String) throws(StorageError) -> [DirectoryEntry]
    func fileExists(_ path: String) -> Bool
    /// fsyncs a directory, so that file creations, renames and unlinks in it are durable.
    func syncDirectory(_ path: String) throws(StorageError)
    /// The size and free space of the file system holding `path` (statvfs).
    func diskSpace(_ path: String) throws(StorageError) -> DiskSpace
}

/// A file system's size and room, as `statvfs` reports them.
public struct DiskSpace: Sendable, Equatable {
    public var totalBytes: Int64
    /// Bytes an unprivileged process may still allocate (f_bavail: excludes blocks reserved for root).
    public var availableBytes: Int64

    public init(totalBytes: Int64, availableBytes: Int64) {
        self.totalBytes = totalBytes
        self.availableBytes = availableBytes
    }

    public var usedBytes: Int64 { max(0, self.totalBytes - self.availableBytes) }
}

/// One name in a directory listing.
public struct DirectoryEntry: Sendable, Equatable {
    public var name: String
    public var isDirectory: Bool

    public init(name: String, isDirectory: Bool) {
        self.name = name
        self.isDirectory = isDirectory
    }
}

extension FileIO {
    /// Writes all of `bytes` at `offsetBytes`, continuing after short writes.
    func writeAll(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer, at offsetBytes: Int64) throws(StorageError) {
        var writtenBytes = 0
        while writtenBytes < bytes.count {
            let remaining = UnsafeRawBufferPointer(rebasing: bytes[writtenBytes...])
            let count = try self.pwrite(descriptor, remaining, at: offsetBytes + Int64(writtenBytes))
            precondition(count > 0, "pwrite of a non-empty buffer wrote nothing without an error")
            writtenBytes += count
        }
    }

    /// Reads exactly `buffer.count` bytes unless the file ends first; returns how many were read.
    func readFully(_ descriptor: Int32, into buffer: UnsafeMutableRawBufferPointer, at offsetBytes: Int64)
        throws(StorageError) -> Int
    {
        var readBytes = 0
        while readBytes < buffer.count {
            let remaining = UnsafeMutableRawBufferPointer(rebasing: buffer[readBytes...])
            let count = try self.pread(descriptor, into: remaining, at: offsetBytes + Int64(readBytes))
            if count == 0 { break }
            readBytes += count
        }
        return readBytes
    }

    /// Replaces the file at `path` with `bytes` so that a crash leaves either the old or the new content:
    /// write a temporary file, fsync it, rename it over the old one, fsync the directory.
    public func writeFileAtomically(_ path: String, _ bytes: [UInt8]) throws(StorageError) {
        let temporaryPath = path + ".tmp"
        let descriptor = try self.open(temporaryPath, create: true, readOnly: false)
        do throws(StorageError) {
            try self.truncate(descriptor, toSizeBytes: 0)
            try bytes.withUnsafeBytes { buffer in
                Result { () throws(StorageError) in try self.writeAll(descriptor, buffer, at: 0) }
            }.get()
            try self.sync(descriptor, dataOnly: false)
        } catch {
            self.close(descriptor)
            throw error.at(temporaryPath)
        }
        self.close(descriptor)
        try self.rename(temporaryPath, to: path)
        try self.syncDirectory(parentDirectory(of: path))
    }

    /// The whole content of a small file (configuration, checkpoint), bounded by `sizeBytesMax`.
    public func readSmallFile(_ path: String, sizeBytesMax: Int = 16 * 1024 * 1024) throws(StorageError) -> [UInt8] {
        let descriptor = try self.open(path, create: false, readOnly: true)
        defer { self.close(descriptor) }
        let sizeBytes = try self.fileSize(descriptor)
        guard sizeBytes <= Int64(sizeBytesMax) else {
            throw StorageError(code: .corruptFile, message: "file of \(sizeBytes) bytes is too large", path: path)
        }
        var bytes = [UInt8](repeating: 0, count: Int(sizeBytes))
        let count = try bytes.withUnsafeMutableBytes { buffer in
            Result { () throws(StorageError) in try self.readFully(descriptor, into: buffer, at: 0) }
        }.get()
        return Array(bytes[0..<count])
    }

    /// Removes a directory and everything under it (files first, then the directory itself).
    func removeTree(_ path: String) throws(StorageError) {
        for entry in try self.listDirectory(path) {
            let childPath = path + "/" + entry.name
            if entry.isDirectory {
                try self.removeTree(childPath)
            } else {
                try self.unlink(childPath)
            }
        }
        try self.removeDirectory(path)
    }

    /// Creates the directory unless it exists already.
    func makeDirectoryIfMissing(_ path: String) throws(StorageError) {
        if !self.fileExists(path) {
            try self.makeDirectory(path)
        }
    }
}

/// The directory part of a path ("." when there is none).
func parentDirectory(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    if slash == path.startIndex { return "/" }
    return String(path[path.startIndex..<slash])
}
