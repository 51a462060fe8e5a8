/// A memory-mapped file of fixed-size entries: the storage shared by `OffsetIndex` and `TimeIndex`.
///
/// The active segment's index is grown to `entryCountMax` entries (a sparse file) and mapped once, so
/// appending an entry is a store into the mapping, almost never a system call. A store into a sparse range
/// has no way to report a full disk except SIGBUS, so the file gets real blocks (`FileIO.allocate`) ahead
/// of the entries, `allocationChunkEntries` at a time: the space is taken while a `StorageError(.diskFull)`
/// can still be thrown (`reserve`, called before the data write it indexes), and only a chunk of it, so an
/// idle partition costs a few KiB rather than the full capacity.
/// When the segment rolls or closes the file is trimmed to the entries written, synced, and mapped at that
/// size. A file whose size is not a whole number of entries, or still the preallocated size (the broker
/// stopped without trimming), is reported by `hasTrustworthySize == false` so the owner rebuilds it.
///
/// A descriptor is held only while the index is preallocated (the active segment): a mapping outlives the
/// descriptor it was made from, so sealed segments, usually all but one, cost one descriptor (their log), not three.
///
/// Not synchronized: the owning `Segment` is only used under its partition's lock.
final class MappedIndexFile {
    let path: String
    private let fileIO: FileIO
    private var openedFile: SegmentFileHandle?
    let entrySizeBytes: Int
    let entryCountMax: Int
    private(set) var entryCount: Int
    /// False when the size on disk cannot be the size of a trimmed index.
    private(set) var hasTrustworthySize: Bool
    private var mapping: UnsafeMutableRawBufferPointer?
    private var isPreallocated = false
    /// Bytes from the start of the file that have real blocks; entries are stored only below this.
    private var allocatedBytes = 0

    /// Entries allocated per `allocate` call: one system call per this many entries (every 4 MiB of log at
    /// the default 4 KiB index interval), and at most this many entries' worth of blocks held unused.
    static let allocationChunkEntries = 1024

    var isFull: Bool { self.entryCount >= self.entryCountMax }
    var sizeBytes: Int { self.entryCount * self.entrySizeBytes }

    init(path: String, entrySizeBytes: Int, entryCountMax: Int, fileIO: FileIO) throws(StorageError) {
        precondition(entrySizeBytes > 0 && entryCountMax > 0, "an index has entries")
        self.path = path
        self.fileIO = fileIO
        self.entrySizeBytes = entrySizeBytes
        self.entryCountMax = entryCountMax
        let file = try SegmentFileHandle(path: path, create: true, fileIO: fileIO)
        let fileSizeBytes = try file.sizeBytes()
        let capacityBytes = Int64(entrySizeBytes * entryCountMax)
        self.hasTrustworthySize = fileSizeBytes % Int64(entrySizeBytes) == 0 && fileSizeBytes < capacityBytes
        self.entryCount = self.hasTrustworthySize ? Int(fileSizeBytes) / entrySizeBytes : 0
        self.openedFile = file
        try self.remap(sizeBytes: self.sizeBytes)
        self.openedFile = nil
    }

    /// The index file's descriptor, reopened when it was released.
    private func file() throws(StorageError) -> SegmentFileHandle {
        if let file = self.openedFile { return file }
        let file = try SegmentFileHandle(path: self.path, create: false, fileIO: self.fileIO)
        self.openedFile = file
        return file
    }

    deinit {
        self.unmap()
    }

    /// The bytes of entry `index` (valid until the next call that changes the mapping).
    func entry(_ index: Int) -> UnsafeRawBufferPointer {
        precondition(index >= 0 && index < self.entryCount, "index entry out of range")
        let start = index * self.entrySizeBytes
        return UnsafeRawBufferPointer(rebasing: self.mapping![start..<start + self.entrySizeBytes])
    }

    /// Grows the file to its full capacity (the size that marks it untrimmed should the broker stop), gives
    /// the first chunk past the current entries real blocks, and maps it, so entries can be appended by
    /// storing into the mapping. On a full disk throws `diskFull` and leaves the file as it was.
    func preallocate() throws(StorageError) {
        guard !self.isPreallocated else { return }
        let capacityBytes = self.entrySizeBytes * self.entryCountMax
        let file = try self.file()
        try file.truncate(toSizeBytes: Int64(capacityBytes))
        self.allocatedBytes = 0
        do {
            try self.allocate(upToBytes: self.allocationTarget(entryCount: self.entryCount + 1))
        } catch {
            self.allocatedBytes = 0
            try? file.truncate(toSizeBytes: Int64(self.sizeBytes))
            throw error
        }
        try self.remap(sizeBytes: capacityBytes)
        self.isPreallocated = true
    }

    /// Makes sure `additionalEntries` more entries can be appended without touching an unallocated page;
    /// throws `diskFull` when the disk has no room for them. A system call only when a chunk boundary is passed.
    func reserve(additionalEntries: Int) throws(StorageError) {
        precondition(self.isPreallocated, "reserve in an index that is not open for writing")
        let neededBytes = min(self.entryCountMax, self.entryCount + additionalEntries) * self.entrySizeBytes
        guard neededBytes > self.allocatedBytes else { return }
        try self.allocate(upToBytes: self.allocationTarget(entryCount: self.entryCount + additionalEntries))
    }

    /// `entryCount` entries rounded up to whole chunks, within the capacity.
    private func allocationTarget(entryCount: Int) -> Int {
        let chunkEntries = Self.allocationChunkEntries
        let roundedEntries = (entryCount + chunkEntries - 1) / chunkEntries * chunkEntries
        return min(self.entryCountMax, roundedEntries) * self.entrySizeBytes
    }

    private func allocate(upToBytes targetBytes: Int) throws(StorageError) {
        guard targetBytes > self.allocatedBytes else { return }
        try self.file().allocate(
            offsetBytes: Int64(self.allocatedBytes), sizeBytes: Int64(targetBytes - self.allocatedBytes)
        )
        self.allocatedBytes = targetBytes
    }

    /// Appends one entry, filled in by `write` (given exactly `entrySizeBytes` bytes). The room must have
    /// been reserved: storing into an unallocated page of a full disk would kill the process with SIGBUS.
    func append(_ write: (UnsafeMutableRawBufferPointer) -> Void) {
        precondition(self.isPreallocated, "append to an index that is not open for writing")
        precondition(!self.isFull, "append to a full index")
        let start = self.entryCount * self.entrySizeBytes
        precondition(start + self.entrySizeBytes <= self.allocatedBytes, "append to an index without reserved room")
        write(UnsafeMutableRawBufferPointer(rebasing: self.mapping![start..<start + self.entrySizeBytes]))
        self.entryCount += 1
    }

    /// Forgets entries from `count` on (after the log was truncated, or to rebuild).
    func truncate(toEntryCount count: Int) {
        precondition(count >= 0 && count <= self.entryCount, "index truncation past the end")
        self.entryCount = count
        self.hasTrustworthySize = true
    }

    /// Cuts the file to the entries written and syncs it: the index of a rolled or closed segment.
    func trim() throws(StorageError) {
        try self.remap(sizeBytes: 0)
        let file = try self.file()
        try file.truncate(toSizeBytes: Int64(self.sizeBytes))
        try file.sync(dataOnly: false)
        self.isPreallocated = false
        self.allocatedBytes = 0
        self.hasTrustworthySize = true
        try self.remap(sizeBytes: self.sizeBytes)
        self.openedFile = nil
    }

    private func remap(sizeBytes: Int) throws(StorageError) {
        self.unmap()
        guard sizeBytes > 0 else { return }
        let file = try self.file()
        do {
            let address = try self.fileIO.map(file.descriptor, sizeBytes: sizeBytes, writable: true)
            self.mapping = UnsafeMutableRawBufferPointer(start: address, count: sizeBytes)
        } catch {
            throw error.at(self.path)
        }
    }

    private func unmap() {
        if let mapping = self.mapping, let address = mapping.baseAddress {
            self.fileIO.unmap(address, sizeBytes: mapping.count)
        }
        self.mapping = nil
    }
}
