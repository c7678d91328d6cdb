import Foundation
import Testing

/// The crashers of issue #15 (Tests/Corpus/values) as users ran them: `render` used to trap on
/// a negative port, and `analyze` passed all of them with exit 0.
@Suite struct ValueCheckCommandTests {
    static let corpus = CoxswainProcess.repository.appendingPathComponent("Tests/Corpus/values")

    static var crashers: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: corpus.path)) ?? []).filter { $0.hasSuffix(".yaml") }.sorted()
    }

    @Test func theCorpusHoldsTheCrashers() {
        #expect(Self.crashers.contains("endpointslice-negative-port.yaml"))
        #expect(Self.crashers.contains("service-huge-port.yaml"))
    }

    @Test(arguments: ["sidecar", "gateway", "grpc"])
    func renderWithANegativeEndpointPortExitsWithFindings(proxy: String) throws {
        let slice = Self.corpus.appendingPathComponent("endpointslice-negative-port.yaml").path
        let arguments = ["render", "-f", "config/samples", "-f", slice, "--proxy", proxy]
            + (proxy == "gateway" ? ["--namespace", "istio-system", "--labels", "istio=ingressgateway"] : [])
        let result = try CoxswainProcess.run(arguments)
        #expect(result.status == 0, "render finishes instead of trapping: \(result.stderr.suffix(2000))")
        #expect(result.stderr.contains("EndpointSlice default/reviews-negative-port: ports[0].port left out: Invalid value: -5: must be between 1 and 65535, inclusive"),
                "\(result.stderr.suffix(2000))")
        #expect(!result.stdout.contains("10.244.0.99"), "the endpoint behind the bad port is not served")
    }

    @Test func renderOfEveryCrasherFinishes() throws {
        for file in Self.crashers {
            let path = Self.corpus.appendingPathComponent(file).path
            let result = try CoxswainProcess.run(["render", "-f", "config/samples", "-f", path, "--proxy", "sidecar"])
            #expect(result.status == 0, "\(file): \(result.stderr.suffix(2000))")
            #expect(result.stderr.contains("left out"), "\(file): the part left out is reported")
            #expect(!result.stdout.contains("99999999"), "\(file)")
        }
    }

    @Test func analyzeFailsOnEveryCrasherWithItsFieldPath() throws {
        let expected = [
            "endpointslice-negative-port.yaml": "(EndpointSlice/default/reviews-negative-port ports[0].port)",
            "service-negative-port.yaml": "(Service/default/negative spec.ports[0].port)",
            "service-huge-port.yaml": "(Service/default/huge spec.ports[0].port)",
            "bad-addresses.yaml": "(EndpointSlice/default/ratings-bad-addresses endpoints[0].addresses[0])",
            "secret-invalid-base64.yaml": #"(Secret/istio-system/broken-credential data["tls.crt"])"#,
        ]
        for (file, place) in expected {
            let path = Self.corpus.appendingPathComponent(file).path
            let result = try CoxswainProcess.run(["analyze", "-f", "config/samples", "-f", path])
            #expect(result.status == 1, "\(file): \(result.stdout)")
            #expect(result.stdout.contains(place), "\(file): \(result.stdout)")
        }
    }
}
