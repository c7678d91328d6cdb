import CoxswainTestSupport
import EnvoyAPI
import Foundation
import MeshAPI
import Testing
@testable import Translator

/// One golden case: `Golden/<feature>/input.yaml`, translated for `proxy`, rendered with only
/// the resource kinds the feature is about, must equal `Golden/<feature>/expected.json`.
struct GoldenCase: Sendable, CustomTestStringConvertible {
    enum Section: Sendable { case listeners, routes, clusters, endpoints, secrets }

    var feature: String
    var proxy: ProxyIdentity
    var sections: Set<Section>
    /// Findings the translation is expected to report (substrings), in order; usually none.
    var findings: [String] = []

    var testDescription: String { feature }

    static let sidecar = ProxyIdentity(kind: .sidecar, namespace: "default")
    static let ingress = ProxyIdentity(kind: .gateway, namespace: "istio-system", labels: ["istio": "ingressgateway"])
    static let grpc = ProxyIdentity(kind: .grpc, namespace: "default")

    static let all: [GoldenCase] = [
        GoldenCase(feature: "gateway-tls", proxy: ingress, sections: [.listeners, .routes, .secrets],
                   findings: ["cluster outbound|8000|canary|shop.web.svc.cluster.local is routed to but nothing defines it"]),
        GoldenCase(feature: "gateway-redirect-passthrough", proxy: ingress, sections: [.listeners, .routes]),
        GoldenCase(feature: "sidecar-routes", proxy: sidecar, sections: [.routes]),
        GoldenCase(feature: "sidecar-split-subsets", proxy: sidecar, sections: [.routes, .clusters]),
        GoldenCase(feature: "sidecar-retries-timeouts", proxy: sidecar, sections: [.routes]),
        GoldenCase(feature: "sidecar-fault", proxy: sidecar, sections: [.routes]),
        GoldenCase(feature: "sidecar-cors", proxy: sidecar, sections: [.routes]),
        GoldenCase(feature: "sidecar-mirror", proxy: sidecar, sections: [.routes, .clusters],
                   findings: ["cluster outbound|9080|canary|reviews.default.svc.cluster.local is routed to but nothing defines it"]),
        GoldenCase(feature: "sidecar-redirect-rewrite", proxy: sidecar, sections: [.routes]),
        GoldenCase(feature: "sidecar-delegate", proxy: sidecar, sections: [.routes]),
        GoldenCase(feature: "sidecar-tcp-tls", proxy: sidecar, sections: [.listeners]),
        GoldenCase(feature: "grpc-proxyless", proxy: grpc, sections: [.listeners, .routes, .clusters]),
        GoldenCase(feature: "endpoints-subsets-locality", proxy: sidecar, sections: [.clusters, .endpoints]),
    ]
}

/// Golden files (`Golden/<feature>/input.yaml` → `expected.json`), reviewed by hand against
/// Envoy's and Istio's documentation, and parsed with Envoy's real schema (xds-protos).
/// `COXSWAIN_UPDATE_GOLDEN=1 swift test --filter RouteGoldenTests` rewrites the expectations.
@Suite struct RouteGoldenTests {
    static let golden = RouteFixtures.repository.appendingPathComponent("Tests/TranslatorTests/Golden")

    static func render(_ golden: GoldenCase) throws -> (json: String, findings: [String]) {
        let decoded = MeshDocumentDecoder().decode(paths: [Self.golden.appendingPathComponent(golden.feature).appendingPathComponent("input.yaml")])
        #expect(decoded.errors.isEmpty, "\(decoded.errors)")
        var resources = Translator.translate(MeshSnapshot(decoded: decoded.objects), proxy: golden.proxy)
        if !golden.sections.contains(.listeners) { resources.listeners = [] }
        if !golden.sections.contains(.routes) { resources.routes = [] }
        if !golden.sections.contains(.clusters) { resources.clusters = [] }
        if !golden.sections.contains(.endpoints) { resources.endpoints = [] }
        if !golden.sections.contains(.secrets) { resources.secrets = [] }
        return (try resources.json(showSecrets: false), resources.findings)
    }

    @Test(arguments: GoldenCase.all)
    func matchesTheGoldenFile(golden: GoldenCase) async throws {
        let (rendered, findings) = try Self.render(golden)
        #expect(findings.count == golden.findings.count && zip(findings, golden.findings).allSatisfy { $0.contains($1) },
                "unexpected findings: \(findings)")
        let expectedURL = Self.golden.appendingPathComponent(golden.feature).appendingPathComponent("expected.json")
        if ProcessInfo.processInfo.environment["COXSWAIN_UPDATE_GOLDEN"] == "1" {
            try Data(rendered.utf8).write(to: expectedURL)
        }
        let expected = try String(contentsOf: expectedURL, encoding: .utf8)
        #expect(rendered == expected, "the \(golden.feature) render differs from \(expectedURL.path)")
        let result = try await EnvoySchema.validate(expected, name: golden.feature)
        #expect(result.status == 0, "Envoy's schema rejects \(golden.feature)/expected.json:\n\(result.output)")
    }

    /// Every golden directory has a case, so a new one cannot be forgotten.
    @Test func everyGoldenDirectoryIsACase() throws {
        let directories = try FileManager.default.contentsOfDirectory(atPath: Self.golden.path).filter { !$0.hasPrefix(".") }
        #expect(Set(directories) == Set(GoldenCase.all.map(\.feature)))
    }
}

/// Envoy's real schema, through `Tests/EnvoyAPITests/Support/validate_envoy_json.py`.
enum EnvoySchema {
    /// Writes `json` to a temporary file and runs the validator, waiting for it off the
    /// cooperative pool (two threads on this machine, shared by every test).
    static func validate(_ json: String, name: String) async throws -> (status: Int32, output: String) {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("coxswain-\(name)-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data(json.utf8).write(to: file)
        return try await Subprocess.run(["python3", RouteFixtures.repository.appendingPathComponent("Tests/EnvoyAPITests/Support/validate_envoy_json.py").path, file.path])
    }
}
