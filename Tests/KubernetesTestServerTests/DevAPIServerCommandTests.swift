import Foundation
import Testing

/// `coxswain dev-apiserver --port PORT --kubeconfig-out FILE`, run as a process and used with kubectl.
@Suite("coxswain dev-apiserver")
struct DevAPIServerCommandTests {
    /// The `coxswain` executable built next to the test bundle.
    static var binary: URL {
        let bundleDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        return bundleDirectory.appendingPathComponent("coxswain")
    }

    @Test func servesAndWritesAKubeconfigKubectlUses() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dev-apiserver-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let kubeconfig = directory.appendingPathComponent("kubeconfig").path
        #expect(FileManager.default.isExecutableFile(atPath: Self.binary.path), "build the coxswain product first: \(Self.binary.path)")
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = ["dev-apiserver", "--port", "0", "--kubeconfig-out", kubeconfig]
        process.standardOutput = Pipe()
        process.standardError = Pipe()
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        var waited = 0
        while !FileManager.default.fileExists(atPath: kubeconfig) && waited < 100 {
            try await Task.sleep(for: .milliseconds(100))
            waited += 1
        }
        let config = try String(contentsOfFile: kubeconfig, encoding: .utf8)
        #expect(config.contains("server: https://127.0.0.1:"))
        #expect(config.contains("certificate-authority-data: "))
        #expect(config.contains("token: "))

        let kubectl = Process()
        kubectl.executableURL = URL(fileURLWithPath: "/usr/bin/kubectl")
        kubectl.arguments = ["--kubeconfig", kubeconfig, "--cache-dir", directory.appendingPathComponent("cache").path,
                             "get", "namespaces", "-o", "name"]
        let output = Pipe()
        kubectl.standardOutput = output
        kubectl.standardError = Pipe()
        try kubectl.run()
        let data: Data = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                let data = output.fileHandleForReading.readDataToEndOfFile()
                kubectl.waitUntilExit()
                continuation.resume(returning: data)
            }
        }
        let names = String(decoding: data, as: UTF8.self)
        #expect(kubectl.terminationStatus == 0)
        for namespace in ["default", "kube-system", "kube-public", "kube-node-lease"] {
            #expect(names.contains("namespace/\(namespace)"), "\(names)")
        }
    }

    @Test func rejectsAnOutOfRangePort() async throws {
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = ["dev-apiserver", "--port", "70000", "--kubeconfig-out", "/dev/null"]
        let errors = Pipe()
        process.standardOutput = Pipe()
        process.standardError = errors
        try process.run()
        let data: Data = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                let data = errors.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                continuation.resume(returning: data)
            }
        }
        #expect(process.terminationStatus != 0)
        #expect(String(decoding: data, as: UTF8.self).contains("--port must be between 0 and 65535"))
    }
}
