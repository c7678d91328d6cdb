import CoxswainTestSupport
import EnvoyAPI
import Foundation
import MeshAPI
import SwiftProtobuf
import Testing
@testable import Translator

/// Small meshes for route and gateway tests.
enum RouteFixtures {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// An ingress gateway deployment's Service (80 → 8080, 443 → 8443) and two backends.
    static let base = """
        apiVersion: v1
        kind: Service
        metadata: {name: istio-ingressgateway, namespace: istio-system}
        spec:
          selector: {istio: ingressgateway}
          ports:
          - {name: http2, port: 80, targetPort: 8080}
          - {name: https, port: 443, targetPort: 8443}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: reviews, namespace: default}
        spec:
          clusterIP: 10.0.0.10
          selector: {app: reviews}
          ports: [{name: http, port: 9080}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: ratings, namespace: default}
        spec:
          clusterIP: 10.0.0.11
          selector: {app: ratings}
          ports: [{name: http, port: 9080}, {name: tcp-db, port: 5432}]
        ---
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: reviews, namespace: default}
        spec:
          host: reviews
          subsets:
          - {name: v1, labels: {version: v1}}
          - name: v2
            labels: {version: v2}
            trafficPolicy: {loadBalancer: {consistentHash: {httpHeaderName: x-user}}}

        """

    static func index(_ extra: String) -> MeshIndex {
        let result = MeshDocumentDecoder().decode(yaml: base + "---\n" + extra, source: "test.yaml")
        #expect(result.errors.isEmpty, "\(result.errors)")
        let index = MeshIndex(MeshSnapshot(decoded: result.objects))
        #expect(index.leftOut.isEmpty, "\(index.leftOut.map(\.reason))")
        return index
    }

    static let ingress = ProxyIdentity(kind: .gateway, namespace: "istio-system", labels: ["istio": "ingressgateway"])

    static func gateway(_ extra: String, proxy: ProxyIdentity = ingress) -> GatewayResources {
        GatewayTranslator.resources(for: proxy, index: index(extra))
    }

    static func sidecarRoutes(_ extra: String, port: Int = 9080, proxy: ProxyIdentity = ProxyIdentity(kind: .sidecar, namespace: "default")) -> Envoy_Config_Route_V3_RouteConfiguration {
        VirtualHostTranslator.sidecarRouteConfiguration(port: port, index: index(extra), proxy: proxy)
    }

    /// The routes of one virtual host of a sidecar route configuration.
    static func routes(_ configuration: Envoy_Config_Route_V3_RouteConfiguration, host: String = "reviews.default.svc.cluster.local:9080") throws -> [Envoy_Config_Route_V3_Route] {
        try #require(configuration.virtualHosts.first { $0.name == host }).routes
    }

    static func tcpProxy(_ chain: Envoy_Config_Listener_V3_FilterChain) throws -> Envoy_Extensions_Filters_Network_TcpProxy_V3_TcpProxy {
        let filter = try #require(chain.filters.first { $0.name == EnvoyExtensionName.tcpProxy })
        return try Envoy_Extensions_Filters_Network_TcpProxy_V3_TcpProxy(unpackingAny: filter.typedConfig)
    }

    static func httpConnectionManager(_ chain: Envoy_Config_Listener_V3_FilterChain) throws -> Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpConnectionManager {
        let filter = try #require(chain.filters.first { $0.name == EnvoyExtensionName.httpConnectionManager })
        return try Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpConnectionManager(unpackingAny: filter.typedConfig)
    }

    static func downstreamTLS(_ chain: Envoy_Config_Listener_V3_FilterChain) throws -> Envoy_Extensions_TransportSockets_Tls_V3_DownstreamTlsContext {
        #expect(chain.transportSocket.name == EnvoyExtensionName.tlsTransportSocket)
        return try Envoy_Extensions_TransportSockets_Tls_V3_DownstreamTlsContext(unpackingAny: chain.transportSocket.typedConfig)
    }

    /// Runs resources through Envoy's real schema (PyPI xds-protos); returns the validator's complaints.
    static func schemaProblems(listeners: [Envoy_Config_Listener_V3_Listener] = [], routes: [Envoy_Config_Route_V3_RouteConfiguration] = [],
                               secrets: [Envoy_Extensions_TransportSockets_Tls_V3_Secret] = []) throws -> (status: Int32, output: String) {
        var resources = EnvoyResources()
        resources.listeners = listeners
        resources.routes = routes
        resources.secrets = secrets
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("coxswain-routes-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data(try resources.json(showSecrets: true).utf8).write(to: file)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", repository.appendingPathComponent("Tests/EnvoyAPITests/Support/validate_envoy_json.py").path, file.path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }

    /// A `kubernetes.io/tls` Secret with base64 data: a real certificate and key (``TestCredentials``).
    static func tlsSecret(_ name: String, namespace: String, withCA: Bool) -> String {
        func b64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }
        let credential = TestCredentials.credential(for: name)
        return """
            apiVersion: v1
            kind: Secret
            metadata: {name: \(name), namespace: \(namespace)}
            type: kubernetes.io/tls
            data:
              tls.crt: \(b64(credential.certificate))
              tls.key: \(b64(credential.key))
            \(withCA ? "  ca.crt: \(b64(credential.ca))" : "")

            """
    }
}

@Suite struct GatewayListenerTests {
    static let gateway = """
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: web, namespace: istio-system}
        spec:
          selector: {istio: ingressgateway}
          servers:
          - port: {number: 80, name: http, protocol: HTTP}
            hosts: ["*"]
          - port: {number: 443, name: https-shop, protocol: HTTPS}
            hosts: [shop.example.com]
            tls: {mode: SIMPLE, credentialName: shop-cert, minProtocolVersion: TLSV1_3, cipherSuites: [ECDHE-RSA-AES256-GCM-SHA384]}
          - port: {number: 443, name: https-admin, protocol: HTTPS}
            hosts: [admin.example.com]
            tls: {mode: MUTUAL, credentialName: admin-cert, subjectAltNames: [client.example.com]}
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: shop, namespace: default}
        spec:
          hosts: ["*.example.com"]
          gateways: [istio-system/web]
          http:
          - route: [{destination: {host: reviews, port: {number: 9080}}}]
        ---

        """ + RouteFixtures.tlsSecret("shop-cert", namespace: "istio-system", withCA: false) + "---\n"
        + RouteFixtures.tlsSecret("admin-cert", namespace: "istio-system", withCA: true)

    @Test func listenersUseTheGatewayServicesTargetPorts() throws {
        let resources = RouteFixtures.gateway(Self.gateway)
        #expect(resources.listeners.map(\.name) == ["0.0.0.0_8080", "0.0.0.0_8443"], "80 → 8080 and 443 → 8443 by the Service's targetPort")
        let http = try #require(resources.listeners.first { $0.name == "0.0.0.0_8080" })
        #expect(http.address.socketAddress.portValue == 8080)
        #expect(http.listenerFilters.isEmpty, "no TLS inspector without TLS servers")
        let hcm = try RouteFixtures.httpConnectionManager(try #require(http.filterChains.first))
        #expect(hcm.rds.routeConfigName == "http.80")
        #expect(hcm.useRemoteAddress.value, "a gateway is the edge: it trusts the peer address")
        #expect(hcm.httpFilters.last?.name == EnvoyExtensionName.router)
        #expect(resources.findings.isEmpty, "\(resources.findings)")
    }

    @Test func withoutAServiceTheServerPortIsTheListenerPort() throws {
        let proxy = ProxyIdentity(kind: .gateway, namespace: "other", labels: ["istio": "ingressgateway"])
        let resources = RouteFixtures.gateway(Self.gateway, proxy: proxy)
        #expect(resources.listeners.map(\.name) == ["0.0.0.0_443", "0.0.0.0_80"])
    }

    @Test func aGatewayOnlyAppliesToProxiesItsSelectorMatches() {
        let resources = RouteFixtures.gateway(Self.gateway, proxy: ProxyIdentity(kind: .gateway, namespace: "istio-system", labels: ["istio": "egressgateway"]))
        #expect(resources.listeners.isEmpty && resources.routes.isEmpty && resources.secrets.isEmpty)
    }

    @Test func simpleTLSServesTheCredentialOverSDSWithSNIMatching() throws {
        let resources = RouteFixtures.gateway(Self.gateway)
        let https = try #require(resources.listeners.first { $0.name == "0.0.0.0_8443" })
        #expect(https.listenerFilters.map(\.name) == [EnvoyExtensionName.tlsInspector])
        #expect(https.filterChains.map(\.filterChainMatch.serverNames) == [["shop.example.com"], ["admin.example.com"]])
        let shop = https.filterChains[0]
        #expect(try RouteFixtures.httpConnectionManager(shop).rds.routeConfigName == "https.443.https-shop.web.istio-system")
        let context = try RouteFixtures.downstreamTLS(shop)
        #expect(context.commonTlsContext.tlsCertificateSdsSecretConfigs.map(\.name) == ["kubernetes://shop-cert"])
        #expect(context.commonTlsContext.tlsCertificateSdsSecretConfigs.first?.sdsConfig.configSourceSpecifier == .ads(Envoy_Config_Core_V3_AggregatedConfigSource()))
        #expect(context.commonTlsContext.tlsParams.tlsMinimumProtocolVersion == .tlsv13)
        #expect(context.commonTlsContext.tlsParams.cipherSuites == ["ECDHE-RSA-AES256-GCM-SHA384"])
        #expect(context.commonTlsContext.alpnProtocols == ["h2", "http/1.1"])
        #expect(!context.hasRequireClientCertificate)
        #expect(context.commonTlsContext.validationContextType == nil, "SIMPLE does not validate clients")
    }

    @Test func mutualTLSRequiresAClientCertificateValidatedByTheCACredential() throws {
        let resources = RouteFixtures.gateway(Self.gateway)
        let https = try #require(resources.listeners.first { $0.name == "0.0.0.0_8443" })
        let admin = try #require(https.filterChains.first { $0.filterChainMatch.serverNames == ["admin.example.com"] })
        let context = try RouteFixtures.downstreamTLS(admin)
        #expect(context.requireClientCertificate.value)
        #expect(context.commonTlsContext.tlsParams.tlsMinimumProtocolVersion == .tlsv12, "TLS 1.2 at least by default")
        let combined = context.commonTlsContext.combinedValidationContext
        #expect(combined.validationContextSdsSecretConfig.name == "kubernetes://admin-cert-cacert")
        #expect(combined.defaultValidationContext.matchTypedSubjectAltNames.map(\.matcher.exact) == ["client.example.com", "client.example.com"])
        #expect(combined.defaultValidationContext.matchTypedSubjectAltNames.map(\.sanType) == [.dns, .uri])
    }

    @Test func sdsSecretsCarryTheKubernetesSecretsBytes() throws {
        let resources = RouteFixtures.gateway(Self.gateway)
        #expect(resources.secrets.map(\.name) == ["kubernetes://admin-cert", "kubernetes://admin-cert-cacert", "kubernetes://shop-cert"])
        let shop = try #require(resources.secrets.first { $0.name == "kubernetes://shop-cert" })
        #expect(shop.tlsCertificate.certificateChain.inlineBytes == Data(TestCredentials.credential(for: "shop-cert").certificate.utf8))
        #expect(shop.tlsCertificate.privateKey.inlineBytes == Data(TestCredentials.credential(for: "shop-cert").key.utf8))
        let ca = try #require(resources.secrets.first { $0.name == "kubernetes://admin-cert-cacert" })
        #expect(ca.validationContext.trustedCa.inlineBytes == Data(TestCredentials.credential(for: "admin-cert").ca.utf8))
    }

    @Test func aCACanComeFromASeparateCacertSecret() throws {
        let yaml = Self.gateway.replacingOccurrences(of: "credentialName: admin-cert", with: "credentialName: other-cert")
            + "---\n" + RouteFixtures.tlsSecret("other-cert", namespace: "istio-system", withCA: false)
            + "---\n" + RouteFixtures.tlsSecret("other-cert-cacert", namespace: "istio-system", withCA: true)
        let resources = RouteFixtures.gateway(yaml)
        let ca = try #require(resources.secrets.first { $0.name == "kubernetes://other-cert-cacert" })
        #expect(ca.validationContext.trustedCa.inlineBytes == Data(TestCredentials.credential(for: "other-cert-cacert").ca.utf8))
    }

    @Test func aServerWhoseSecretIsMissingOrInAnotherNamespaceIsLeftOutWithAFinding() throws {
        let yaml = Self.gateway.replacingOccurrences(of: "name: shop-cert, namespace: istio-system", with: "name: shop-cert, namespace: default")
        let resources = RouteFixtures.gateway(yaml)
        let https = try #require(resources.listeners.first { $0.name == "0.0.0.0_8443" })
        #expect(https.filterChains.map(\.filterChainMatch.serverNames) == [["admin.example.com"]])
        #expect(!resources.secrets.contains { $0.name == "kubernetes://shop-cert" })
        #expect(resources.findings.contains { $0.contains("spec.servers[1].tls") && $0.contains("shop-cert") })
        #expect(!resources.routes.contains { $0.name == "https.443.https-shop.web.istio-system" })
    }

    @Test func mutualTLSWithoutACAIsLeftOut() throws {
        let yaml = Self.gateway.replacingOccurrences(of: "mode: SIMPLE, credentialName: shop-cert", with: "mode: MUTUAL, credentialName: shop-cert")
        let resources = RouteFixtures.gateway(yaml)
        #expect(resources.findings.contains { $0.contains("MUTUAL TLS needs a CA") })
    }

    @Test func certificatesFromFiles() throws {
        let resources = RouteFixtures.gateway("""
            apiVersion: networking.istio.io/v1
            kind: Gateway
            metadata: {name: files, namespace: istio-system}
            spec:
              selector: {istio: ingressgateway}
              servers:
              - port: {number: 443, name: https, protocol: HTTPS}
                hosts: ["*"]
                tls: {mode: MUTUAL, serverCertificate: /etc/certs/tls.crt, privateKey: /etc/certs/tls.key, caCertificates: /etc/certs/ca.crt, maxProtocolVersion: TLSV1_2}
            """)
        let chain = try #require(resources.listeners.first?.filterChains.first)
        #expect(chain.filterChainMatch.serverNames.isEmpty, "host * matches every SNI")
        let context = try RouteFixtures.downstreamTLS(chain)
        #expect(context.commonTlsContext.tlsCertificates.first?.certificateChain.filename == "/etc/certs/tls.crt")
        #expect(context.commonTlsContext.tlsCertificates.first?.privateKey.filename == "/etc/certs/tls.key")
        #expect(context.commonTlsContext.validationContext.trustedCa.filename == "/etc/certs/ca.crt")
        #expect(context.commonTlsContext.tlsParams.tlsMaximumProtocolVersion == .tlsv12)
        #expect(resources.secrets.isEmpty)
    }

    static let passthrough = """
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: edge, namespace: istio-system}
        spec:
          selector: {istio: ingressgateway}
          servers:
          - port: {number: 443, name: tls-pass, protocol: TLS}
            hosts: ["*.example.com"]
            tls: {mode: PASSTHROUGH}
          - port: {number: 5432, name: tcp-db, protocol: TCP}
            hosts: ["*"]
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: sni, namespace: default, creationTimestamp: "2024-01-01T00:00:00Z"}
        spec:
          hosts: ["*.example.com", "*.other.org"]
          gateways: [istio-system/edge]
          tls:
          - match: [{sniHosts: [a.example.com], port: 443}]
            route: [{destination: {host: reviews, port: {number: 9080}}}]
          - match: [{sniHosts: [b.example.com, c.other.org]}]
            route:
            - {destination: {host: reviews, subset: v1, port: {number: 9080}}, weight: 75}
            - {destination: {host: ratings, port: {number: 9080}}, weight: 25}
            - {destination: {host: ratings, subset: none, port: {number: 9080}}, weight: 0}
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: db, namespace: default, creationTimestamp: "2024-01-02T00:00:00Z"}
        spec:
          hosts: ["*"]
          gateways: [istio-system/edge]
          tcp:
          - match: [{port: 9999}]
            route: [{destination: {host: reviews, port: {number: 9080}}}]
          - route: [{destination: {host: ratings, port: {number: 5432}}}]
        """

    @Test func passthroughRoutesBySNIWithTCPProxy() throws {
        let resources = RouteFixtures.gateway(Self.passthrough)
        let listener = try #require(resources.listeners.first { $0.name == "0.0.0.0_8443" })
        #expect(listener.listenerFilters.map(\.name) == [EnvoyExtensionName.tlsInspector])
        #expect(listener.filterChains.map(\.filterChainMatch.serverNames) == [["a.example.com"], ["b.example.com"]], "c.other.org is outside the server's hosts")
        #expect(listener.filterChains.allSatisfy { !$0.hasTransportSocket }, "passthrough does not terminate TLS")
        #expect(try RouteFixtures.tcpProxy(listener.filterChains[0]).cluster == "outbound|9080||reviews.default.svc.cluster.local")
        let weighted = try RouteFixtures.tcpProxy(listener.filterChains[1]).weightedClusters.clusters
        #expect(weighted.map(\.name) == ["outbound|9080|v1|reviews.default.svc.cluster.local", "outbound|9080||ratings.default.svc.cluster.local"])
        #expect(weighted.map(\.weight) == [75, 25], "zero weights are dropped")
    }

    @Test func tcpServersForwardByTheFirstApplyingTCPRoute() throws {
        let resources = RouteFixtures.gateway(Self.passthrough)
        let listener = try #require(resources.listeners.first { $0.name == "0.0.0.0_5432" })
        #expect(listener.listenerFilters.isEmpty)
        #expect(listener.filterChains.count == 1)
        let proxy = try RouteFixtures.tcpProxy(listener.filterChains[0])
        #expect(proxy.cluster == "outbound|5432||ratings.default.svc.cluster.local", "the port-9999 rule does not apply on 5432")
        #expect(proxy.statPrefix == proxy.cluster)
    }

    @Test func unsupportedModesAreReportedNotEmitted() {
        let resources = RouteFixtures.gateway("""
            apiVersion: networking.istio.io/v1
            kind: Gateway
            metadata: {name: east-west, namespace: istio-system}
            spec:
              selector: {istio: ingressgateway}
              servers:
              - port: {number: 15443, name: tls, protocol: TLS}
                hosts: ["*.local"]
                tls: {mode: AUTO_PASSTHROUGH}
            """)
        #expect(resources.listeners.isEmpty)
        #expect(resources.findings.contains { $0.contains("AUTO_PASSTHROUGH") && $0.contains("spec.servers[0]") })
    }

    @Test func plaintextAndTLSOnOnePortAreSeparatedByTransportProtocol() throws {
        let resources = RouteFixtures.gateway("""
            apiVersion: networking.istio.io/v1
            kind: Gateway
            metadata: {name: mixed, namespace: istio-system}
            spec:
              selector: {istio: ingressgateway}
              servers:
              - port: {number: 9000, name: http, protocol: HTTP}
                hosts: ["*"]
              - port: {number: 9000, name: https, protocol: HTTPS}
                hosts: [secure.example.com]
                tls: {mode: SIMPLE, serverCertificate: /c, privateKey: /k}
            """)
        let listener = try #require(resources.listeners.first)
        #expect(listener.filterChains.map(\.filterChainMatch.transportProtocol) == ["", "tls"])
        #expect(listener.listenerFilters.map(\.name) == [EnvoyExtensionName.tlsInspector])
    }

    @Test func everythingParsesWithEnvoysSchema() throws {
        for yaml in [Self.gateway, Self.passthrough] {
            let resources = RouteFixtures.gateway(yaml)
            let result = try RouteFixtures.schemaProblems(listeners: resources.listeners, routes: resources.routes, secrets: resources.secrets)
            #expect(result.status == 0, "Envoy's schema rejects the gateway output:\n\(result.output)")
        }
    }
}
