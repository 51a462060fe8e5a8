import Logging
import NIOCore
import NIOEmbedded
import Prometheus
import XCTest

@testable import BrokerServer

#if canImport(Glibc)
import Glibc
#endif

/// The idle clock (`IdleConnectionCloser`, time moved by `EmbeddedEventLoop.advanceTime`), the connection
/// limits (`ConnectionLimiter`) and the accept backoff of a listener (`ListenerAcceptBackoff`).
final class ConnectionLimitsTests: XCTestCase {
    // MARK: - Idle connections

    func testAConnectionWithoutRequestsClosesAfterTheIdleTimeout() throws {
        let channel = try Self.makeIdleChannel(idleMs: 1000)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(999))
        XCTAssertTrue(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(1))
        XCTAssertFalse(channel.isActive, "no request for 1 s")
    }

    func testARequestInFlightKeepsTheConnectionOpenAndItsAnswerRestartsTheClock() throws {
        let channel = try Self.makeIdleChannel(idleMs: 1000)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(900))
        try channel.writeInbound(ByteBuffer(bytes: [1, 2, 3]))  // one whole request (a long-polling fetch)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(30_000))
        XCTAssertTrue(channel.isActive, "a request in flight is not idleness")
        channel.pipeline.triggerUserOutboundEvent(KafkaRequestAnswered(), promise: nil)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(999))
        XCTAssertTrue(channel.isActive, "the clock starts again from the answer")
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(1))
        XCTAssertFalse(channel.isActive)
    }

    func testAFrameThatNeverCompletesDoesNotCountAsActivity() throws {
        // The frame reader in front, with a receive timeout far away: only the idle clock can close this.
        let pool = RequestMemoryPool(budgetBytes: 1 << 20)
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(KafkaFrameReader(
            maximumFrameSizeBytes: 1 << 20, pool: pool, receiveTimeoutMs: 3_600_000, logger: Logger(label: "test")
        ))
        try channel.pipeline.syncOperations.addHandler(IdleConnectionCloser(connectionsMaxIdleMs: 1000, logger: Logger(label: "test")))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9092)).wait()
        try channel.writeInbound(KafkaFrameReaderTests.bytes(sizePrefix: 1000, bodyBytes: 1))
        for _ in 0..<4 {  // a byte every 200 ms: bytes arrive, no request does
            channel.embeddedEventLoop.advanceTime(by: .milliseconds(200))
            try channel.writeInbound(KafkaFrameReaderTests.body(bytes: 1))
        }
        XCTAssertTrue(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(200))
        XCTAssertFalse(channel.isActive, "1 s without a whole request, however many bytes trickled in")
        XCTAssertEqual(pool.usedBytes, 0, "the partial frame's bytes are returned")
    }

    // MARK: - Connection limits

    func testTheBrokerWideLimitRefusesTheConnectionOverItUntilOneCloses() {
        let limiter = ConnectionLimiter(connectionsMax: 2, connectionsPerAddressMax: 0)
        XCTAssertEqual(limiter.admit(address: "10.0.0.1"), .admitted)
        XCTAssertEqual(limiter.admit(address: "10.0.0.2"), .admitted)
        XCTAssertEqual(limiter.admit(address: "10.0.0.3"), .refusedTotal(limit: 2))
        XCTAssertEqual(limiter.refusedTotalCount, 1)
        limiter.release(address: "10.0.0.1")
        XCTAssertEqual(limiter.admit(address: "10.0.0.3"), .admitted)
        XCTAssertEqual(limiter.openCount, 2)
    }

    func testThePerAddressLimitRefusesOnlyThatAddress() {
        let limiter = ConnectionLimiter(connectionsMax: 100, connectionsPerAddressMax: 2)
        XCTAssertEqual(limiter.admit(address: "10.0.0.1"), .admitted)
        XCTAssertEqual(limiter.admit(address: "10.0.0.1"), .admitted)
        XCTAssertEqual(limiter.admit(address: "10.0.0.1"), .refusedPerAddress(limit: 2))
        XCTAssertEqual(limiter.admit(address: "10.0.0.2"), .admitted, "another address is not affected")
        limiter.release(address: "10.0.0.1")
        XCTAssertEqual(limiter.admit(address: "10.0.0.1"), .admitted)
        XCTAssertEqual(limiter.refusedPerAddressCount, 1)
    }

    func testZeroSetsNoLimit() {
        let limiter = ConnectionLimiter(connectionsMax: 0, connectionsPerAddressMax: 0)
        for _ in 0..<1000 { XCTAssertEqual(limiter.admit(address: "10.0.0.1"), .admitted) }
    }

    // MARK: - Accept backoff

    func testTheBackoffDoublesUpToOneSecondAndResetsOnSuccess() {
        var policy = AcceptBackoffPolicy()
        let delays = (0..<9).map { _ in policy.failed() }
        XCTAssertEqual(delays, [10, 20, 40, 80, 160, 320, 640, 1000, 1000])
        policy.succeeded()
        XCTAssertEqual(policy.failed(), 10)
    }

    func testAnAcceptFailingForDescriptorsHoldsBackTheNextAcceptForTheBackoff() throws {
        let (channel, reads) = try Self.makeListenerChannel()
        channel.pipeline.fireErrorCaught(IOError(errnoCode: EMFILE, reason: "accept"))
        channel.read()
        XCTAssertEqual(reads.count, 0, "no accept right after EMFILE: retrying at once is the spin")
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(9))
        XCTAssertEqual(reads.count, 0)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(1))
        XCTAssertEqual(reads.count, 1, "accepting again after 10 ms")

        channel.pipeline.fireErrorCaught(IOError(errnoCode: ENFILE, reason: "accept"))
        channel.read()
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(19))
        XCTAssertEqual(reads.count, 1, "the second failure in a row waits 20 ms")
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(1))
        XCTAssertEqual(reads.count, 2)
        XCTAssertNoThrow(try channel.throwIfErrorCaught(), "the failures are handled, not passed on")
    }

    func testOtherErrorsPassThroughWithoutBackoff() throws {
        let (channel, reads) = try Self.makeListenerChannel()
        channel.pipeline.fireErrorCaught(IOError(errnoCode: ECONNABORTED, reason: "accept"))
        channel.read()
        XCTAssertEqual(reads.count, 1)
        XCTAssertThrowsError(try channel.throwIfErrorCaught())
    }

    // MARK: - Metrics

    func testTheLimitsShowInTheMetrics() {
        let registry = PrometheusCollectorRegistry()
        var collector = MetricsCollector(factory: BrokerMetrics.makeFactory(registry: registry))
        var config = BrokerConfig()
        config.maxConnections = 1
        let limits = ClientLimits(config: config)
        limits.requestMemory.adjust(byBytes: 12_345)
        XCTAssertEqual(limits.connections.admit(address: "10.0.0.1"), .admitted)
        XCTAssertEqual(limits.connections.admit(address: "10.0.0.1"), .refusedTotal(limit: 1))
        limits.countIdleClose()
        limits.countAcceptBackoff()
        limits.countAcceptBackoff()
        collector.collect(MetricsSamples(openKafkaConnections: 1, clientLimits: limits.totals))
        let text = registry.emitToString()
        for line in [
            "sluice_request_memory_used_bytes 12345.0", "sluice_request_memory_budget_bytes 268435456.0",
            #"sluice_kafka_connections_refused_total{limit="max_connections"} 1"#,
            #"sluice_kafka_connections_refused_total{limit="max_connections_per_ip"} 0"#,
            #"sluice_kafka_connections_closed_total{reason="idle"} 1"#, "sluice_kafka_accept_failures_total 2",
        ] {
            XCTAssertTrue(text.contains(line), "missing \(line) in:\n\(text)")
        }
    }

    // MARK: - Helpers

    static func makeIdleChannel(idleMs: Int64) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(IdleConnectionCloser(connectionsMaxIdleMs: idleMs, logger: Logger(label: "test")))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9092)).wait()
        return channel
    }

    static func makeListenerChannel() throws -> (EmbeddedChannel, KafkaFrameReaderTests.ReadCounter) {
        let reads = KafkaFrameReaderTests.ReadCounter()
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(reads)
        try channel.pipeline.syncOperations.addHandler(ListenerAcceptBackoff(
            listenerName: "PLAINTEXT", logger: Logger(label: "test"), nowNs: { 0 }
        ))
        return (channel, reads)
    }
}
