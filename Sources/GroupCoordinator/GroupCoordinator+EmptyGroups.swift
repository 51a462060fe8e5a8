/// Exact timers for the admin requests, and the protocol type of groups that emptied.
extension GroupCoordinator {
    /// Runs the group's timers up to now before a request reads its state. `tick()` runs every ~100 ms, so
    /// without this a member whose session ended a moment ago would still be listed, and a DeleteGroups sent
    /// just after the deadline would get NON_EMPTY_GROUP; Kafka expires sessions at their deadline.
    func catchUpTimers(_ slot: GroupSlot) {
        self.run(on: slot) { machine, nowMs in machine.tick(nowMs: nowMs) }
    }

    /// Kafka keeps an emptied group's protocol type (`consumer`) for as long as the group has offsets; clients
    /// (librdkafka, Java) report a group without one as a *simple* group. The state machine keeps it while it
    /// lives; after it is dropped as idle, this bounded memory keeps it. Not persisted: after a restart a group
    /// known only by its offsets has no protocol type, as a simple consumer's group.
    func rememberProtocolType(_ protocolType: String, ofEmptyGroup groupId: String) {
        self.emptyGroupProtocolTypes.withLock { types in
            if types.count >= self.configuration.groupCountMax {
                types = types.filter { self.offsetStore.hasOffsets(groupId: $0.key) }
            }
            guard types.count < self.configuration.groupCountMax else { return }
            types[groupId] = protocolType
        }
    }

    /// The protocol type remembered for a dropped group with offsets, "" when none.
    func protocolType(ofEmptyGroup groupId: String) -> String {
        self.emptyGroupProtocolTypes.withLock { $0[groupId] } ?? ""
    }

    func forgetProtocolType(ofEmptyGroup groupId: String) {
        _ = self.emptyGroupProtocolTypes.withLock { $0.removeValue(forKey: groupId) }
    }
}
