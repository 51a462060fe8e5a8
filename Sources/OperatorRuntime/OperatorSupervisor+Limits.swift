import SluiceModel

/// An operator over its limits: its process is stopped by the kernel (or dies of a refused allocation), and
/// the supervisor stops it for good instead of restarting it into the same wall. The state is `stopped`
/// with the reason; `sluice resume` starts a new process, a swap (with higher limits) replaces it. The
/// broker and the other operators never notice: the limit is the operator's, not theirs.
extension OperatorSupervisor {
    /// The limits `version` runs under: its own, or the configured defaults for a record written before
    /// limits existed.
    func limits(ofVersion version: Int) -> OperatorLimits {
        self.record.version(version)?.limits ?? self.configuration.limitsDefault
    }

    /// The current process went over a limit: no restart, the reason in the status and the log.
    func stopOverLimit(_ instance: OperatorInstance, breach: LimitBreach) {
        self.current = nil
        _ = self.lifecycle.processExceededLimit()
        self.limitReason = breach.reason
        self.noteError("\(instance.label) (\(instance.exitStatus)) \(breach.reason)")
        self.publishStatus()
    }

    /// A restart's process went over a limit before it was Ready (`message` says which).
    func stopOverLimit(starting message: String) {
        _ = self.lifecycle.processExceededLimit()
        self.limitReason = message
        self.noteError("restart of v\(self.record.currentVersion): \(message)")
        self.publishStatus()
    }
}
