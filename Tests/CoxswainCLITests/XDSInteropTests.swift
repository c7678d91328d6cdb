import Foundation
import Testing

/// `coxswain run --config-dir` against gRPC's production xDS client (Python grpcio): a canary
/// 90/10 → 50/50, a pod moving (endpoints only), a header match, a fault, make-before-break, a bad edit and a NACK
/// (Support/xds_canary.py says what each step checks).
@Suite struct XDSInteropTests {
    @Test(.timeLimit(.minutes(3))) func proxylessGRPCClientFollowsTheMesh() async throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("coxswain-canary-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let (status, text) = try await CoxswainProcess.runScript("xds_canary.py", [CoxswainProcess.executable.path, work.path])
        let log = (try? String(contentsOf: work.appendingPathComponent("coxswain.log"), encoding: .utf8)) ?? ""
        #expect(status == 0, "xds_canary.py failed:\n\(text)\ncoxswain log:\n\(log.suffix(4000))")
        #expect(text.contains("all steps passed"))
    }
}
