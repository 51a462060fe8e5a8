import KafkaWire
import LogStore
import RecordFormat

/// How failures of the lower layers are told to Kafka clients.
enum ErrorMapping {
    static func errorCode(for error: Error) -> ErrorCode {
        if let storage = error as? StorageError { return self.errorCode(for: storage) }
        if let format = error as? RecordFormatError { return self.errorCode(for: format) }
        if let producerState = error as? ProducerStateError { return self.errorCode(for: producerState) }
        return .unknownServerError
    }

    /// Both sequence and epoch errors are what Kafka answers, so clients react as they do with Kafka: librdkafka
    /// treats INVALID_PRODUCER_EPOCH as fatal (the producer was fenced) and OUT_OF_ORDER_SEQUENCE_NUMBER as a
    /// sign of lost messages.
    static func errorCode(for error: ProducerStateError) -> ErrorCode {
        switch error.code {
        case .outOfOrderSequence: return .outOfOrderSequenceNumber
        case .invalidProducerEpoch: return .invalidProducerEpoch
        case .invalidIdempotentBatch: return .invalidRecord
        case .invalidTransactionState: return .invalidTxnState
        case .invalidControlBatch: return .invalidRecord
        default: return .unknownServerError
        }
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
        case .invalidTimestamp: return .invalidTimestamp
        case .corruptMessage: return .corruptMessage
        case .internalTopic: return .invalidTopicException
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
        if let producerState = error as? ProducerStateError { return producerState.message }
        return "\(error)"
    }
}
