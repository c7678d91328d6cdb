import EnvoyAPI
import MeshAPI
import Testing
@testable import Translator

/// `exportTo` on VirtualServices (mesh, gateways, delegates) and DestinationRules.
@Suite struct ExportToTests {
    static func sidecar(_ namespace: String) -> ProxyIdentity { ProxyIdentity(kind: .sidecar, namespace: namespace) }

    static func vs(_ exportTo: String?, namespace: String = "default", subset: String = "v2", gateways: String? = nil) -> String {
        """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: reviews-\(subset), namespace: \(namespace)}
        spec:
          hosts: [reviews.default.svc.cluster.local]
        \(exportTo.map { "  exportTo: \($0)" } ?? "")
        \(gateways.map { "  gateways: \($0)" } ?? "")
          http:
          - name: \(subset)
            route: [{destination: {host: reviews.default.svc.cluster.local, subset: \(subset)}}]
        """
    }

    static func routeNames(_ extra: String, proxy: ProxyIdentity) throws -> [String] {
        try RouteFixtures.routes(RouteFixtures.sidecarRoutes(extra, proxy: proxy)).map(\.name)
    }

    @Test func dotHidesAVirtualServiceFromOtherNamespaces() throws {
        let extra = Self.vs("[\".\"]")
        #expect(try Self.routeNames(extra, proxy: Self.sidecar("default")) == ["v2"])
        #expect(try Self.routeNames(extra, proxy: Self.sidecar("other")) == ["default"])
    }

    @Test func unsetStarAndNamedNamespacesExport() throws {
        for exportTo in [nil, "[\"*\"]", "[]"] {
            #expect(try Self.routeNames(Self.vs(exportTo), proxy: Self.sidecar("other")) == ["v2"], "exportTo \(exportTo ?? "unset")")
        }
        let named = Self.vs("[other]")
        #expect(try Self.routeNames(named, proxy: Self.sidecar("other")) == ["v2"])
        #expect(try Self.routeNames(named, proxy: Self.sidecar("third")) == ["default"])
        #expect(try Self.routeNames(named, proxy: Self.sidecar("default")) == ["default"], "a named list without `.` leaves out the own namespace")
    }

    @Test func aHiddenVirtualServiceLeavesTheHostToTheNextVisibleOne() throws {
        let extra = Self.vs("[\".\"]", namespace: "default", subset: "v2") + "\n---\n" + Self.vs(nil, namespace: "team", subset: "v1")
        #expect(try Self.routeNames(extra, proxy: Self.sidecar("default")) == ["v2"])
        #expect(try Self.routeNames(extra, proxy: Self.sidecar("other")) == ["v1"])
    }

    @Test func tcpRoutesFollowExportTo() throws {
        let index = RouteFixtures.index("""
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: ratings-db, namespace: default}
            spec:
              hosts: [ratings]
              exportTo: ["."]
              tcp:
              - route: [{destination: {host: ratings, subset: primary, port: {number: 5432}}}]
            """)
        let here = try #require(ListenerTranslator.sidecarListeners(index, proxy: Self.sidecar("default")).listeners.first { $0.name == "10.0.0.11_5432" })
        let there = try #require(ListenerTranslator.sidecarListeners(index, proxy: Self.sidecar("other")).listeners.first { $0.name == "10.0.0.11_5432" })
        #expect(try RouteFixtures.tcpProxy(here.filterChains[0]).cluster == "outbound|5432|primary|ratings.default.svc.cluster.local")
        #expect(try RouteFixtures.tcpProxy(there.filterChains[0]).cluster == "outbound|5432||ratings.default.svc.cluster.local")
    }

    static let gateway = """
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: web, namespace: istio-system}
        spec:
          selector: {istio: ingressgateway}
          servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*/*"]}]
        ---

        """

    @Test func gatewayVirtualServicesMustBeExportedToTheGatewayProxysNamespace() throws {
        let hidden = RouteFixtures.gateway(Self.gateway + Self.vs("[\".\"]", gateways: "[istio-system/web]"))
        #expect(hidden.routes.first?.virtualHosts.map(\.name) == ["blackhole:80"])
        let exported = RouteFixtures.gateway(Self.gateway + Self.vs("[istio-system]", gateways: "[istio-system/web]"))
        #expect(exported.routes.first?.virtualHosts.map(\.name) == ["reviews.default.svc.cluster.local:80"])
        let everywhere = RouteFixtures.gateway(Self.gateway + Self.vs(nil, gateways: "[istio-system/web]"))
        #expect(everywhere.routes.first?.virtualHosts.map(\.name) == ["reviews.default.svc.cluster.local:80"])
    }

    @Test func aDelegateMustBeExportedToTheRootsNamespace() throws {
        func routes(_ exportTo: String) throws -> [String] {
            try Self.routeNames("""
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: root, namespace: default}
                spec:
                  hosts: [reviews]
                  http:
                  - {name: root, delegate: {name: child, namespace: team}}
                ---
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: child, namespace: team}
                spec:
                  exportTo: \(exportTo)
                  http:
                  - {name: child, route: [{destination: {host: reviews.default.svc.cluster.local, subset: v1}}]}
                """, proxy: Self.sidecar("default"))
        }
        #expect(try routes("[\".\"]") == ["default"])
        #expect(try routes("[default]") == ["child"])
    }

    @Test func aPrivateDestinationRuleIsInvisibleElsewhere() throws {
        let index = RouteFixtures.index("""
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: ratings, namespace: default}
            spec:
              host: ratings
              exportTo: ["."]
              subsets: [{name: v1, labels: {version: v1}}]
            """)
        #expect(index.destinationRule(host: "ratings.default.svc.cluster.local", clientNamespace: "default")?.spec.subsets?.count == 1)
        #expect(index.destinationRule(host: "ratings.default.svc.cluster.local", clientNamespace: "other") == nil)
    }
}
