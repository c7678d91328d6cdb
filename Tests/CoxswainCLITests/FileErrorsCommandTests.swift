import Foundation
import Testing

/// Paths that do not exist, misspelt kinds and duplicates, as `analyze`, `render` and `run` report them.
@Suite struct FileErrorsCommandTests {
    static let virtualService = """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: reviews, namespace: default}
        spec:
          hosts: [reviews.default.svc.cluster.local]
          http:
          - route:
            - destination: {host: reviews.default.svc.cluster.local}

        """

    @Test func renderOfAMissingPathFails() throws {
        let result = try CoxswainProcess.run(["render", "-f", "/nonexistent/mesh.yaml", "--proxy", "sidecar"])
        #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
        #expect(result.stderr.contains("/nonexistent/mesh.yaml"), "\(result.stderr)")
        #expect(result.stderr.contains("no such file or directory"), "\(result.stderr)")
    }

    @Test func runWithAMissingConfigDirIsAnError() async throws {
        // Bounded: code that starts serving the missing folder would otherwise never return.
        let result = try await CoxswainProcess.runTool(["timeout", "30", CoxswainProcess.executable.path, "run",
                                                        "--config-dir", "/nonexistent", "--xds-port", "0", "--admin-port", "0"])
        #expect(result.status != 0 && result.status != 124, "\(result.output)")
        #expect(result.output.contains("--config-dir /nonexistent: no such file or directory"), "\(result.output)")
    }

    /// As an unprivileged user (root reads any file): a file made unreadable keeps serving its
    /// last good objects and is reported with the reason; made readable again, unchanged, it is re-read.
    @Test func aFileFixedAfterChmod000IsReadAgain() async throws {
        let result = try await CoxswainProcess.runScript("file_permissions.py", [
            CoxswainProcess.executable.path, CoxswainProcess.repository.appendingPathComponent("config/samples/mesh/reviews-virtualservice.yaml").path,
        ])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("ok: unreadable file reported"), "\(result.output)")
    }

    @Test func misspeltKindIsAWarningThatDoesNotFailAnalyze() throws {
        let directory = try CoxswainProcess.directory(with: [
            "typo.yaml": Self.virtualService.replacingOccurrences(of: "kind: VirtualService", with: "kind: virtualservice"),
            "future.yaml": Self.virtualService.replacingOccurrences(of: "networking.istio.io/v1", with: "networking.istio.io/v9"),
        ])
        let result = try CoxswainProcess.run(["analyze", "-f", directory.path])
        #expect(result.status == 0, "a warning alone does not fail analyze: \(result.stdout)")
        #expect(result.stdout.contains("Warning [IST0133]"), "\(result.stdout)")
        #expect(result.stdout.contains("typo.yaml: document 1, line 2 kind)"), "\(result.stdout)")
        #expect(result.stdout.contains("did you mean VirtualService?"), "\(result.stdout)")
        #expect(result.stdout.contains("future.yaml: document 1, line 1 apiVersion)"), "\(result.stdout)")
        #expect(result.stdout.contains("did you mean networking.istio.io/v1?"), "\(result.stdout)")

        let render = try CoxswainProcess.run(["render", "-f", directory.path, "--proxy", "sidecar"])
        #expect(render.status == 0, "\(render.stderr)")
        #expect(render.stderr.contains("warning: "), "\(render.stderr)")
        #expect(render.stderr.contains("did you mean VirtualService?"), "\(render.stderr)")
    }

    @Test func duplicateAcrossFilesFailsAnalyzeNamingBoth() throws {
        let directory = try CoxswainProcess.directory(with: ["a.yaml": Self.virtualService, "b.yaml": Self.virtualService])
        let result = try CoxswainProcess.run(["analyze", "-f", directory.path])
        #expect(result.status == 1, "\(result.stdout)")
        #expect(result.stdout.contains("b.yaml: document 1, line 1 metadata.name)"), "\(result.stdout)")
        #expect(result.stdout.contains("VirtualService default/reviews is also defined at \(directory.path)/a.yaml: document 1, line 1"), "\(result.stdout)")
    }
}
