import Foundation
import XCTest

/// The coordinator sits on storage (see the layer table in the architecture notes): it may import the value
/// types, the record format, the log store and Synchronization, never NIO, Foundation or the wire codec.
/// (`Tests/ArchitectureTests` needs a `GroupCoordinator` row with the same set.)
final class GroupCoordinatorImportTests: XCTestCase {
    func testSourcesImportOnlyAllowedModules() throws {
        let allowedModules: Set<String> = ["SluiceModel", "RecordFormat", "LogStore", "Synchronization"]
        let sourcesDirectory = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/GroupCoordinator")
        let files = try FileManager.default.contentsOfDirectory(atPath: sourcesDirectory.path)
            .filter { $0.hasSuffix(".swift") }
        XCTAssertFalse(files.isEmpty)
        for file in files {
            let text = try String(contentsOf: sourcesDirectory.appendingPathComponent(file), encoding: .utf8)
            for line in text.split(separator: "\n") {
                let words = line.split(separator: " ")
                guard words.first == "import", words.count >= 2 else { continue }
                XCTAssertTrue(allowedModules.contains(String(words[1])), "\(file) imports \(words[1])")
            }
        }
    }
}
