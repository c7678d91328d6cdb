import CoxswainTestSupport
import Foundation
import MeshAPI
import Testing

/// Real traffic through a real Envoy sidecar that runs as in a pod (issue #17): in a network
/// namespace of its own, as uid 1337, with the outbound interception istio-iptables sets up
/// (Support/sidecar_traffic.py adds the rules, the backends on the samples' endpoint addresses
/// and an address outside the mesh, and the client). The mesh is config/samples: `ratings` is
/// 10.96.20.12:9080 with its one endpoint 10.244.2.12.
@Suite(.serialized) struct SidecarTrafficTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// An unnamed port (no protocol prefix, no appProtocol) is sniffed as Istio does: HTTP on it is
    /// balanced per request, so 40 requests on one connection reach both endpoints, where plain TCP
    /// would hold them on one.
    static let unnamedPortService = """
        apiVersion: v1
        kind: Service
        metadata: {name: echo, namespace: default}
        spec:
          clusterIP: 10.96.70.1
          selector: {app: echo}
          ports: [{port: 7070, targetPort: 7070, protocol: TCP}]
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata:
          name: echo-abcde
          namespace: default
          labels: {kubernetes.io/service-name: echo}
        addressType: IPv4
        endpoints:
        - addresses: [10.244.9.1]
          conditions: {ready: true}
        - addresses: [10.244.9.2]
          conditions: {ready: true}
        ports: [{port: 7070, protocol: TCP}]
        """

    @Test func httpOnAnUnnamedPortIsBalancedPerRequest() async throws {
        let output = try await Self.runInPod(extra: Self.unnamedPortService, ["balance", "10.96.70.1", "7070", "10.244.9.1", "10.244.9.2"])
        #expect(output.contains("ok one connection, requests spread over endpoints"), "\(output)")
    }

    @Test func interceptedTrafficReachesServicesAndPassesThroughToTheOutside() async throws {
        let output = try await Self.runInPod(["10.96.20.12", "9080", "ratings", "10.244.2.12", "10.77.0.1"])
        for check in ["service name to its endpoint", "unknown host on a mesh port passes through", "unknown address and port pass through"] {
            #expect(output.contains("ok \(check)"), "\(check): \(output)")
        }
    }

    /// Serves the samples (and `extra`) to a sidecar Envoy running as uid 1337 in a namespace of its
    /// own, runs Support/sidecar_traffic.py there with `arguments`, and returns what it printed; a
    /// failed script or a rejected mesh is recorded as an issue.
    static func runInPod(extra: String = "", _ arguments: [String]) async throws -> String {
        let samples = MeshDocumentDecoder().decode(paths: [repository.appendingPathComponent("config/samples")]).objects.map(\.object)
        let added = MeshDocumentDecoder().decode(yaml: extra, source: "extra")
        #expect(added.errors.isEmpty, "\(added.errors)")
        return try await InProcessXDS.run(MeshSnapshot(objects: samples + added.objects.map(\.object))) { xds in
            try await EnvoyProcess.run(xds: xds.socketPath, as: .sidecar, user: 1337) { envoy in
                if case .rejected(let nack) = try await xds.waitForSync(generation: await xds.cache.generation, proxies: 1) {
                    Issue.record("the sidecar rejected the mesh: \(nack.message)")
                    return ""
                }
                let script = repository.appendingPathComponent("Tests/OperatorTests/Support/sidecar_traffic.py").path
                let (status, output) = try await Subprocess.run(["nsenter", "-t", "\(envoy.pid)", "-n", "timeout", "60", "python3", script] + arguments)
                #expect(status == 0, "\(output)\n\(envoy.logTail)")
                return output
            }
        }
    }
}
