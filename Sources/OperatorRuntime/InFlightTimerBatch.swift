import Foundation
import LogStore

/// A Timers batch whose outputs are being appended: `<timers file>.inflight` next to the instance's timers
/// file (`timers.json.inflight`, `timers.1.json.inflight`, ...), JSON inside LogStore's `ChecksummedFile`
/// envelope like the timers file itself:
///
/// ```
/// {"timers": [{"key": [..] or null, "timeMs": N}, ...], "intent": "<OutputIntent text, with no input runs>"}
/// ```
///
/// Written (atomically) before the outputs, removed once the delivered timers are retired in the timers
/// file. Timers have no offsets to commit, so this file plays the part the commit metadata plays for
/// Records batches (`OutputIntent`): after a broker crash, if the delivered timers are all still pending,
/// the runtime delivers exactly them again first and drops the outputs that landed; if they are retired,
/// the batch was complete and the file is only removed.
struct InFlightTimerBatch: Codable, Equatable, Sendable {
    var timers: [OperatorTimer]
    var intent: String

    static func fileName(forTimersFile timersFile: String) -> String {
        timersFile + ".inflight"
    }
}

extension DeploymentStore {
    func saveInFlightTimers(_ batch: InFlightTimerBatch, of name: String, timersFile: String) throws {
        let path = "\(self.directory(of: name))/\(InFlightTimerBatch.fileName(forTimersFile: timersFile))"
        try Self.writeAtomically(Data(ChecksummedFile.wrap(Array(try JSONEncoder().encode(batch)))), to: path)
    }

    /// The in-flight Timers batch, or nil when there is none, or (reported) when it is damaged: the timers
    /// then simply fire again, as before this file existed.
    func loadInFlightTimers(of name: String, timersFile: String) -> InFlightTimerBatch? {
        let path = "\(self.directory(of: name))/\(InFlightTimerBatch.fileName(forTimersFile: timersFile))"
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: path)) else { return nil }
        do {
            let contents = try ChecksummedFile.unwrap(Array(data), path: path)
            return try JSONDecoder().decode(InFlightTimerBatch.self, from: Data(contents.payload))
        } catch {
            self.onError("operator \(name): ignoring its in-flight timers batch in \(path): \(error)")
            return nil
        }
    }

    /// Not synced: a removal lost to a power cut brings back a file whose timers are retired, which the
    /// next start recognises as a finished batch.
    func removeInFlightTimers(of name: String, timersFile: String) {
        self.remove("\(self.directory(of: name))/\(InFlightTimerBatch.fileName(forTimersFile: timersFile))")
    }
}
