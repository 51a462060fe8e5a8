import Foundation

/// Writes the Python SDK the binary carries (`EmbeddedPythonSDK`) to `<data>/sdk/python/sluice/` at
/// every start, so deployed Python operators import the SDK of the broker that runs them.
enum PythonSDKInstaller {
    /// Installs the SDK and returns the directory to put on `PYTHONPATH`.
    static func install(dataDirectory: String) throws -> String {
        let root = URL(fileURLWithPath: dataDirectory).appendingPathComponent("sdk/python")
        let package = root.appendingPathComponent("sluice")
        try FileManager.default.createDirectory(at: package, withIntermediateDirectories: true)
        for (name, encoded) in EmbeddedPythonSDK.files {
            guard let contents = Data(base64Encoded: encoded) else {
                preconditionFailure("the embedded SDK file \(name) is not base64: regenerate it")
            }
            try contents.write(to: package.appendingPathComponent(name), options: .atomic)
        }
        return root.path
    }
}
