import Foundation
import XCTest

/// The record format sits just above the value types: it may import only them and the C shim
/// (see the layer table in the architecture notes), never NIO, Foundation or a higher layer.
final class RecordFormatImportTests: XCTestCase {
    func testSourcesImportOnlyAllowedModules() throws {
        let allowedModules: Set<String> = ["SluiceModel", "CSluiceNative"]
        let sourcesDirectory = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/RecordFormat")
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
