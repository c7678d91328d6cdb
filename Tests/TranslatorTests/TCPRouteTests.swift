import EnvoyAPI
import MeshAPI
import Testing
@testable import Translator

@Suite struct TCPRouteTests {
    static func context(_ index: MeshIndex, port: Int, proxy: ProxyIdentity = ProxyIdentity(kind: .sidecar, namespace: "default")) -> RouteContext {
        RouteContext(index: index, proxy: proxy, port: port)
    }

    @Test func firstApplyingRuleWinsWithWeightedClusters() throws {
        let index = RouteFixtures.index("""
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: db, namespace: default}
            spec:
              hosts: [ratings]
              tcp:
              - match: [{port: 1111}]
                route: [{destination: {host: reviews, port: {number: 9080}}}]
              - match: [{port: 5432, sourceLabels: {app: admin}}]
                route: [{destination: {host: reviews, port: {number: 9080}}}]
              - route:
                - {destination: {host: ratings, port: {number: 5432}}, weight: 80}
                - {destination: {host: ratings, subset: canary, port: {number: 5432}}, weight: 20}
            """)
        let proxy = try #require(TCPRouteTranslator.tcpProxy(index.meshVirtualServices, context: Self.context(index, port: 5432)))
        #expect(proxy.weightedClusters.clusters.map(\.name) == ["outbound|5432||ratings.default.svc.cluster.local", "outbound|5432|canary|ratings.default.svc.cluster.local"])
        #expect(proxy.weightedClusters.clusters.map(\.weight) == [80, 20])
        let admin = try #require(TCPRouteTranslator.tcpProxy(index.meshVirtualServices, context: Self.context(index, port: 5432, proxy: ProxyIdentity(kind: .sidecar, namespace: "default", labels: ["app": "admin"]))))
        #expect(admin.cluster == "outbound|9080||reviews.default.svc.cluster.local")
    }

    @Test func nothingToRouteIsNil() {
        let index = RouteFixtures.index("")
        #expect(TCPRouteTranslator.tcpProxy(index.meshVirtualServices, context: Self.context(index, port: 5432)) == nil)
        #expect(TCPRouteTranslator.tcpProxy([], namespace: "default", context: Self.context(index, port: 1)) == nil)
    }
}

@Suite struct SidecarTCPRouteTests {
    @Test func aSidecarTCPPortFollowsTheHostsVirtualService() throws {
        let index = RouteFixtures.index("""
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: ratings-db, namespace: default}
            spec:
              hosts: [ratings]
              tcp:
              - route: [{destination: {host: ratings, subset: primary, port: {number: 5432}}}]
            """)
        let proxy = ProxyIdentity(kind: .sidecar, namespace: "default")
        let routed = try #require(TCPRouteTranslator.sidecarTCPProxy(host: "ratings.default.svc.cluster.local", port: 5432, index: index, proxy: proxy))
        #expect(routed.cluster == "outbound|5432|primary|ratings.default.svc.cluster.local")
        #expect(TCPRouteTranslator.sidecarTCPProxy(host: "reviews.default.svc.cluster.local", port: 9080, index: index, proxy: proxy) == nil)
    }
}
