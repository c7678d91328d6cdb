import EnvoyAPI
import Foundation
import MeshAPI
import Testing
@testable import Translator

/// Golden files (`Golden/<feature>/input.yaml` → `expected.json`), reviewed by hand against
/// Envoy's and Istio's documentation. `COXSWAIN_UPDATE_GOLDEN=1` rewrites the expectations.
@Suite struct RouteGoldenTests {
    static let golden = RouteFixtures.repository.appendingPathComponent("Tests/TranslatorTests/Golden")

    static func render(_ feature: String) throws -> String {
        let decoded = MeshDocumentDecoder().decode(paths: [golden.appendingPathComponent(feature).appendingPathComponent("input.yaml")])
        #expect(decoded.errors.isEmpty, "\(decoded.errors)")
        let index = MeshIndex(MeshSnapshot(decoded: decoded.objects))
        var resources = EnvoyResources()
        switch feature {
        case "gateway-tls":
            let gateway = GatewayTranslator.resources(for: ProxyIdentity(kind: .gateway, namespace: "istio-system", labels: ["istio": "ingressgateway"]), index: index)
            resources.listeners = gateway.listeners
            resources.routes = gateway.routes
            resources.secrets = gateway.secrets
            #expect(gateway.findings.isEmpty, "\(gateway.findings)")
        default:
            resources.routes = [VirtualHostTranslator.sidecarRouteConfiguration(port: 9080, index: index, proxy: ProxyIdentity(kind: .sidecar, namespace: "default"))]
        }
        return try resources.json(showSecrets: false)
    }

    @Test(arguments: ["gateway-tls", "sidecar-routes"])
    func matchesTheGoldenFile(feature: String) throws {
        let rendered = try Self.render(feature)
        let expectedURL = Self.golden.appendingPathComponent(feature).appendingPathComponent("expected.json")
        if ProcessInfo.processInfo.environment["COXSWAIN_UPDATE_GOLDEN"] == "1" {
            try Data(rendered.utf8).write(to: expectedURL)
        }
        let expected = try String(contentsOf: expectedURL, encoding: .utf8)
        #expect(rendered == expected, "the \(feature) render differs from \(expectedURL.path)")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("coxswain-golden-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data(expected.utf8).write(to: file)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", RouteFixtures.repository.appendingPathComponent("Tests/EnvoyAPITests/Support/validate_envoy_json.py").path, file.path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "Envoy's schema rejects \(feature)/expected.json:\n\(text)")
    }
}
