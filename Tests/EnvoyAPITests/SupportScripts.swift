import Foundation

/// Runs the Python checks in `Support/` (they need `pip install xds-protos protobuf`).
///
/// A missing interpreter or package is a failure, never a skip: the scripts exit 2 with a message
/// saying what to install, and the tests expect 0.
enum SupportScripts {
    struct Result {
        let status: Int32
        let output: String
    }

    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()
        .appendingPathComponent("Support")

    static var descriptorSet: URL { directory.appendingPathComponent("envoy-subset.pb") }

    static func run(_ script: String, _ arguments: [String]) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", directory.appendingPathComponent(script).path] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }

    /// A fresh file path under the temporary directory.
    static func temporaryFile(_ name: String) -> URL {
        FileManager.default.temporaryDirectory
            .appendingPathComponent("envoyapi-tests-\(UUID().uuidString)-\(name)")
    }
}
