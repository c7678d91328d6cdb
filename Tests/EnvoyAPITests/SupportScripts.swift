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

extension SupportScripts {
    /// Like `run`, but suspends instead of blocking a thread while the script runs, so a server in
    /// the same process keeps serving it. Output goes through a file (no pipe to fill up).
    static func runAsync(_ script: String, _ arguments: [String]) async throws -> Result {
        let outputPath = temporaryFile("\(script).out")
        guard FileManager.default.createFile(atPath: outputPath.path, contents: nil) else {
            throw CocoaError(.fileWriteUnknown)
        }
        defer { try? FileManager.default.removeItem(at: outputPath) }
        let output = try FileHandle(forWritingTo: outputPath)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", directory.appendingPathComponent(script).path] + arguments
        process.standardOutput = output
        process.standardError = output
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            process.terminationHandler = { _ in continuation.resume() }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
        try output.close()
        let text = try String(contentsOf: outputPath, encoding: .utf8)
        return Result(status: process.terminationStatus, output: text)
    }
}
