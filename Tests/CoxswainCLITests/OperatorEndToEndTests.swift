import Foundation
import Testing

/// Two `coxswain run` replicas against the test API server, driven with the real kubectl and watched by
/// grpcio's xDS client: status conditions, a canary, invalid objects, make-before-break, API server
/// faults, leader failover and lease release (Support/operator_e2e.py says what each step checks).
@Suite struct OperatorEndToEndTests {
    @Test(.timeLimit(.minutes(5))) func twoReplicasWithKubectlAndAnXDSClient() async throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("coxswain-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let (status, text) = try await CoxswainProcess.runScript(
            "operator_e2e.py", [CoxswainProcess.executable.path, CoxswainProcess.repository.path, work.path])
        var logs = ""
        for name in ["coxswain-replica-a.log", "coxswain-replica-b.log"] {
            let log = (try? String(contentsOf: work.appendingPathComponent(name), encoding: .utf8)) ?? ""
            logs += "--- \(name)\n\(log.suffix(3000))\n"
        }
        #expect(status == 0, "operator_e2e.py failed:\n\(text)\n\(logs)")
        #expect(text.contains("all steps passed"))
    }
}
