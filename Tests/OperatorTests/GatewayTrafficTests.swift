import CoxswainTestSupport
import Foundation
import MeshAPI
import Testing

/// Real HTTP through a real Envoy gateway (issue #17, istiod's connection-manager defaults): a
/// backend and the client run inside the gateway Envoy's own network namespace
/// (Support/gateway_traffic.py, through `nsenter -n`), the gateway listens on the server's port 80
/// (the node id names no pod, so no targetPort applies), and the backend is the EndpointSlice's
/// address on that namespace's loopback. Fails on a translation without WebSocket upgrades (403), without `host:*` gateway
/// domains (404 for `web.example:31380`) or without path normalization (`/x/../exact` → 404).
@Suite(.serialized) struct GatewayTrafficTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let mesh = """
        apiVersion: v1
        kind: Service
        metadata: {name: web, namespace: default}
        spec:
          clusterIP: 10.96.50.1
          selector: {app: web}
          ports: [{name: http, port: 8000, targetPort: 8000, protocol: TCP}]
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata:
          name: web-abcde
          namespace: default
          labels: {kubernetes.io/service-name: web}
        addressType: IPv4
        endpoints:
        - addresses: [10.250.0.10]
          conditions: {ready: true, serving: true, terminating: false}
        ports: [{name: http, port: 8000, protocol: TCP}]
        ---
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: web-gateway, namespace: istio-system}
        spec:
          selector: {istio: ingressgateway}
          servers:
          - port: {number: 80, name: http-web, protocol: HTTP}
            hosts: [web.example]
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: web, namespace: default}
        spec:
          hosts: [web.example]
          gateways: [istio-system/web-gateway]
          http:
          - match: [{uri: {exact: /exact}}, {uri: {prefix: /ws}}]
            route:
            - destination: {host: web.default.svc.cluster.local, port: {number: 8000}}
        """

    @Test func gatewayRoutesAnyPortNormalizesPathsAndUpgradesWebSockets() async throws {
        let samples = MeshDocumentDecoder().decode(paths: [Self.repository.appendingPathComponent("config/samples")]).objects.map(\.object)
        let decoded = MeshDocumentDecoder().decode(yaml: Self.mesh, source: "web")
        #expect(decoded.errors.isEmpty, "\(decoded.errors)")
        let snapshot = MeshSnapshot(objects: samples + decoded.objects.map(\.object))
        try await InProcessXDS.run(snapshot) { xds in
            try await EnvoyProcess.run(xds: xds.socketPath, as: .gateway) { envoy in
                if case .rejected(let nack) = try await xds.waitForSync(generation: await xds.cache.generation, proxies: 1) {
                    Issue.record("the gateway rejected the mesh: \(nack.message)")
                    return
                }
                let script = Self.repository.appendingPathComponent("Tests/OperatorTests/Support/gateway_traffic.py").path
                let (status, output) = try await Subprocess.run(["nsenter", "-t", "\(envoy.pid)", "-n", "timeout", "60",
                                                           "python3", script, "80", "web.example", "10.250.0.10", "8000"])
                #expect(status == 0, "\(output)\nlisteners: \((try? envoy.admin("/listeners")) ?? "?")\n\(envoy.logTail)")
                for check in ["upstream sees x-envoy-attempt-count", "Host with another port is routed", "dot segments normalized", "WebSocket upgrade switched", "WebSocket bytes flow both ways"] {
                    #expect(output.contains("ok \(check)"), "\(check): \(output)")
                }
            }
        }
    }

}
