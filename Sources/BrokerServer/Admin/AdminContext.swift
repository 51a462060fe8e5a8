import GroupCoordinator
import LogStore
import SluiceModel

/// What the admin API reads and drives: the operators (through `OperatorControl`), the logs and the
/// groups (for the topology, lag and metrics), and the broker's clock.
struct AdminContext: Sendable {
    var control: OperatorControl
    var logs: LogManager
    var groups: GroupCoordinator
    var clock: SluiceClock
    /// The Prometheus registry and what it reads when scraped (`GET /metrics`).
    var metrics: BrokerMetrics
    /// Samples of stream end offsets and operator counters, shared by all requests: the topology's rates.
    let rates: RateTracker

    init(
        control: OperatorControl, logs: LogManager, groups: GroupCoordinator, clock: SluiceClock, metrics: BrokerMetrics
    ) {
        self.control = control
        self.logs = logs
        self.groups = groups
        self.clock = clock
        self.metrics = metrics
        self.rates = RateTracker(clock: clock)
    }
}
