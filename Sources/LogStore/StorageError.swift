#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SluiceModel

/// Why a storage operation failed. A struct with an opaque `code` (not an enum) so that new codes do not
/// break callers that switch over them; the server maps codes to Kafka error codes.
public struct StorageError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure this is; compare with the static members (`error.code == .offsetOutOfRange`).
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String

        private init(_ name: String) {
            self.name = name
        }

        /// A system call failed (see `errno`); Kafka's KAFKA_STORAGE_ERROR.
        public static let ioFailure = Code("ioFailure")
        /// The device is full (ENOSPC); also a storage failure for Kafka clients.
        public static let diskFull = Code("diskFull")
        /// A read asked for an offset below the log start or past the log end.
        public static let offsetOutOfRange = Code("offsetOutOfRange")
        /// A batch larger than the log's `batchSizeBytesMax`; Kafka's MESSAGE_TOO_LARGE.
        public static let recordBatchTooLarge = Code("recordBatchTooLarge")
        /// Bytes on disk that are not what Sluice wrote and cannot be repaired.
        public static let corruptFile = Code("corruptFile")
        /// A read reached a batch that failed validation and is fenced off (kept on disk, never served);
        /// Kafka's CORRUPT_MESSAGE. Batches before and after it stay readable.
        public static let corruptMessage = Code("corruptMessage")
        public static let topicAlreadyExists = Code("topicAlreadyExists")
        public static let unknownTopic = Code("unknownTopic")
        public static let invalidTopicName = Code("invalidTopicName")
        public static let invalidPartitionCount = Code("invalidPartitionCount")
        public static let invalidConfig = Code("invalidConfig")
        /// A batch's timestamp is further from the broker's clock than the topic's `message.timestamp.*` allow.
        public static let invalidTimestamp = Code("invalidTimestamp")
        /// An append to, or the creation of, a topic that belongs to the broker (`TopicNames.isInternal`)
        /// through the public entry points; only `appendInternal` / `createInternalTopic` may.
        public static let internalTopic = Code("internalTopic")
        /// The log or manager was closed, or an earlier write failure left the log unusable.
        public static let closed = Code("closed")

        public var description: String { self.name }
    }

    public var code: Code
    public var message: String
    /// The file or directory involved, when there is one.
    public var path: String?
    /// The `errno` of the failed system call, when one failed.
    public var errno: Int32?

    public init(code: Code, message: String, path: String? = nil, errno: Int32? = nil) {
        self.code = code
        self.message = message
        self.path = path
        self.errno = errno
    }

    /// An error for a failed system call `operation`, classifying ENOSPC/EDQUOT as `diskFull`.
    public static func systemCall(_ operation: String, path: String?, errno errorNumber: Int32) -> StorageError {
        let isDiskFull = errorNumber == ENOSPC || errorNumber == EDQUOT
        let reason = String(cString: strerror(errorNumber))
        return StorageError(
            code: isDiskFull ? .diskFull : .ioFailure, message: "\(operation) failed: \(reason)",
            path: path, errno: errorNumber
        )
    }

    static func offsetOutOfRange(_ offset: Offset, logStartOffset: Offset, logEndOffset: Offset) -> StorageError {
        StorageError(
            code: .offsetOutOfRange,
            message: "offset \(offset) is outside the log [\(logStartOffset), \(logEndOffset)]"
        )
    }

    /// The same error, naming `path` when it did not name a file yet.
    func at(_ path: String) -> StorageError {
        var copy = self
        if copy.path == nil { copy.path = path }
        return copy
    }

    public var description: String {
        var text = "\(self.code): \(self.message)"
        if let path = self.path { text += " (\(path))" }
        if let errorNumber = self.errno { text += " [errno \(errorNumber)]" }
        return text
    }
}
