import Foundation
import XCTest

/// Guards the layer rules of Docs/architecture.md: each module may import only the modules of the
/// layers below it (and the listed system and package modules). A new import that breaks the
/// layering fails here, naming the file and the line.
final class LayerImportTests: XCTestCase {
    /// What each module may import. System modules (Glibc, Foundation, Dispatch, Synchronization,
    /// and the C shim) are listed per module, because storage and codecs must stay free of networking.
    private static let allowedImports: [String: Set<String>] = [
        "SluiceModel": ["Glibc", "Darwin", "Synchronization"],
        // Authentication's pure logic: hashes from swift-crypto, base64 from Foundation; no sockets, no files.
        "SluiceSecurity": ["Crypto", "Foundation"],
        // The Swift operator SDK stands alone: an operator links nothing of the broker.
        "SluiceOperator": ["Glibc", "Darwin"],
        "RecordFormat": ["SluiceModel", "CSluiceNative", "Glibc", "Darwin", "Foundation"],
        // SluiceSecurity: the ACL model's wire form (`Acls+Security.swift`).
        "KafkaWire": ["SluiceModel", "SluiceSecurity", "RecordFormat", "NIOCore"],
        "LogStore": ["SluiceModel", "RecordFormat", "Glibc", "Darwin", "Foundation", "Dispatch", "Synchronization"],
        "GroupCoordinator": ["SluiceModel", "RecordFormat", "LogStore", "Synchronization", "Glibc", "Darwin"],
        "OperatorRuntime": [
            "SluiceModel", "RecordFormat", "LogStore", "GroupCoordinator", "Foundation", "Glibc", "Darwin", "Dispatch",
            "Synchronization",
            // The swift-metrics API only; the backend is the broker's choice.
            "CoreMetrics",
            // `sluice_spawn`: confining an operator process between fork and exec.
            "CSluiceNative",
        ],
        "SluiceClient": [
            "SluiceModel", "RecordFormat", "KafkaWire", "NIOCore", "NIOPosix", "NIOHTTP1", "Glibc", "Darwin",
            "Foundation", "Synchronization", "Logging", "SluiceSecurity", "NIOSSL",
        ],
        "BrokerServer": [
            "SluiceModel", "RecordFormat", "KafkaWire", "LogStore", "GroupCoordinator", "OperatorRuntime", "NIOCore",
            "NIOPosix", "NIOHTTP1", "Logging", "ServiceLifecycle", "Glibc", "Darwin", "Foundation", "Dispatch", "Synchronization",
            "CoreMetrics", "Prometheus", "SluiceSecurity", "NIOSSL", "NIOTLS",
            // SHA-256 of the admin API's tokens.
            "Crypto",
        ],
        "sluice": [
            "SluiceModel", "RecordFormat", "KafkaWire", "LogStore", "GroupCoordinator", "OperatorRuntime",
            "SluiceClient", "BrokerServer", "SluiceSecurity", "NIOCore", "NIOPosix", "NIOHTTP1", "Logging", "ServiceLifecycle", "ArgumentParser", "Glibc", "Darwin", "Foundation",
            "Dispatch", "Synchronization",
        ],
    ]

    private var sourcesDirectory: URL {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources")
    }

    func testEveryModuleImportsOnlyLowerLayers() throws {
        var violations: [String] = []
        for (module, allowed) in Self.allowedImports {
            for file in try self.swiftFiles(in: self.sourcesDirectory.appendingPathComponent(module)) {
                let text = try String(contentsOf: file, encoding: .utf8)
                for (index, line) in text.components(separatedBy: "\n").enumerated() {
                    guard let imported = Self.importedModule(in: line), !allowed.contains(imported) else { continue }
                    violations.append("\(module)/\(file.lastPathComponent):\(index + 1) imports \(imported)")
                }
            }
        }
        XCTAssertEqual(violations, [], "layer rule violations")
    }

    func testEveryModuleIsCovered() throws {
        let modules = try FileManager.default.contentsOfDirectory(atPath: self.sourcesDirectory.path)
            .filter { !$0.hasPrefix(".") && $0 != "CSluiceNative" }
        for module in modules {
            XCTAssertNotNil(Self.allowedImports[module], "module \(module) has no entry in the layer table")
        }
    }

    func testEveryModuleHasAReadme() throws {
        for module in Self.allowedImports.keys where module != "sluice" {
            let readme = self.sourcesDirectory.appendingPathComponent(module).appendingPathComponent("README.md")
            XCTAssertTrue(FileManager.default.fileExists(atPath: readme.path), "\(module) has no README.md")
        }
    }

    /// The module named by an `import` line (also `@testable import`, `import struct X.Y`), or nil.
    static func importedModule(in line: String) -> String? {
        var words = line.trimmingCharacters(in: .whitespaces).split(separator: " ").map(String.init)
        while let first = words.first, first.hasPrefix("@") || first == "public" || first == "internal" {
            words.removeFirst()
        }
        guard words.first == "import", words.count >= 2 else { return nil }
        let kinds: Set<String> = ["struct", "class", "enum", "protocol", "func", "var", "let", "typealias"]
        let path = kinds.contains(words[1]) && words.count >= 3 ? words[2] : words[1]
        return String(path.split(separator: ".").first ?? "")
    }

    private func swiftFiles(in directory: URL) throws -> [URL] {
        guard let enumerator = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil) else {
            return []
        }
        return enumerator.compactMap { $0 as? URL }.filter { $0.pathExtension == "swift" }
    }
}
