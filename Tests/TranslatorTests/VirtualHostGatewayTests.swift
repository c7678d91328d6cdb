import EnvoyAPI
import MeshAPI
import Testing
@testable import Translator

@Suite struct VirtualHostGatewayTests {
    static let gateways = """
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: public, namespace: istio-system}
        spec:
          selector: {istio: ingressgateway}
          servers:
          - port: {number: 80, name: http, protocol: HTTP}
            hosts: ["*/shop.example.com", "./ops.example.com", "team/*.team.example.com"]
            tls: {httpsRedirect: true}
        ---
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: internal, namespace: default}
        spec:
          selector: {istio: ingressgateway}
          servers:
          - port: {number: 80, name: http, protocol: HTTP}
            hosts: ["internal.example.com"]
        ---

        """

    static func vs(_ name: String, namespace: String, created: String, hosts: String, gateways: String, prefix: String, host: String = "reviews.default.svc.cluster.local") -> String {
        """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: \(name), namespace: \(namespace), creationTimestamp: "\(created)"}
        spec:
          hosts: \(hosts)
          gateways: \(gateways)
          http:
          - name: \(name)
            match: [{uri: {prefix: \(prefix)}}]
            route: [{destination: {host: \(host), port: {number: 9080}}}]
        ---

        """
    }

    static func configuration(_ yaml: String, name: String = "http.80") throws -> Envoy_Config_Route_V3_RouteConfiguration {
        let resources = RouteFixtures.gateway(gateways + yaml)
        return try #require(resources.routes.first { $0.name == name })
    }

    @Test func plaintextServersOnOnePortShareTheRouteConfiguration() throws {
        let resources = RouteFixtures.gateway(Self.gateways
            + Self.vs("a", namespace: "default", created: "2024-01-01T00:00:00Z", hosts: "[internal.example.com]", gateways: "[internal]", prefix: "/a"))
        #expect(resources.routes.map(\.name) == ["http.80"])
        #expect(resources.listeners.map(\.name) == ["0.0.0.0_8080"])
        let hosts = resources.routes[0].virtualHosts
        #expect(hosts.map(\.name).contains("internal.example.com:80"))
        let internalHost = try #require(hosts.first { $0.name == "internal.example.com:80" })
        #expect(internalHost.domains == ["internal.example.com", "internal.example.com:*"], "any port, as istiod's gateway domains")
        #expect(internalHost.routes.map(\.name) == ["a"])
        #expect(internalHost.requireTls == .none, "only the public server redirects")
    }

    @Test func namespaceScopedServerHostsAdmitOnlyTheirNamespaces() throws {
        let configuration = try Self.configuration(
            Self.vs("shop", namespace: "default", created: "2024-01-01T00:00:00Z", hosts: "[shop.example.com]", gateways: "[istio-system/public]", prefix: "/")
            + Self.vs("ops-wrong-ns", namespace: "default", created: "2024-01-01T00:00:00Z", hosts: "[ops.example.com]", gateways: "[istio-system/public]", prefix: "/wrong")
            + Self.vs("ops", namespace: "istio-system", created: "2024-01-01T00:00:00Z", hosts: "[ops.example.com]", gateways: "[public]", prefix: "/ops", host: "reviews.default.svc.cluster.local")
            + Self.vs("team", namespace: "team", created: "2024-01-01T00:00:00Z", hosts: "[\"*.example.com\"]", gateways: "[istio-system/public]", prefix: "/team", host: "reviews.default.svc.cluster.local")
            + Self.vs("not-team", namespace: "default", created: "2024-01-01T00:00:00Z", hosts: "[api.team.example.com]", gateways: "[istio-system/public]", prefix: "/no", host: "reviews.default.svc.cluster.local"))
        func routes(_ host: String) -> [String]? { configuration.virtualHosts.first { $0.name == host }?.routes.map(\.name) }
        #expect(routes("shop.example.com:80") == ["shop", "team"], "*/shop admits every namespace; team's *.example.com narrows to it and merges")
        #expect(routes("ops.example.com:80") == ["ops"], "./ops admits only the gateway's namespace")
        #expect(routes("*.team.example.com:80") == ["team"], "the VirtualService's *.example.com narrows to the server's *.team.example.com")
        #expect(!configuration.virtualHosts.contains { $0.name == "api.team.example.com:80" }, "team/ admits only namespace team")
    }

    @Test func severalVirtualServicesForOneHostAreConcatenatedOldestFirst() throws {
        let configuration = try Self.configuration(
            Self.vs("newer", namespace: "default", created: "2024-02-01T00:00:00Z", hosts: "[shop.example.com]", gateways: "[istio-system/public]", prefix: "/new")
            + Self.vs("older", namespace: "default", created: "2024-01-01T00:00:00Z", hosts: "[shop.example.com]", gateways: "[istio-system/public]", prefix: "/old"))
        let shop = try #require(configuration.virtualHosts.first { $0.name == "shop.example.com:80" })
        #expect(shop.routes.map(\.name) == ["older", "newer"])
        #expect(shop.routes.map(\.match.prefix) == ["/old", "/new"])
    }

    @Test func httpsRedirectRequiresTLSEvenForHostsWithoutVirtualServices() throws {
        let configuration = try Self.configuration(
            Self.vs("shop", namespace: "default", created: "2024-01-01T00:00:00Z", hosts: "[shop.example.com]", gateways: "[istio-system/public]", prefix: "/"))
        let shop = try #require(configuration.virtualHosts.first { $0.name == "shop.example.com:80" })
        #expect(shop.requireTls == .all)
        let ops = try #require(configuration.virtualHosts.first { $0.name == "ops.example.com:80" })
        #expect(ops.requireTls == .all && ops.routes.isEmpty)
    }

    @Test func aServerWithoutVirtualServicesAnswers404() throws {
        let resources = RouteFixtures.gateway("""
            apiVersion: networking.istio.io/v1
            kind: Gateway
            metadata: {name: empty, namespace: istio-system}
            spec:
              selector: {istio: ingressgateway}
              servers:
              - port: {number: 8000, name: http, protocol: HTTP}
                hosts: ["*"]
            """)
        let hosts = try #require(resources.routes.first { $0.name == "http.8000" }).virtualHosts
        #expect(hosts.map(\.name) == ["blackhole:8000"])
        #expect(hosts.first?.domains == ["*"])
        #expect(hosts.first?.routes.first?.directResponse.status == 404)
    }

    @Test func matchesNamingOtherGatewaysOrPortsDoNotApply() throws {
        let configuration = try Self.configuration("""
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: multi, namespace: default}
            spec:
              hosts: [shop.example.com]
              gateways: [istio-system/public, mesh]
              http:
              - name: mesh-only
                match: [{gateways: [mesh]}]
                route: [{destination: {host: reviews}}]
              - name: wrong-port
                match: [{port: 8080}]
                route: [{destination: {host: reviews}}]
              - name: here
                match: [{gateways: [istio-system/public], port: 80}]
                route: [{destination: {host: reviews}}]
            """)
        let shop = try #require(configuration.virtualHosts.first { $0.name == "shop.example.com:80" })
        #expect(shop.routes.map(\.name) == ["here"])
    }

    @Test func hostIntersection() {
        #expect(GatewayHosts.intersection("*", "a.example.com") == "a.example.com")
        #expect(GatewayHosts.intersection("*.example.com", "a.example.com") == "a.example.com")
        #expect(GatewayHosts.intersection("a.example.com", "*.example.com") == "a.example.com")
        #expect(GatewayHosts.intersection("*.example.com", "*.a.example.com") == "*.a.example.com")
        #expect(GatewayHosts.intersection("*.example.com", "example.com") == nil)
        #expect(GatewayHosts.intersection("a.example.com", "b.example.com") == nil)
    }

    @Test func routeNamesFollowIstio() throws {
        let result = MeshDocumentDecoder().decode(yaml: Self.gateways, source: "t.yaml")
        let snapshot = MeshSnapshot(decoded: result.objects)
        let gateway = try #require(snapshot.gateway(namespace: "istio-system", name: "public"))
        let server = Server(port: Port(number: 443, protocol: "HTTPS", name: "https-web"), hosts: ["*"])
        #expect(GatewayVirtualHostTranslator.routeName(server, gateway: gateway, terminatesTLS: true) == "https.443.https-web.public.istio-system")
        #expect(GatewayVirtualHostTranslator.routeName(server, gateway: gateway, terminatesTLS: false) == "http.443")
    }
}

@Suite struct GatewayMatchScopeTests {
    /// A match's `gateways` are relative to the VirtualService's namespace, not the Gateway's.
    @Test func matchGatewaysResolveInTheVirtualServicesNamespace() throws {
        let resources = RouteFixtures.gateway(VirtualHostGatewayTests.gateways + """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: scoped, namespace: default}
            spec:
              hosts: [shop.example.com]
              gateways: [istio-system/public]
              http:
              - name: default-public
                match: [{gateways: [public]}]
                route: [{destination: {host: reviews}}]
              - name: istio-system-public
                match: [{gateways: [istio-system/public]}]
                route: [{destination: {host: reviews}}]
            """)
        let configuration = try #require(resources.routes.first { $0.name == "http.80" })
        let shop = try #require(configuration.virtualHosts.first { $0.name == "shop.example.com:80" })
        #expect(shop.routes.map(\.name) == ["istio-system-public"], "`public` from namespace default is default/public")
    }
}
