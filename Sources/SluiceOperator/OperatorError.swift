/// An error of the SDK: bad input from the runtime, a refused call from the operator's code, or a failed system call.
///
/// `code` is opaque (compare it with the static members), so new codes do not break callers; `message` says what
/// happened and where, `errno` is set when a system call failed.
public struct OperatorError: Error, CustomStringConvertible, Equatable {
    public struct Code: Hashable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { self.name }

        /// A frame or body that breaks the protocol's encoding or bounds.
        public static let malformedFrame = Code("malformed frame")
        /// A message the conversation does not allow at this point (Records before Hello, an unknown type).
        public static let unexpectedMessage = Code("unexpected message")
        /// Hello carried a protocol version this SDK does not speak.
        public static let unsupportedVersion = Code("unsupported protocol version")
        /// `produce` named a stream that the operator's metadata does not declare as an output.
        public static let undeclaredStream = Code("undeclared output stream")
        /// `produce` was called outside `processRecord` / `processTimer` (in `initialize`): outputs must belong
        /// to a batch to be atomic, and `initialize` runs again at every start.
        public static let notInBatch = Code("produce outside a batch")
        /// A value, key, header or name too large for its field or for the 64 MiB BatchResult frame.
        public static let tooLarge = Code("too large")
        /// Metadata the protocol cannot carry (a name over 65,535 bytes, too many streams).
        public static let invalidMetadata = Code("invalid metadata")
        /// The operator's `initialize` threw; the runtime was told with Failed (batch 0).
        public static let initializeFailed = Code("initialize failed")
        /// The runtime closed the operator's input between frames without sending Stop: it is gone.
        public static let inputClosed = Code("input closed")
        /// `read(2)` or `write(2)` failed.
        public static let systemCallFailed = Code("system call failed")
    }

    public let code: Code
    public let message: String
    /// The `errno` of a failed system call, else nil.
    public let errno: Int32?

    public init(_ code: Code, _ message: String, errno: Int32? = nil) {
        self.code = code
        self.message = message
        self.errno = errno
    }

    public var description: String {
        if let errno = self.errno {
            return "\(self.code): \(self.message) (errno \(errno))"
        }
        return "\(self.code): \(self.message)"
    }

    static func malformed(_ message: String) -> OperatorError {
        OperatorError(.malformedFrame, message)
    }
}
