import Foundation
import Testing

/// The serving flags as a user meets them: what help says, what is refused, where ports bind.
@Suite struct ServingFlagsTests {
    @Test func helpSaysThePlaintextSecretsFlagIsInsecure() throws {
        let result = try CoxswainProcess.run(["run", "--help"])
        #expect(result.status == 0)
        let help = result.stdout.replacingOccurrences(of: "\n", with: " ").split(separator: " ").joined(separator: " ")
        #expect(help.contains("--insecure-plaintext-secrets INSECURE"), "\(result.stdout)")
        for flag in ["--xds-tls-port", "--xds-client-ca", "--xds-max-connections", "--xds-max-node-id-bytes", "--xds-idle-timeout",
                     "--admin-address", "--xds-address", "--secret-namespace"] {
            #expect(help.contains(flag), "\(flag) missing from help")
        }
    }

    @Test func aClientCAWithoutAServerCertificateIsRefused() throws {
        let directory = try CoxswainProcess.directory(with: [:])
        let result = try CoxswainProcess.run(["run", "--config-dir", directory.path, "--xds-client-ca", "/nonexistent/ca.crt"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("--xds-client-ca needs --xds-tls-cert and --xds-tls-key"), "\(result.stderr)")
    }

    /// In file mode the admin port (every proxy's config dump) binds loopback unless told otherwise.
    @Test(.timeLimit(.minutes(1))) func fileModeBindsTheAdminPortToLoopback() async throws {
        let directory = try CoxswainProcess.directory(with: [:])
        let process = Process()
        process.executableURL = CoxswainProcess.executable
        process.arguments = ["run", "--config-dir", directory.path, "--xds-port", "0", "--admin-port", "0"]
        let log = directory.appendingPathComponent("run.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        var text = ""
        for _ in 0..<300 {
            text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            if text.contains("serving admin") && text.contains("serving xDS") { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        let admin = text.split(separator: "\n").first { $0.contains("serving admin") }.map(String.init) ?? ""
        let xds = text.split(separator: "\n").first { $0.contains("serving xDS") }.map(String.init) ?? ""
        #expect(admin.contains("address=127.0.0.1"), "\(text)")
        #expect(xds.contains("address=0.0.0.0"), "\(text)")
        process.terminate()
    }
}
