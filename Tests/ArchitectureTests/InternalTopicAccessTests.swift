import Foundation
import XCTest

/// Guards the rule that internal topics (`__` names) belong to the broker: LogStore refuses them in `append`
/// and `createTopic`, and the two entry points that take them are called by the group coordinator's offset
/// store only. A new caller elsewhere (an operator output path, a request handler) fails here, naming the line.
final class InternalTopicAccessTests: XCTestCase {
    private static let entryPoints = [".appendInternal(", ".createInternalTopic("]
    /// The modules that may call them: LogStore defines them, GroupCoordinator owns the offsets log.
    private static let allowedModules: Set<String> = ["LogStore", "GroupCoordinator"]

    func testOnlyTheOffsetStoreWritesInternalTopics() throws {
        let sources = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources")
        var violations: [String] = []
        let modules = try FileManager.default.contentsOfDirectory(atPath: sources.path).filter { !$0.hasPrefix(".") }
        for module in modules where !Self.allowedModules.contains(module) {
            let directory = sources.appendingPathComponent(module)
            guard let enumerator = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil) else {
                continue
            }
            for case let file as URL in enumerator where file.pathExtension == "swift" {
                let text = try String(contentsOf: file, encoding: .utf8)
                for (index, line) in text.components(separatedBy: "\n").enumerated()
                where Self.entryPoints.contains(where: { line.contains($0) }) {
                    violations.append("\(module)/\(file.lastPathComponent):\(index + 1)")
                }
            }
        }
        XCTAssertEqual(violations, [], "only GroupCoordinator may append to or create internal topics")
    }
}
