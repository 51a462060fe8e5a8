/// Keeps a connection's responses in request order, as Kafka requires, while letting requests finish
/// out of order inside the broker (a produce waiting for fsync, a fetch waiting for data, a quick
/// metadata request behind them). Each request reserves a slot; when its response is ready the
/// sequencer says which responses can now be written, in order.
///
/// It also bounds the requests in flight per connection: when `shouldPauseReading` is true the
/// handler stops reading from the socket, so a client that pipelines without limit cannot make the
/// broker buffer without limit.
struct ResponseSequencer<Response> {
    enum Completion {
        /// A response to write.
        case respond(Response)
        /// A request that gets no response (a produce with acks=0), whose slot is simply released.
        case noResponse
    }

    private var nextSlotToReserve: UInt64 = 0
    private var nextSlotToWrite: UInt64 = 0
    private var completed: [UInt64: Completion] = [:]
    let inFlightRequestsMax: Int

    init(inFlightRequestsMax: Int) {
        precondition(inFlightRequestsMax > 0, "at least one request must be allowed in flight")
        self.inFlightRequestsMax = inFlightRequestsMax
    }

    var inFlightCount: Int { Int(self.nextSlotToReserve - self.nextSlotToWrite) }

    var shouldPauseReading: Bool { self.inFlightCount >= self.inFlightRequestsMax }

    /// Whether the response of `slot` has been handed out for writing.
    func isWritten(_ slot: UInt64) -> Bool { slot < self.nextSlotToWrite }

    /// Reserves the next slot, in arrival order.
    mutating func reserve() -> UInt64 {
        defer { self.nextSlotToReserve += 1 }
        return self.nextSlotToReserve
    }

    /// Records the completion of `slot` and returns the responses that may now be written, in order.
    mutating func complete(_ slot: UInt64, with completion: Completion) -> [Response] {
        precondition(slot >= self.nextSlotToWrite && slot < self.nextSlotToReserve, "slot \(slot) is not in flight")
        precondition(self.completed[slot] == nil, "slot \(slot) completed twice")
        self.completed[slot] = completion
        var writable: [Response] = []
        while let next = self.completed.removeValue(forKey: self.nextSlotToWrite) {
            self.nextSlotToWrite += 1
            if case .respond(let response) = next { writable.append(response) }
        }
        return writable
    }
}
