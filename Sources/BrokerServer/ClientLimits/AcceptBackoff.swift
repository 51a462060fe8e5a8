import Logging
import NIOCore
import OperatorRuntime

#if canImport(Glibc)
import Glibc
#endif

/// How long a listener stops accepting after an accept failed for lack of resources: 10 ms after the
/// first failure, doubling with each failure in a row up to 1 s, back to 10 ms after an accept succeeds.
struct AcceptBackoffPolicy: Sendable {
    static let initialDelayMs: Int64 = 10
    static let maximumDelayMs: Int64 = 1000

    private(set) var nextDelayMs = Self.initialDelayMs

    /// The pause after this failure; the next one will be twice as long, up to the maximum.
    mutating func failed() -> Int64 {
        defer { self.nextDelayMs = min(self.nextDelayMs * 2, Self.maximumDelayMs) }
        return self.nextDelayMs
    }

    mutating func succeeded() {
        self.nextDelayMs = Self.initialDelayMs
    }

    /// Accept failures that go away by themselves when other connections close: out of descriptors (per
    /// process or system-wide) or of kernel memory. Retrying them at once only spins.
    static func isResourceExhaustion(_ error: Error) -> Bool {
        guard let ioError = error as? IOError else { return false }
        return [EMFILE, ENFILE, ENOBUFS, ENOMEM].contains(ioError.errnoCode)
    }
}

/// On a listener's server channel: when accept fails for lack of descriptors, stops accepting for the
/// policy's delay. The `ServerBootstrap.bind` that returns a future installs no backoff (NIO adds its
/// `AcceptBackoffHandler` only on the async `NIOAsyncChannel` path), and holding back `read()` alone, as
/// NIO's handler does, is not enough: when the first accept of a wake-up fails, the server channel keeps
/// its read pending (only a successful accept clears it), never asks the pipeline to read again, and stays
/// registered for readability, so the waiting connection wakes the event loop again at once and it spins
/// at a full core. Turning `autoRead` off unregisters the socket from the selector; turning it back on
/// after the delay accepts again. The failures are logged at most a few times a minute, with how many were
/// left out.
final class ListenerAcceptBackoff: ChannelDuplexHandler {
    typealias InboundIn = NIOAny
    typealias OutboundIn = NIOAny

    private var policy = AcceptBackoffPolicy()
    private var resumeTask: Scheduled<Void>?
    private var readHeldBack = false
    private var logLimiter = LogLineLimiter(linesPerWindowMax: 5, windowMs: 60_000)
    private let listenerName: String
    private let logger: Logger
    private let nowNs: @Sendable () -> UInt64
    private let onBackoff: @Sendable () -> Void

    init(
        listenerName: String, logger: Logger,
        nowNs: @escaping @Sendable () -> UInt64 = { NIODeadline.now().uptimeNanoseconds },
        onBackoff: @escaping @Sendable () -> Void = {}
    ) {
        self.listenerName = listenerName
        self.logger = logger
        self.nowNs = nowNs
        self.onBackoff = onBackoff
    }

    var isBackingOff: Bool { self.resumeTask != nil }

    func read(context: ChannelHandlerContext) {
        guard self.resumeTask == nil else {
            self.readHeldBack = true
            return
        }
        context.read()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.policy.succeeded()
        context.fireChannelRead(data)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        guard AcceptBackoffPolicy.isResourceExhaustion(error) else {
            context.fireErrorCaught(error)
            return
        }
        self.onBackoff()
        guard self.resumeTask == nil else { return }
        let delayMs = self.policy.failed()
        if case .write(let suppressed) = self.logLimiter.admit(nowNs: self.nowNs()) {
            self.logger.warning("accepting a connection failed; not accepting for \(delayMs) ms", metadata: [
                "listener": "\(self.listenerName)", "reason": "\(error)", "similar_lines_left_out": "\(suppressed)",
            ])
        }
        try? context.channel.syncOptions?.setOption(ChannelOptions.autoRead, value: false)
        let loopBoundSelf = NIOLoopBound(self, eventLoop: context.eventLoop)
        let loopBoundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
        self.resumeTask = context.eventLoop.scheduleTask(in: .milliseconds(delayMs)) {
            loopBoundSelf.value.resume(context: loopBoundContext.value)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        if self.resumeTask != nil {
            try? context.channel.syncOptions?.setOption(ChannelOptions.autoRead, value: true)
        }
        self.resumeTask?.cancel()
        self.resumeTask = nil
    }

    private func resume(context: ChannelHandlerContext) {
        self.resumeTask = nil
        try? context.channel.syncOptions?.setOption(ChannelOptions.autoRead, value: true)  // reads again
        guard self.readHeldBack else { return }
        self.readHeldBack = false
        context.read()
    }
}
