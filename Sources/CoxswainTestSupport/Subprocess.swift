import Foundation

/// Programs a test starts and waits for (Python scripts, `nsenter`, Envoy's tools).
public enum Subprocess {
    /// Runs `arguments` through `/usr/bin/env` (stdout and stderr together) and waits for it on a
    /// Dispatch thread: blocking one of the cooperative pool's threads (one per core) for a
    /// script's seconds would starve every other test of the process.
    public static func run(_ arguments: [String], environment: [String: String]? = nil) async throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        if let environment { process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new } }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                let data = pipe.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                continuation.resume(returning: String(decoding: data, as: UTF8.self))
            }
        }
        return (process.terminationStatus, output)
    }
}
