import Foundation
import KubernetesAPI
@testable import KubernetesTestServer
import Testing

/// The real kubectl (1.32, default validation) against the test server, with the
/// repository's CRDs (crds/) and sample mesh (config/samples/).
@Suite("kubectl", .enabled(if: Kubectl.isInstalled, "kubectl is not installed at /usr/bin/kubectl"))
struct KubectlTests {
    static let crdNames = ["crd/virtualservices.networking.istio.io", "crd/destinationrules.networking.istio.io",
                           "crd/gateways.networking.istio.io"]

    /// Starts a server, installs the CRDs with kubectl and waits until they are Established.
    func withKubectl(_ body: (TestAPIServer, Kubectl) async throws -> Void) async throws {
        let server = try await TestAPIServer.start()
        let kubectl = try Kubectl(server: server)
        defer { kubectl.cleanUp() }
        do {
            // crds/ holds only the CRDs as .yaml (its Kustomization has no extension), so this succeeds.
            let crds = try await kubectl.run(["apply", "-f", "crds/"])
            for plural in ["virtualservices", "destinationrules", "gateways"] {
                #expect(crds.stdout.contains("customresourcedefinition.apiextensions.k8s.io/\(plural).networking.istio.io created"), "\(crds.combined)")
            }
            #expect(crds.succeeded, "\(crds.combined)")
            let wait = try await kubectl.run(["wait", "--for=condition=Established", "--timeout=20s"] + Self.crdNames)
            #expect(wait.succeeded, "\(wait.combined)")
            #expect(wait.stdout.components(separatedBy: "condition met").count == 4)
            try await body(server, kubectl)
        } catch {
            try? await server.shutdown()
            throw error
        }
        try await server.shutdown()
    }

    /// Applies the samples: namespaces first (kubectl applies files in path order), then the rest recursively.
    func applySamples(_ kubectl: Kubectl, serverSide: Bool = false) async throws -> Kubectl.Result {
        let mode = serverSide ? ["--server-side"] : []
        let namespaces = try await kubectl.run(["apply"] + mode + ["-f", "config/samples/namespaces.yaml"])
        #expect(namespaces.succeeded, "\(namespaces.combined)")
        return try await kubectl.run(["apply"] + mode + ["-R", "-f", "config/samples/workloads", "-f", "config/samples/mesh"])
    }

    @Test func clientSideApplyGetPatchDeleteWait() async throws {
        try await withKubectl { _, kubectl in
            let applied = try await applySamples(kubectl)
            #expect(applied.succeeded, "\(applied.combined)")
            #expect(applied.stdout.contains("virtualservice.networking.istio.io/reviews created"))
            #expect(applied.stdout.contains("gateway.networking.istio.io/bookinfo-gateway created"))

            let listed = try await kubectl.run(["get", "vs,dr,gw", "-A"])
            #expect(listed.succeeded, "\(listed.combined)")
            #expect(listed.stdout.contains("virtualservice.networking.istio.io/reviews"))
            #expect(listed.stdout.contains("destinationrule.networking.istio.io/reviews"))
            #expect(listed.stdout.contains("istio-system   gateway.networking.istio.io/bookinfo-gateway"))

            let yaml = try await kubectl.run(["get", "vs", "reviews", "-o", "yaml"])
            #expect(yaml.stdout.contains("kind: VirtualService"))
            #expect(yaml.stdout.contains("kubectl.kubernetes.io/last-applied-configuration"))
            #expect(yaml.stdout.contains("generation: 1"))

            // Applying the same files again changes nothing.
            let again = try await applySamples(kubectl)
            #expect(again.succeeded, "\(again.combined)")
            #expect(again.stdout.contains("virtualservice.networking.istio.io/reviews unchanged"))

            // Change a file and apply: the three-way merge patch lands, generation moves.
            let original = try String(contentsOfFile: Kubectl.repositoryRoot.appendingPathComponent("config/samples/mesh/reviews-virtualservice.yaml").path, encoding: .utf8)
            let changedFile = kubectl.directory.appendingPathComponent("reviews.yaml").path
            try original.replacingOccurrences(of: "weight: 90", with: "weight: 80")
                .replacingOccurrences(of: "weight: 10", with: "weight: 20")
                .write(toFile: changedFile, atomically: true, encoding: .utf8)
            let configured = try await kubectl.run(["apply", "-f", changedFile])
            #expect(configured.stdout.contains("virtualservice.networking.istio.io/reviews configured"), "\(configured.combined)")
            let weights = try await kubectl.run(["get", "vs", "reviews", "-o", "jsonpath={.spec.http[1].route[*].weight} {.metadata.generation}"])
            #expect(weights.stdout == "80 20 2")

            // What `kubectl edit` sends: merge and JSON patches.
            let merge = try await kubectl.run(["patch", "vs", "reviews", "--type", "merge", "-p", #"{"spec":{"hosts":["reviews","reviews.default.svc.cluster.local"]}}"#])
            #expect(merge.succeeded, "\(merge.combined)")
            let json = try await kubectl.run(["patch", "vs", "reviews", "--type", "json", "-p", #"[{"op":"replace","path":"/spec/http/0/name","value":"jason-v2"}]"#])
            #expect(json.succeeded, "\(json.combined)")
            let patched = try await kubectl.run(["get", "vs", "reviews", "-o", "jsonpath={.spec.hosts[1]} {.spec.http[0].name}"])
            #expect(patched.stdout == "reviews.default.svc.cluster.local jason-v2")
            let strategic = try await kubectl.run(["patch", "service", "reviews", "-p", #"{"metadata":{"labels":{"patched":"yes"}}}"#])
            #expect(strategic.succeeded, "\(strategic.combined)")

            let selected = try await kubectl.run(["get", "pods", "-l", "app=reviews", "-o", "name"])
            #expect(selected.stdout.split(separator: "\n").count == 3, "\(selected.combined)")
            let setBased = try await kubectl.run(["get", "pods", "-l", "app=reviews,version notin (v3)", "-o", "name"])
            #expect(setBased.stdout.split(separator: "\n").count == 2, "\(setBased.combined)")

            let deleted = try await kubectl.run(["delete", "-f", "config/samples/mesh/reviews-virtualservice.yaml"])
            #expect(deleted.stdout.contains("virtualservice.networking.istio.io \"reviews\" deleted"), "\(deleted.combined)")
            let waited = try await kubectl.run(["wait", "--for=delete", "vs/reviews", "--timeout=10s"])
            #expect(waited.succeeded, "\(waited.combined)")
            let gone = try await kubectl.run(["get", "vs", "reviews"])
            #expect(!gone.succeeded)
            #expect(gone.stderr.contains("NotFound"))
        }
    }

    @Test func waitForDeleteOfAnObjectWithAFinalizer() async throws {
        try await withKubectl { server, kubectl in
            _ = try await applySamples(kubectl)
            let finalizer = try await kubectl.run(["patch", "dr", "reviews", "--type", "merge", "-p", #"{"metadata":{"finalizers":["example.com/hold"]}}"#])
            #expect(finalizer.succeeded, "\(finalizer.combined)")
            let deleted = try await kubectl.run(["delete", "dr", "reviews", "--wait=false"])
            #expect(deleted.succeeded, "\(deleted.combined)")
            let stillThere = try await kubectl.run(["get", "dr", "reviews", "-o", "jsonpath={.metadata.deletionTimestamp}"])
            #expect(!stillThere.stdout.isEmpty)
            async let waited = kubectl.run(["wait", "--for=delete", "dr/reviews", "--timeout=20s"])
            try await Task.sleep(for: .milliseconds(500))
            let released = try await kubectl.run(["patch", "dr", "reviews", "--type", "json", "-p", #"[{"op":"remove","path":"/metadata/finalizers"}]"#])
            #expect(released.succeeded, "\(released.combined)")
            let result = try await waited
            #expect(result.succeeded, "\(result.combined)")
            _ = server
        }
    }

    @Test func serverSideApplyAndConflicts() async throws {
        try await withKubectl { _, kubectl in
            let applied = try await applySamples(kubectl, serverSide: true)
            #expect(applied.succeeded, "\(applied.combined)")
            #expect(applied.stdout.contains("virtualservice.networking.istio.io/reviews serverside-applied"))
            let fields = try await kubectl.run(["get", "vs", "reviews", "--show-managed-fields", "-o", "jsonpath={.metadata.managedFields[*].manager}"])
            #expect(fields.stdout.contains("kubectl"))
            let patch = try await kubectl.run(["patch", "vs", "reviews", "--type", "merge", "-p", #"{"spec":{"hosts":["elsewhere"]}}"#])
            #expect(patch.succeeded, "\(patch.combined)")
            let conflict = try await kubectl.run(["apply", "--server-side", "-f", "config/samples/mesh/reviews-virtualservice.yaml"])
            #expect(!conflict.succeeded)
            #expect(conflict.stderr.contains("conflict with \"kubectl-patch\""), "\(conflict.combined)")
            #expect(conflict.stderr.contains(".spec.hosts"))
            let forced = try await kubectl.run(["apply", "--server-side", "--force-conflicts", "-f", "config/samples/mesh/reviews-virtualservice.yaml"])
            #expect(forced.succeeded, "\(forced.combined)")
            let hosts = try await kubectl.run(["get", "vs", "reviews", "-o", "jsonpath={.spec.hosts}"])
            #expect(hosts.stdout == #"["reviews"]"#)
        }
    }

    @Test func clientSideThenServerSideApplyOfBuiltIns() async throws {
        try await withKubectl { _, kubectl in
            let manifest = """
            apiVersion: v1
            kind: Service
            metadata:
              name: web
              labels: {app: web}
            spec:
              selector: {app: web}
              ports:
              - {name: http, port: 80, targetPort: 8080}
            """
            let created = try await kubectl.run(["apply", "-f", "-"], stdin: manifest)
            #expect(created.succeeded, "\(created.combined)")
            let changed = manifest.replacingOccurrences(of: "labels: {app: web}", with: "labels: {app: web, tier: front}")
                + "\n  - {name: https, port: 443}\n"
            let configured = try await kubectl.run(["apply", "-f", "-"], stdin: changed)
            #expect(configured.stdout.contains("service/web configured"), "\(configured.combined)")
            let ports = try await kubectl.run(["get", "svc", "web", "-o", "jsonpath={.spec.ports[*].port} {.metadata.labels.tier} {.spec.type}"])
            #expect(ports.stdout == "80 443 front ClusterIP")
            let upgraded = try await kubectl.run(["apply", "--server-side", "-f", "-"], stdin: changed)
            #expect(upgraded.succeeded, "\(upgraded.combined)")
            let clusterIP = try await kubectl.run(["get", "svc", "web", "-o", "jsonpath={.spec.clusterIP} {.spec.ports[1].protocol}"])
            #expect(clusterIP.stdout.hasPrefix("10.96."))
            #expect(clusterIP.stdout.hasSuffix(" TCP"))
            let managers = try await kubectl.run(["get", "svc", "web", "--show-managed-fields", "-o", "jsonpath={.metadata.managedFields[*].manager}"])
            #expect(managers.stdout.contains("kubectl"), "\(managers.combined)")
            #expect(!managers.stdout.contains("kubectl-client-side-apply"), "\(managers.combined)")
        }
    }

    @Test func kustomizeApplyOfTheSamples() async throws {
        try await withKubectl { _, kubectl in
            let applied = try await kubectl.run(["apply", "-k", "config/samples"])
            #expect(applied.succeeded, "\(applied.combined)")
            let pods = try await kubectl.run(["get", "pods", "-A", "-o", "name"])
            #expect(pods.stdout.split(separator: "\n").count == 7, "\(pods.combined)")
            let slices = try await kubectl.run(["get", "endpointslices", "-o", "name"])
            #expect(slices.succeeded, "\(slices.combined)")
            #expect(!slices.stdout.isEmpty)
        }
    }

    @Test func getWatchShowsChanges() async throws {
        try await withKubectl { _, kubectl in
            _ = try await kubectl.run(["apply", "-f", "config/samples/namespaces.yaml"])
            async let watched = kubectl.run(["get", "vs", "-w"], timeout: .seconds(6))
            try await Task.sleep(for: .seconds(2))
            let applied = try await kubectl.run(["apply", "-f", "config/samples/mesh/reviews-virtualservice.yaml"])
            #expect(applied.succeeded, "\(applied.combined)")
            let output = try await watched
            #expect(output.stdout.contains("reviews"), "\(output.combined)")
            #expect(output.stdout.contains("HOSTS"))
        }
    }
}

@Suite("kubectl validation", .enabled(if: Kubectl.isInstalled, "kubectl is not installed at /usr/bin/kubectl"))
struct KubectlValidationTests {
    @Test func defaultValidationReportsUnknownAndInvalidFields() async throws {
        let server = try await TestAPIServer.start()
        let kubectl = try Kubectl(server: server)
        defer { kubectl.cleanUp() }
        let crds = try await kubectl.run(["apply", "-f", "crds/networking.istio.io_virtualservices.yaml"])
        #expect(crds.succeeded, "\(crds.combined)")
        _ = try await kubectl.run(["wait", "--for=condition=Established", "crd/virtualservices.networking.istio.io", "--timeout=20s"])
        let unknown = """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: typo
        spec:
          hosts: [reviews]
          htpp:
          - route:
            - destination:
                host: reviews
        """
        let rejected = try await kubectl.run(["apply", "-f", "-"], stdin: unknown)
        #expect(!rejected.succeeded)
        #expect(rejected.stderr.contains("unknown field \"spec.htpp\""), "\(rejected.combined)")
        let lenient = try await kubectl.run(["apply", "--validate=false", "-f", "-"], stdin: unknown)
        #expect(lenient.succeeded, "\(lenient.combined)")
        let warned = try await kubectl.run(["apply", "--validate=warn", "-f", "-"], stdin: unknown.replacingOccurrences(of: "name: typo", with: "name: typo-warned"))
        #expect(warned.succeeded, "\(warned.combined)")
        #expect(warned.stderr.contains("unknown field \"spec.htpp\""), "\(warned.combined)")
        let stored = try await kubectl.run(["get", "vs", "typo", "-o", "jsonpath={.spec}"])
        #expect(!stored.stdout.contains("htpp"), "pruned: \(stored.stdout)")
        let invalid = """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: bad-weight
        spec:
          hosts: [reviews]
          http:
          - route:
            - destination:
                host: reviews
              weight: "heavy"
        """
        let unprocessable = try await kubectl.run(["apply", "-f", "-"], stdin: invalid)
        #expect(!unprocessable.succeeded)
        #expect(unprocessable.stderr.contains("spec.http[0].route[0].weight"), "\(unprocessable.combined)")
        try await server.shutdown()
    }
}
