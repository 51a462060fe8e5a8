import SluiceModel
import Synchronization

/// Hands out producer ids for InitProducerId: increasing Int64s, never reused, even across restarts and crashes.
///
/// Ids are reserved in blocks: `<data>/producer-id-block` holds the first id not yet reserved, and is advanced
/// by `blockSize` (atomically: temporary file, fsync, rename, directory fsync) *before* any id of the new block
/// is handed out. A crash therefore loses at most the rest of a block, never hands an id out twice, and costs
/// one file write per `blockSize` producers instead of one per producer. Text, like the other small files, inside
/// a `ChecksummedFile` header line (`#sluice:1 <crc32c>`; files without it, from earlier versions, still load):
///
/// ```
/// 1                  format version
/// <next>             the first id not yet reserved (decimal)
/// ```
///
/// As a second guard (a lost or restored-from-backup file), the first reservation also starts above the
/// largest producer id found in any partition's log. A damaged file (failed checksum, unparsable) is reported
/// as an error and replaced by a floor no earlier id can have reached: `damagedFileIdsPerMs` ids per
/// millisecond of wall-clock time since 1970, far above any block a broker reserves one thousand at a time.
public final class ProducerIdAllocator: Sendable {
    public static let fileName = "producer-id-block"
    public static let blockSize: Int64 = 1000
    /// Ids per wall-clock millisecond in the floor used after a damaged file (about 1.7e15 in 2025, far below
    /// Int64.max and far above the ids of any real broker's history).
    public static let damagedFileIdsPerMs: Int64 = 1000

    private struct State {
        /// nil until the first allocation reads the file.
        var nextId: Int64?
        /// The first id of the next block: ids below it are reserved on disk.
        var reservedEndId: Int64 = 0
    }

    private let path: String
    private let fileIO: FileIO
    private let producerIdMaxInLogs: @Sendable () -> Int64
    private let clock: SluiceClock
    private let onError: StorageEventHandler
    private let state = Mutex(State())

    init(
        path: String, fileIO: FileIO, clock: SluiceClock = SystemClock(), onError: @escaping StorageEventHandler = { _ in },
        producerIdMaxInLogs: @escaping @Sendable () -> Int64
    ) {
        self.path = path
        self.fileIO = fileIO
        self.clock = clock
        self.onError = onError
        self.producerIdMaxInLogs = producerIdMaxInLogs
    }

    /// A producer id never handed out before. Writes the block file once per `blockSize` calls (with its
    /// fsyncs, under the allocator's lock: InitProducerId is rare, once per producer start).
    public func allocate() throws(StorageError) -> Int64 {
        try self.state.withLock { (state) throws(StorageError) -> Int64 in
            var nextId: Int64
            if let known = state.nextId {
                nextId = known
            } else {
                nextId = max(try self.readReservedEnd(), self.producerIdMaxInLogs() + 1)
                state.reservedEndId = nextId
            }
            if nextId >= state.reservedEndId {
                let reservedEndId = nextId + Self.blockSize
                try self.fileIO.writeFileAtomically(
                    self.path, ChecksummedFile.wrap(Array("1\n\(reservedEndId)\n".utf8))
                )
                state.reservedEndId = reservedEndId
            }
            state.nextId = nextId + 1
            return nextId
        }
    }

    /// Whether `producerId` may have been handed out by this broker (before or since its last restart): every
    /// id below the reserved end. Used to accept an epoch bump only for ids this broker issued.
    public func mayHaveIssued(_ producerId: Int64) throws(StorageError) -> Bool {
        guard producerId >= 0 else { return false }
        let reservedEndId = try self.state.withLock { (state) throws(StorageError) -> Int64 in
            state.nextId == nil ? try self.readReservedEnd() : state.reservedEndId
        }
        return producerId < reservedEndId
    }

    private func readReservedEnd() throws(StorageError) -> Int64 {
        guard self.fileIO.fileExists(self.path) else { return 0 }
        let bytes = try self.fileIO.readSmallFile(self.path, sizeBytesMax: 4096)
        do throws(StorageError) {
            let payload = try ChecksummedFile.unwrap(bytes, path: self.path).payload
            let lines = String(decoding: payload, as: UTF8.self).split(separator: "\n")
            guard lines.count == 2, lines[0] == "1", let value = Int64(lines[1]), value >= 0 else {
                throw StorageError(code: .corruptFile, message: "not a producer id block file", path: self.path)
            }
            return value
        } catch {
            // Guessing low could hand out an id twice; the wall-clock floor cannot (see the type's comment).
            let floor = self.clock.wallTimeMs() * Self.damagedFileIdsPerMs
            self.onError("\(error); producer ids continue from \(floor)")
            return floor
        }
    }
}

extension LogManager {
    /// The producer id allocator of this data directory. Create one per broker: two allocators on one directory
    /// would hand out the same ids.
    public func makeProducerIdAllocator() -> ProducerIdAllocator {
        ProducerIdAllocator(
            path: self.dataDirectory + "/" + ProducerIdAllocator.fileName, fileIO: self.fileIO, clock: self.clock,
            onError: self.onError, producerIdMaxInLogs: { [weak self] in
                self?.allPartitions().map(\.producerIdMax).max() ?? -1
            }
        )
    }
}
