import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import OperatorRuntime
import Synchronization

/// Sends finished spans to an OTLP/HTTP collector as JSON. Operators hand spans over through `enqueue`,
/// which only appends to a bounded queue: a slow or absent collector never holds up an operator. A loop
/// drains the queue every `flushIntervalMs` in POSTs of at most `batchSpansMax` spans; spans that do not
/// fit the queue, or whose POST fails, are dropped and counted.
final class OTLPExporter: Sendable {
    static let queueSpansMax = 10_000
    static let batchSpansMax = 512
    static let flushIntervalMs: UInt64 = 200
    static let requestTimeoutMs: Int64 = 5000

    struct Counters: Equatable {
        var exported: Int64 = 0
        var dropped: Int64 = 0
    }

    private struct State {
        var queue: [OperatorSpan] = []
        var counters = Counters()
        /// The last failure was logged; the next success logs that export resumed.
        var isFailing = false
    }

    let endpoint: OTLPEndpoint
    private let logger: Logger
    private let state = Mutex(State())

    init(endpoint: OTLPEndpoint, logger: Logger) {
        self.endpoint = endpoint
        self.logger = logger
    }

    var counters: Counters { self.state.withLock { $0.counters } }

    func enqueue(_ spans: [OperatorSpan]) {
        self.state.withLock { state in
            let room = max(0, Self.queueSpansMax - state.queue.count)
            state.queue.append(contentsOf: spans.prefix(room))
            state.counters.dropped += Int64(max(0, spans.count - room))
        }
    }

    /// Exports until cancelled.
    func run() async {
        while !Task.isCancelled {
            try? await Task.sleep(nanoseconds: Self.flushIntervalMs * 1_000_000)
            while let batch = self.takeBatch() {
                await self.export(batch)
            }
        }
    }

    private func takeBatch() -> [OperatorSpan]? {
        self.state.withLock { state in
            guard !state.queue.isEmpty else { return nil }
            let batch = Array(state.queue.prefix(Self.batchSpansMax))
            state.queue.removeFirst(batch.count)
            return batch
        }
    }

    private func export(_ spans: [OperatorSpan]) async {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        do {
            let body = try encoder.encode(OTLPTraceRequest(spans: spans))
            let status = try await self.post(Array(body))
            guard (200..<300).contains(status) else { throw OTLPExportError(message: "the collector answered HTTP \(status)") }
            self.noteResult(exported: spans.count, failure: nil)
        } catch {
            self.noteResult(exported: 0, failure: "\(error)", dropped: spans.count)
        }
    }

    private func noteResult(exported: Int, failure: String?, dropped: Int = 0) {
        let change: Bool = self.state.withLock { state in
            state.counters.exported += Int64(exported)
            state.counters.dropped += Int64(dropped)
            defer { state.isFailing = failure != nil }
            return state.isFailing != (failure != nil)
        }
        guard change else { return }
        if let failure {
            self.logger.warning("OTLP export to \(self.endpoint.host):\(self.endpoint.port) failed, dropping spans: \(failure)")
        } else {
            self.logger.info("OTLP export to \(self.endpoint.host):\(self.endpoint.port) works again")
        }
    }

    /// One POST on its own connection; the answer's status.
    private func post(_ body: [UInt8]) async throws -> Int {
        let group = MultiThreadedEventLoopGroup.singleton
        let status = group.any().makePromise(of: Int.self)
        let channel: Channel
        do {
            channel = try await ClientBootstrap(group: group)
                .connectTimeout(.milliseconds(Self.requestTimeoutMs))
                .channelInitializer { channel in
                    channel.pipeline.addHTTPClientHandlers().flatMap {
                        channel.pipeline.addHandler(OTLPStatusHandler(promise: status))
                    }
                }
                .connect(host: self.endpoint.host, port: self.endpoint.port)
                .get()
        } catch {
            status.fail(error)
            throw error
        }
        defer { channel.close(promise: nil) }
        var head = HTTPRequestHead(version: .http1_1, method: .POST, uri: self.endpoint.path)
        head.headers.add(name: "Host", value: "\(self.endpoint.host):\(self.endpoint.port)")
        head.headers.add(name: "Content-Type", value: "application/json")
        head.headers.add(name: "Content-Length", value: String(body.count))
        head.headers.add(name: "Connection", value: "close")
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        channel.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(bytes: body))), promise: nil)
        try await channel.writeAndFlush(HTTPClientRequestPart.end(nil)).get()
        let timeout = channel.eventLoop.scheduleTask(in: .milliseconds(Self.requestTimeoutMs)) {
            channel.close(promise: nil)
        }
        defer { timeout.cancel() }
        return try await status.futureResult.get()
    }
}

struct OTLPExportError: Error, CustomStringConvertible {
    var message: String
    var description: String { self.message }
}

/// Fulfils a promise with the status of the response head (the body is not needed); fails it if the
/// connection ends first.
private final class OTLPStatusHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPClientResponsePart
    /// Only touched on the channel's event loop; nil once fulfilled.
    private var promise: EventLoopPromise<Int>?

    init(promise: EventLoopPromise<Int>) {
        self.promise = promise
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let head) = self.unwrapInboundIn(data) {
            self.promise?.succeed(Int(head.status.code))
            self.promise = nil
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.promise?.fail(OTLPExportError(message: "the collector closed the connection without answering"))
        self.promise = nil
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        self.promise?.fail(error)
        self.promise = nil
        context.close(promise: nil)
    }
}
