import KafkaWire
import LogStore
import RecordFormat

/// How failures of the lower layers are told to Kafka clients.
enum ErrorMapping {
    static func errorCode(for error: Error) -> ErrorCode {
        if let storage = error as? StorageError { return self.errorCode(for: storage) }
        if let format = error as? RecordFormatError { return self.errorCode(for: format) }
        return .unknownServerError
    }

    static func errorCode(for error: StorageError) -> ErrorCode {
        switch error.code {
        case .offsetOutOfRange: return .offsetOutOfRange
        case .recordBatchTooLarge: return .messageTooLarge
        case .topicAlreadyExists: return .topicAlreadyExists
        case .unknownTopic: return .unknownTopicOrPartition
        case .invalidTopicName: return .invalidTopicException
        case .invalidPartitionCount: return .invalidPartitions
        case .invalidConfig: return .invalidConfig
        default: return .kafkaStorageError
        }
    }

    static func errorCode(for error: RecordFormatError) -> ErrorCode {
        switch error {
        case .unsupportedMagic: return .unsupportedForMessageFormat
        case .checksumMismatch, .truncated, .invalidBatchLength: return .corruptMessage
        case .invalidRecordCount, .unknownCompression, .malformedRecord, .decompressionFailed,
            .compressionFailed:
            return .invalidRecord
        }
    }

    /// The message a client sees next to the code (Produce v8+, CreateTopics v1+).
    static func message(for error: Error) -> String {
        if let storage = error as? StorageError { return storage.message }
        return "\(error)"
    }
}
