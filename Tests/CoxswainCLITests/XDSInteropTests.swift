import Foundation
import Testing

/// `coxswain run --config-dir` against gRPC's production xDS client (Python grpcio): a canary
/// 90/10 → 50/50, a header match, a fault, make-before-break, a bad edit and a NACK
/// (Support/xds_canary.py says what each step checks).
@Suite struct XDSInteropTests {
    @Test(.timeLimit(.minutes(3))) func proxylessGRPCClientFollowsTheMesh() async throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("coxswain-canary-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", CoxswainProcess.repository.appendingPathComponent("Tests/CoxswainCLITests/Support/xds_canary.py").path,
            CoxswainProcess.executable.path, work.path,
        ]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        // Wait on a Dispatch thread: blocking one of the two cooperative threads for the
        // script's 20-40 s would starve every other test running in parallel.
        let text = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                let data = output.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                continuation.resume(returning: String(decoding: data, as: UTF8.self))
            }
        }
        let log = (try? String(contentsOf: work.appendingPathComponent("coxswain.log"), encoding: .utf8)) ?? ""
        #expect(process.terminationStatus == 0, "xds_canary.py failed:\n\(text)\ncoxswain log:\n\(log.suffix(4000))")
        #expect(text.contains("all steps passed"))
    }
}
