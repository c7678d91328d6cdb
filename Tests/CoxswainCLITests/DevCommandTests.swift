import Foundation
import Testing

/// `coxswain dev`, as the README tells a new user to try it: the API server and the operator in one
/// process, then kubectl with the kubeconfig it wrote.
@Suite struct DevCommandTests {
    @Test(.timeLimit(.minutes(3))) func kubectlAppliesTheSamplesAndSeesThemProgrammed() async throws {
        let directory = try CoxswainProcess.directory(with: [:])
        let kubeconfig = directory.appendingPathComponent("kubeconfig").path
        let process = Process()
        process.executableURL = CoxswainProcess.executable
        process.arguments = ["dev", "--apiserver-port", "0", "--kubeconfig-out", kubeconfig, "--xds-port", "0", "--admin-port", "0",
                             "--crds", CoxswainProcess.repository.appendingPathComponent("crds").path]
        let log = directory.appendingPathComponent("dev.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        for _ in 0..<600 where !FileManager.default.fileExists(atPath: kubeconfig) { try await Task.sleep(for: .milliseconds(100)) }
        let banner = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        #expect(banner.contains("export KUBECONFIG=\(kubeconfig)"), "\(banner)")
        #expect(banner.contains("3 CRD files"), "\(banner)")

        let samples = CoxswainProcess.repository.appendingPathComponent("config/samples").path
        let applied = try await CoxswainProcess.runTool(["kubectl", "--kubeconfig", kubeconfig, "apply", "-k", samples])
        #expect(applied.status == 0, "\(applied.output)")
        let waited = try await CoxswainProcess.runTool(["kubectl", "--kubeconfig", kubeconfig, "wait", "--for=condition=Programmed",
                                                        "virtualservices,destinationrules,gateways", "--all", "-A", "--timeout=60s"])
        #expect(waited.status == 0, "\(waited.output)\n\((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
        #expect(waited.output.components(separatedBy: "condition met").count == 5, "four objects: \(waited.output)")

        process.terminate()
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                process.waitUntilExit()
                continuation.resume()
            }
        }
        #expect(process.terminationStatus == 0, "coxswain dev exits cleanly on SIGTERM")
    }
}
