/// An open file descriptor, closed when the last reference goes away. Segments, indexes and every
/// `FileSlice` handed to the network layer share these by reference, so retention may delete (unlink) a
/// segment while a fetch is still sending its bytes: the descriptor stays valid until the slice is dropped.
public final class SegmentFileHandle: @unchecked Sendable {
    // @unchecked: all stored properties are immutable; the descriptor is only used with positional calls.
    public let descriptor: Int32
    public let path: String
    let fileIO: FileIO

    init(path: String, create: Bool, readOnly: Bool = false, fileIO: FileIO) throws(StorageError) {
        self.path = path
        self.fileIO = fileIO
        self.descriptor = try fileIO.open(path, create: create, readOnly: readOnly)
    }

    deinit {
        self.fileIO.close(self.descriptor)
    }

    func writeAll(_ bytes: UnsafeRawBufferPointer, at offsetBytes: Int64) throws(StorageError) {
        do {
            try self.fileIO.writeAll(self.descriptor, bytes, at: offsetBytes)
        } catch {
            throw error.at(self.path)
        }
    }

    func readFully(into buffer: UnsafeMutableRawBufferPointer, at offsetBytes: Int64) throws(StorageError) -> Int {
        do {
            return try self.fileIO.readFully(self.descriptor, into: buffer, at: offsetBytes)
        } catch {
            throw error.at(self.path)
        }
    }

    func sync(dataOnly: Bool) throws(StorageError) {
        do {
            try self.fileIO.sync(self.descriptor, dataOnly: dataOnly)
        } catch {
            throw error.at(self.path)
        }
    }

    func truncate(toSizeBytes sizeBytes: Int64) throws(StorageError) {
        do {
            try self.fileIO.truncate(self.descriptor, toSizeBytes: sizeBytes)
        } catch {
            throw error.at(self.path)
        }
    }

    func allocate(offsetBytes: Int64, sizeBytes: Int64) throws(StorageError) {
        do {
            try self.fileIO.allocate(self.descriptor, offsetBytes: offsetBytes, sizeBytes: sizeBytes)
        } catch {
            throw error.at(self.path)
        }
    }

    func sizeBytes() throws(StorageError) -> Int64 {
        do {
            return try self.fileIO.fileSize(self.descriptor)
        } catch {
            throw error.at(self.path)
        }
    }
}

/// Bytes of a segment file to send as they are (e.g. with sendfile): whole record batches.
public struct FileSlice: Sendable {
    /// Keeps the descriptor open for as long as the slice lives, even after the segment is deleted.
    public let file: SegmentFileHandle
    public let positionBytes: Int64
    public let sizeBytes: Int

    public init(file: SegmentFileHandle, positionBytes: Int64, sizeBytes: Int) {
        precondition(positionBytes >= 0 && sizeBytes >= 0, "a file slice has a non-negative range")
        self.file = file
        self.positionBytes = positionBytes
        self.sizeBytes = sizeBytes
    }

    /// A copy of the bytes; for tests and the in-process runtime (the network path sends the file range).
    public func readBytes() throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: self.sizeBytes)
        let count = try bytes.withUnsafeMutableBytes { (buffer) throws(StorageError) in
            try self.file.readFully(into: buffer, at: self.positionBytes)
        }
        guard count == self.sizeBytes else {
            throw StorageError(
                code: .ioFailure, message: "file ended after \(count) of \(self.sizeBytes) bytes", path: self.file.path
            )
        }
        return bytes
    }
}
