import Foundation
import KubernetesAPI
import KubernetesClient
import MeshAPI
import Testing
@testable import Operator

/// The pass from the cluster cache's JSON to a mesh snapshot and per-object evaluations.
@Suite struct MeshCompilerTests {
    static func object(_ json: String) throws -> UnstructuredObject {
        try JSONDecoder().decode(UnstructuredObject.self, from: Data(json.utf8))
    }

    static func kind(_ mesh: MeshKind) -> WatchedKind { WatchedKind.all.first { $0.mesh == mesh }! }

    static let service = """
    {"apiVersion":"v1","kind":"Service","metadata":{"name":"reviews","namespace":"default","resourceVersion":"1"},
     "spec":{"selector":{"app":"reviews"},"ports":[{"name":"http","port":9080}]}}
    """
    static func virtualService(subset: String = "v1", weight: String = "100", resourceVersion: String = "2", status: String = "") -> String {
        """
        {"apiVersion":"networking.istio.io/v1","kind":"VirtualService",
         "metadata":{"name":"reviews","namespace":"default","generation":4,"resourceVersion":"\(resourceVersion)","uid":"u1",
                     "creationTimestamp":"2026-11-29T10:00:00Z","managedFields":[{"manager":"kubectl","operation":"Apply"}]},
         "spec":{"hosts":["reviews"],"http":[{"route":[{"destination":{"host":"reviews","subset":"\(subset)"},"weight":\(weight)}]}]}
         \(status)}
        """
    }
    static let rule = """
    {"apiVersion":"networking.istio.io/v1","kind":"DestinationRule","metadata":{"name":"reviews","namespace":"default","generation":1,"resourceVersion":"3"},
     "spec":{"host":"reviews","subsets":[{"name":"v1","labels":{"version":"v1"}}]}}
    """

    @Test func validMeshIsAcceptedAndResolved() throws {
        var compiler = MeshCompiler()
        let compilation = compiler.compile([
            Self.kind(.service): [try Self.object(Self.service)],
            Self.kind(.virtualService): [try Self.object(Self.virtualService())],
            Self.kind(.destinationRule): [try Self.object(Self.rule)],
        ])
        #expect(compilation.snapshot.virtualServices.count == 1)
        let key = MeshObjectKey(kind: .virtualService, namespace: "default", name: "reviews")
        let evaluation = try #require(compilation.evaluations[key])
        #expect(evaluation.generation == 4)
        #expect(evaluation.isAccepted)
        #expect(evaluation.unresolved.isEmpty)
        #expect(compilation.evaluations.count == 2, "only the Istio kinds are evaluated")
    }

    @Test func missingSubsetIsUnresolvedAndWrongTypeIsInvalidWithFieldPath() throws {
        var compiler = MeshCompiler()
        let missing = compiler.compile([
            Self.kind(.service): [try Self.object(Self.service)],
            Self.kind(.virtualService): [try Self.object(Self.virtualService(subset: "v3"))],
            Self.kind(.destinationRule): [try Self.object(Self.rule)],
        ])
        let key = MeshObjectKey(kind: .virtualService, namespace: "default", name: "reviews")
        #expect(missing.evaluations[key]?.isAccepted == true)
        #expect(missing.evaluations[key]?.unresolved.first?.contains("reviews+v3") == true, "\(missing.evaluations[key]!)")
        #expect(missing.evaluations[key]?.findings.contains { $0.code == "IST0101" } == true)

        let invalid = compiler.compile([
            Self.kind(.service): [try Self.object(Self.service)],
            Self.kind(.virtualService): [try Self.object(Self.virtualService(weight: "\"ninety\"", resourceVersion: "9"))],
        ])
        let evaluation = try #require(invalid.evaluations[key])
        #expect(!evaluation.isAccepted)
        #expect(evaluation.invalid.first?.hasPrefix("spec.http[0].route[0].weight") == true, "\(evaluation.invalid)")
        #expect(evaluation.servedInstead == "generation 4", "the earlier valid generation keeps serving")
        var fresh = MeshCompiler()
        let neverValid = fresh.compile([
            Self.kind(.service): [try Self.object(Self.service)],
            Self.kind(.virtualService): [try Self.object(Self.virtualService(weight: "\"ninety\"", resourceVersion: "9"))],
        ])
        #expect(neverValid.snapshot.virtualServices.isEmpty, "an object that never decoded is left out")
    }

    @Test func decodesOnlyWhatChangedAndIgnoresStatus() throws {
        var compiler = MeshCompiler()
        let objects = [Self.kind(.service): [try Self.object(Self.service)], Self.kind(.virtualService): [try Self.object(Self.virtualService())]]
        _ = compiler.compile(objects)
        #expect(compiler.lastDecodeCount == 2)
        let again = compiler.compile(objects)
        #expect(compiler.lastDecodeCount == 0)
        // A status write changes the resourceVersion: decoded again, but the mesh is the same.
        let withStatus = try Self.object(Self.virtualService(resourceVersion: "5", status: #","status":{"observedGeneration":4,"conditions":[]}"#))
        let after = compiler.compile([Self.kind(.service): objects[Self.kind(.service)]!, Self.kind(.virtualService): [withStatus]])
        #expect(compiler.lastDecodeCount == 1)
        #expect(after.snapshot.virtualServices == again.snapshot.virtualServices)
    }

    @Test func statusOnlyUpdatesDoNotTriggerTranslation() throws {
        let old = try Self.object(Self.virtualService())
        let statusOnly = try Self.object(Self.virtualService(resourceVersion: "5", status: #","status":{"observedGeneration":4}"#))
        let specChange = try Self.object(Self.virtualService(weight: "50", resourceVersion: "6"))
        #expect(!ClusterCache.matters(.updated(old: old, new: statusOnly), kind: .virtualService))
        #expect(ClusterCache.matters(.updated(old: old, new: specChange), kind: .virtualService))
        #expect(ClusterCache.matters(.added(old), kind: .virtualService))
        // For Pods the status is what matters (readiness, IPs).
        #expect(ClusterCache.matters(.updated(old: old, new: statusOnly), kind: .pod))
    }

    @Test func keepsOnlySecretsAGatewayNames() throws {
        func secret(_ name: String) throws -> UnstructuredObject {
            try Self.object(#"{"apiVersion":"v1","kind":"Secret","type":"kubernetes.io/tls","metadata":{"name":"\#(name)","namespace":"istio-system","resourceVersion":"1"},"data":{"tls.crt":"Y2VydA==","tls.key":"a2V5"}}"#)
        }
        let gateway = try Self.object("""
        {"apiVersion":"networking.istio.io/v1","kind":"Gateway","metadata":{"name":"gw","namespace":"istio-system","generation":1,"resourceVersion":"2"},
         "spec":{"selector":{"istio":"ingressgateway"},"servers":[{"port":{"number":443,"name":"https","protocol":"HTTPS"},"hosts":["*"],
                 "tls":{"mode":"MUTUAL","credentialName":"site"}}]}}
        """)
        var compiler = MeshCompiler()
        let compilation = compiler.compile([
            Self.kind(.gateway): [gateway],
            Self.kind(.secret): [try secret("site"), try secret("site-cacert"), try secret("unrelated")],
        ])
        #expect(Set(compilation.snapshot.secrets.compactMap(\.metadata.name)) == ["site", "site-cacert"])
    }
}

/// An Istio object that was valid and becomes invalid keeps serving its last valid version.
@Suite struct LastValidVersionTests {
    typealias T = MeshCompilerTests
    static let key = MeshObjectKey(kind: .virtualService, namespace: "default", name: "reviews")

    static func canary(generation: Int, resourceVersion: String, weights: (String, String), regex: String? = nil) throws -> UnstructuredObject {
        let match = regex.map { #""match":[{"uri":{"regex":"\#($0)"}}],"# } ?? ""
        return try T.object("""
        {"apiVersion":"networking.istio.io/v1","kind":"VirtualService",
         "metadata":{"name":"reviews","namespace":"default","generation":\(generation),"resourceVersion":"\(resourceVersion)"},
         "spec":{"hosts":["reviews"],"http":[{\(match)"route":[{"destination":{"host":"reviews","subset":"v1"},"weight":\(weights.0)},
                                                      {"destination":{"host":"reviews","subset":"v2"},"weight":\(weights.1)}]}]}}
        """)
    }

    static func weights(_ compilation: MeshCompilation) -> [Int32?] {
        compilation.snapshot.virtualServices.first?.spec.http?.first?.route?.map(\.weight) ?? []
    }

    @Test(arguments: [
        ("a bad RE2 regex", ("90", "10"), "(unclosed" as String?),
        ("a negative weight", ("-10", "110"), nil),
        ("a weight that does not decode", ("\"ninety\"", "10"), nil),
    ])
    func invalidEditKeepsServingTheLastValidGeneration(_ what: String, _ weights: (String, String), _ regex: String?) throws {
        var compiler = MeshCompiler()
        let service = try T.object(T.service)
        let good = compiler.compile([T.kind(.service): [service], T.kind(.virtualService): [try Self.canary(generation: 1, resourceVersion: "2", weights: ("90", "10"))]])
        #expect(Self.weights(good) == [90, 10])

        let bad = compiler.compile([T.kind(.service): [service],
                                    T.kind(.virtualService): [try Self.canary(generation: 2, resourceVersion: "3", weights: weights, regex: regex)]])
        let evaluation = try #require(bad.evaluations[Self.key])
        #expect(!evaluation.isAccepted, "\(what)")
        #expect(evaluation.generation == 2)
        #expect(evaluation.servedInstead == "generation 1", "\(what)")
        #expect(Self.weights(bad) == [90, 10], "the snapshot keeps generation 1's canary split after \(what)")
        #expect(bad.snapshot.validation(of: .virtualService(bad.snapshot.virtualServices[0])).isValid, "what is served is the valid version")

        let status = StatusComputer.desired(evaluation, programmed: .waitingForPush, current: nil, now: "2026-12-03T00:00:00Z")
        #expect(status.condition("Accepted")?.status == "False")
        #expect(status.condition("Programmed")?.reason == StatusComputer.lastValidServed)
        #expect(status.condition("Programmed")?.message.contains("generation 1") == true)

        // Fixed again: the new generation is served.
        let fixed = compiler.compile([T.kind(.service): [service], T.kind(.virtualService): [try Self.canary(generation: 3, resourceVersion: "4", weights: ("50", "50"))]])
        #expect(Self.weights(fixed) == [50, 50])
        #expect(fixed.evaluations[Self.key]?.servedInstead == nil)
    }

    @Test func deletionRemovesTheObjectAndItsLastValidVersion() throws {
        var compiler = MeshCompiler()
        let service = try T.object(T.service)
        _ = compiler.compile([T.kind(.service): [service], T.kind(.virtualService): [try Self.canary(generation: 1, resourceVersion: "2", weights: ("90", "10"))]])
        let deleted = compiler.compile([T.kind(.service): [service], T.kind(.virtualService): []])
        #expect(deleted.snapshot.virtualServices.isEmpty)
        // Re-created invalid under the same name: nothing is served, the deleted version is not resurrected.
        let recreated = compiler.compile([T.kind(.service): [service],
                                          T.kind(.virtualService): [try Self.canary(generation: 1, resourceVersion: "7", weights: ("-1", "101"))]])
        #expect(recreated.evaluations[Self.key]?.servedInstead == nil)
        let status = StatusComputer.desired(try #require(recreated.evaluations[Self.key]), programmed: .waitingForPush, current: nil, now: "t")
        #expect(status.condition("Programmed")?.reason == "Invalid")
        #expect(!recreated.snapshot.validation(of: .virtualService(recreated.snapshot.virtualServices[0])).isValid,
                "a never-valid object stays in the snapshot for analysis only; the index leaves it out")
    }

    @Test func neverValidObjectIsNotServed() throws {
        var compiler = MeshCompiler()
        let compilation = compiler.compile([T.kind(.service): [try T.object(T.service)],
                                            T.kind(.virtualService): [try Self.canary(generation: 1, resourceVersion: "2", weights: ("90", "10"), regex: "(")]])
        #expect(compilation.evaluations[Self.key]?.servedInstead == nil)
        #expect(compilation.evaluations[Self.key]?.isAccepted == false)
    }
}

/// File mode's side of the same rule: objects as decoded from files.
@Suite struct LastValidVersionFileModeTests {
    static func decoded(_ regex: String?, weights: (Int, Int), file: String = "mesh/reviews.yaml") -> [DecodedObject] {
        let match = regex.map { "  - match: [{uri: {regex: \"\($0)\"}}]\n    route:" } ?? "  - route:"
        return MeshDocumentDecoder().decode(yaml: """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: reviews, namespace: default}
        spec:
          hosts: [reviews]
          http:
        \(match)
            - {destination: {host: reviews, subset: v1}, weight: \(weights.0)}
            - {destination: {host: reviews, subset: v2}, weight: \(weights.1)}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: reviews, namespace: default}
        spec: {ports: [{name: http, port: 9080}]}
        """, source: file).objects
    }

    static func weights(_ objects: [DecodedObject]) -> [Int32?] {
        objects.compactMap { if case .virtualService(let vs) = $0.object { vs } else { nil } }.first?.spec.http?.first?.route?.map(\.weight) ?? []
    }

    @Test func invalidFileVersionIsReplacedByTheLastValidOneUntilRemoved() throws {
        var versions = LastValidVersions()
        let first = versions.resolve(Self.decoded(nil, weights: (90, 10)))
        #expect(first.replaced.isEmpty)
        #expect(Self.weights(first.objects) == [90, 10])

        let broken = versions.resolve(Self.decoded("(unclosed", weights: (50, 50)))
        #expect(Self.weights(broken.objects) == [90, 10], "the last valid split keeps serving")
        #expect(broken.objects.count == 2, "the Service passes through")
        let replacement = try #require(broken.replaced.first)
        #expect(replacement.key == MeshObjectKey(kind: .virtualService, namespace: "default", name: "reviews"))
        #expect(replacement.errors.first?.hasPrefix("spec.http[0].match[0].uri.regex") == true, "\(replacement.errors)")
        #expect(replacement.served.label.hasPrefix("the version read from mesh/reviews.yaml:"), "\(replacement.served.label)")

        // The file no longer holds it: forgotten, and an invalid version written later is not papered over.
        _ = versions.resolve([])
        #expect(versions.count == 0)
        let later = versions.resolve(Self.decoded("(unclosed", weights: (50, 50)))
        #expect(later.replaced.isEmpty)
    }
}
