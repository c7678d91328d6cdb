import EnvoyAPI
import MeshAPI
import Testing
@testable import Translator

@Suite struct VirtualHostTests {
    @Test func sidecarDomainsAreTheNamesValidFromTheProxysNamespace() throws {
        let same = RouteFixtures.sidecarRoutes("")
        #expect(same.name == "9080")
        let reviews = try #require(same.virtualHosts.first { $0.name == "reviews.default.svc.cluster.local:9080" })
        let names = ["reviews.default.svc.cluster.local", "reviews", "reviews.default.svc.cluster", "reviews.default.svc", "reviews.default", "10.0.0.10"]
        #expect(reviews.domains == names.flatMap { [$0, "\($0):9080"] })
        let other = RouteFixtures.sidecarRoutes("", proxy: ProxyIdentity(kind: .sidecar, namespace: "prod"))
        let fromProd = try #require(other.virtualHosts.first { $0.name == "reviews.default.svc.cluster.local:9080" })
        #expect(!fromProd.domains.contains("reviews"), "a bare name means a service in the client's own namespace")
        #expect(fromProd.domains.contains("reviews.default.svc.cluster:9080"))
    }

    @Test func servicesWithoutAVirtualServiceGetTheDefaultRoute() throws {
        let configuration = RouteFixtures.sidecarRoutes("")
        #expect(configuration.virtualHosts.map(\.name) == ["ratings.default.svc.cluster.local:9080", "reviews.default.svc.cluster.local:9080", "allow_any"])
        let route = try #require(configuration.virtualHosts.first?.routes.first)
        #expect(route.name == "default" && route.match.prefix == "/")
        #expect(route.route.cluster == "outbound|9080||ratings.default.svc.cluster.local")
        #expect(route.route.retryPolicy.numRetries.value == 2)
    }

    /// istiod's ALLOW_ANY: a request on a mesh port for a host no service has goes out as addressed.
    @Test func unknownHostsOnAMeshPortPassThrough() throws {
        let configuration = RouteFixtures.sidecarRoutes("")
        let allowAny = try #require(configuration.virtualHosts.last)
        #expect(allowAny.name == "allow_any" && allowAny.domains == ["*"])
        #expect(allowAny.routes.map(\.route.cluster) == ["PassthroughCluster"] && allowAny.routes[0].match.prefix == "/")
        #expect(allowAny.routes[0].route.timeout.seconds == 0 && allowAny.routes[0].route.hasTimeout)
    }

    @Test func theOldestVirtualServiceForAHostWinsOnSidecars() throws {
        let configuration = RouteFixtures.sidecarRoutes("""
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: newer, namespace: default, creationTimestamp: "2024-02-01T00:00:00Z"}
            spec:
              hosts: [reviews]
              http: [{name: newer, route: [{destination: {host: reviews, subset: v2}}]}]
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: older, namespace: default, creationTimestamp: "2024-01-01T00:00:00Z"}
            spec:
              hosts: ["*.default.svc.cluster.local"]
              http: [{name: wildcard, route: [{destination: {host: reviews, subset: v1}}]}]
            """)
        #expect(try RouteFixtures.routes(configuration).map(\.name) == ["newer"], "an exact host beats a wildcard")
        #expect(try RouteFixtures.routes(configuration, host: "ratings.default.svc.cluster.local:9080").map(\.name) == ["wildcard"], "a wildcard host covers several services")
    }

    @Test func alternateNames() {
        #expect(VirtualHostTranslator.alternateNames("a.b.svc.cluster.local", proxyDomain: "b.svc.cluster.local") == ["a", "a.b.svc.cluster", "a.b.svc", "a.b"])
        #expect(VirtualHostTranslator.alternateNames("a.b.svc.cluster.local", proxyDomain: "c.svc.cluster.local") == ["a.b", "a.b.svc.cluster", "a.b.svc"])
        #expect(VirtualHostTranslator.alternateNames("example.com", proxyDomain: "c.svc.cluster.local") == [])
    }
}
