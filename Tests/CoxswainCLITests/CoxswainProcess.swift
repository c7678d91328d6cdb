import CoxswainTestSupport
import Foundation

/// Runs the built `coxswain` executable, as a user would from a shell.
struct CoxswainProcess {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// The `coxswain` binary next to the test bundle in the build folder.
    static var executable: URL {
        let runner = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var folder = runner.deletingLastPathComponent()
        // The runner may be inside `coxswainPackageTests.xctest/...` on some platforms.
        while !FileManager.default.fileExists(atPath: folder.appendingPathComponent("coxswain").path), folder.path != "/" {
            folder = folder.deletingLastPathComponent()
        }
        return folder.appendingPathComponent("coxswain")
    }

    /// The repository root, found from this file's path.
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func run(_ arguments: [String], in directory: URL = repository) throws -> Result {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = directory
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// Runs a Python script of Support/ with `arguments`, waiting on a Dispatch thread: blocking one
    /// of the two cooperative threads for the script's minute would starve every other test.
    static func runScript(_ name: String, _ arguments: [String]) async throws -> (status: Int32, output: String) {
        try await runTool(["python3", repository.appendingPathComponent("Tests/CoxswainCLITests/Support/\(name)").path] + arguments)
    }

    /// Runs a program found on PATH (stdout and stderr together), waiting off the cooperative pool.
    static func runTool(_ arguments: [String], environment: [String: String]? = nil) async throws -> (status: Int32, output: String) {
        try await Subprocess.run(arguments, environment: environment)
    }

    /// A fresh temporary directory holding the given files.
    static func directory(with files: [String: String]) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("coxswain-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for (name, text) in files {
            try Data(text.utf8).write(to: directory.appendingPathComponent(name))
        }
        return directory
    }
}
