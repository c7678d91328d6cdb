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
        let virtualService = try #require(index.meshVirtualService(for: "ratings.default.svc.cluster.local", visibleTo: "default"))
        let chains = TCPRouteTranslator.sidecarChains(virtualService, context: RouteContext(index: index, proxy: proxy, port: 5432))
        #expect(chains.count == 1 && chains[0].isCatchAll)
        #expect(chains.first?.proxy.cluster == "outbound|5432|primary|ratings.default.svc.cluster.local")
        #expect(index.meshVirtualService(for: "reviews.default.svc.cluster.local", visibleTo: "default") == nil)
    }
}

/// Sidecar listeners of non-HTTP service ports: VirtualService `tcp` and `tls` rules wired in.
@Suite struct SidecarTCPListenerTests {
    static let sidecar = ProxyIdentity(kind: .sidecar, namespace: "default")

    static func listener(_ name: String, _ extra: String, proxy: ProxyIdentity = sidecar) throws -> Envoy_Config_Listener_V3_Listener {
        let index = RouteFixtures.index(extra)
        return try #require(ListenerTranslator.sidecarListeners(index, proxy: proxy).listeners.first { $0.name == name })
    }

    static let secure = """
        apiVersion: v1
        kind: Service
        metadata: {name: secure, namespace: default}
        spec:
          clusterIP: 10.0.0.12
          ports: [{name: https, port: 443}]

        """

    @Test func aTCPPortUsesTheWeightedDestinationsOfTheFirstApplyingRule() throws {
        let vs = """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: ratings-db, namespace: default}
            spec:
              hosts: [ratings]
              tcp:
              - match: [{port: 5432, sourceLabels: {app: admin}}]
                route: [{destination: {host: ratings, subset: admin, port: {number: 5432}}}]
              - match: [{port: 5432}]
                route:
                - {destination: {host: ratings, subset: primary}, weight: 90}
                - {destination: {host: ratings, subset: replica}, weight: 10}
            """
        let listener = try Self.listener("10.0.0.11_5432", vs)
        #expect(listener.filterChains.count == 1)
        #expect(listener.listenerFilters.isEmpty)
        let proxy = try RouteFixtures.tcpProxy(listener.filterChains[0])
        #expect(proxy.weightedClusters.clusters.map(\.name) == ["outbound|5432|primary|ratings.default.svc.cluster.local", "outbound|5432|replica|ratings.default.svc.cluster.local"])
        #expect(proxy.weightedClusters.clusters.map(\.weight) == [90, 10])
        let admin = try Self.listener("10.0.0.11_5432", vs, proxy: ProxyIdentity(kind: .sidecar, namespace: "default", labels: ["app": "admin"]))
        #expect(try RouteFixtures.tcpProxy(admin.filterChains[0]).cluster == "outbound|5432|admin|ratings.default.svc.cluster.local")
    }

    /// `destinationSubnets` and `sourceSubnet` select connections: each applying match becomes a
    /// chain matching those ranges, in rule order, before the catch-all.
    @Test func subnetMatchesBecomeChainsOfTheirOwn() throws {
        let vs = """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: ratings-db, namespace: default}
            spec:
              hosts: [ratings]
              tcp:
              - match: [{destinationSubnets: [10.0.0.0/8, 10.0.0.11]}]
                route: [{destination: {host: ratings, subset: inside}}]
              - match: [{sourceSubnet: "192.168.0.0/24"}, {port: 1111, sourceSubnet: "172.16.0.0/12"}]
                route: [{destination: {host: ratings, subset: office}}]
              - match: [{destinationSubnets: ["fd00::/8"], sourceSubnet: "fd01::1"}]
                route: [{destination: {host: ratings, subset: v6}}]
              - route: [{destination: {host: ratings, subset: rest}}]
              - match: [{sourceSubnet: "10.9.0.0/16"}]
                route: [{destination: {host: ratings, subset: unreachable}}]
            """
        let listener = try Self.listener("10.0.0.11_5432", vs)
        let matches = listener.filterChains.map(\.filterChainMatch)
        #expect(matches.map { $0.prefixRanges.map { "\($0.addressPrefix)/\($0.prefixLen.value)" } } == [["10.0.0.0/8", "10.0.0.11/32"], [], ["fd00::/8"], []])
        #expect(matches.map { $0.sourcePrefixRanges.map { "\($0.addressPrefix)/\($0.prefixLen.value)" } } == [[], ["192.168.0.0/24"], ["fd01::1/128"], []])
        let clusters = try listener.filterChains.map { try RouteFixtures.tcpProxy($0).cluster }
        #expect(clusters == ["inside", "office", "v6", "rest"].map { "outbound|5432|\($0)|ratings.default.svc.cluster.local" })
        #expect(listener.listenerFilters.isEmpty)

        // Only subnet rules: connections outside them go to the service.
        let onlySubnets = try Self.listener("10.0.0.11_5432", """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: ratings-db, namespace: default}
            spec:
              hosts: [ratings]
              tcp:
              - match: [{sourceSubnet: "192.168.0.0/24"}]
                route: [{destination: {host: ratings, subset: office}}]
            """)
        #expect(try onlySubnets.filterChains.map { try RouteFixtures.tcpProxy($0).cluster } == ["outbound|5432|office|ratings.default.svc.cluster.local", "outbound|5432||ratings.default.svc.cluster.local"])
    }

    @Test func tlsSubnetMatchesNarrowTheirSNIChains() throws {
        let listener = try Self.listener("10.0.0.12_443", Self.secure + """
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: secure, namespace: default}
            spec:
              hosts: [secure, a.example.com]
              tls:
              - match: [{sniHosts: [a.example.com], destinationSubnets: [10.0.0.0/16]}]
                route: [{destination: {host: secure, subset: near}}]
              - match: [{sniHosts: [a.example.com]}]
                route: [{destination: {host: secure, subset: far}}]
            """)
        #expect(listener.filterChains.map(\.filterChainMatch.serverNames) == [["a.example.com"], ["a.example.com"], []])
        #expect(listener.filterChains.map { $0.filterChainMatch.prefixRanges.map(\.addressPrefix) } == [["10.0.0.0"], [], []])
        #expect(try listener.filterChains.map { try RouteFixtures.tcpProxy($0).cluster } == ["near", "far", ""].map { "outbound|443|\($0)|secure.default.svc.cluster.local" })
    }

    @Test func withoutAnApplyingRuleTheServiceClusterIsUsed() throws {
        let listener = try Self.listener("10.0.0.11_5432", """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: ratings-db, namespace: default}
            spec:
              hosts: [ratings]
              tcp:
              - match: [{port: 1111}]
                route: [{destination: {host: ratings, subset: other, port: {number: 5432}}}]
            """)
        #expect(try RouteFixtures.tcpProxy(listener.filterChains[0]).cluster == "outbound|5432||ratings.default.svc.cluster.local")
        let plain = try Self.listener("10.0.0.11_5432", "")
        #expect(try RouteFixtures.tcpProxy(plain.filterChains[0]).cluster == "outbound|5432||ratings.default.svc.cluster.local")
    }

    @Test func tlsRulesGiveSNIChainsBeforeTheCatchAll() throws {
        let listener = try Self.listener("10.0.0.12_443", Self.secure + """
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: secure, namespace: default}
            spec:
              hosts: [secure, a.example.com, b.example.com]
              tls:
              - match: [{port: 443, sniHosts: [a.example.com]}, {port: 8443, sniHosts: [b.example.com]}]
                route: [{destination: {host: secure, subset: a}}]
              - match: [{sniHosts: [a.example.com, b.example.com]}]
                route:
                - {destination: {host: secure, subset: b}, weight: 50}
                - {destination: {host: secure, subset: c}, weight: 50}
            """)
        #expect(listener.listenerFilters.map(\.name) == [EnvoyExtensionName.tlsInspector])
        #expect(listener.filterChains.map(\.filterChainMatch.serverNames) == [["a.example.com"], ["b.example.com"], []])
        #expect(try RouteFixtures.tcpProxy(listener.filterChains[0]).cluster == "outbound|443|a|secure.default.svc.cluster.local")
        #expect(try RouteFixtures.tcpProxy(listener.filterChains[1]).weightedClusters.clusters.map(\.name) == ["outbound|443|b|secure.default.svc.cluster.local", "outbound|443|c|secure.default.svc.cluster.local"])
        #expect(try RouteFixtures.tcpProxy(listener.filterChains[2]).cluster == "outbound|443||secure.default.svc.cluster.local")
    }

    @Test func headlessTLSServicesShareTheWildcardListenerBySNI() throws {
        let listener = try Self.listener("0.0.0.0_443", """
            apiVersion: v1
            kind: Service
            metadata: {name: one, namespace: default}
            spec:
              clusterIP: None
              ports: [{name: tls, port: 443}]
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: two, namespace: default}
            spec:
              ports: [{name: https, port: 443}]
            """)
        #expect(listener.listenerFilters.map(\.name) == [EnvoyExtensionName.tlsInspector])
        // The fixtures' ingress gateway Service has no cluster IP either.
        #expect(listener.filterChains.map(\.filterChainMatch.serverNames) == [["istio-ingressgateway.istio-system.svc.cluster.local"], ["one.default.svc.cluster.local"], ["two.default.svc.cluster.local"]])
        #expect(try RouteFixtures.tcpProxy(listener.filterChains[2]).cluster == "outbound|443||two.default.svc.cluster.local")
    }

    @Test func aPlainTLSPortWithAVirtualIPNeedsNoSNI() throws {
        let listener = try Self.listener("10.0.0.12_443", Self.secure)
        #expect(listener.listenerFilters.isEmpty)
        #expect(listener.filterChains.count == 1)
        #expect(try RouteFixtures.tcpProxy(listener.filterChains[0]).cluster == "outbound|443||secure.default.svc.cluster.local")
    }

    @Test func routedSubsetsAreEmittedAsClusters() {
        let index = RouteFixtures.index(Self.secure + """
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: secure, namespace: default}
            spec:
              hosts: [secure.default.svc.cluster.local]
              tls:
              - match: [{sniHosts: [secure.default.svc.cluster.local]}]
                route: [{destination: {host: secure, subset: tls-only}}]
              tcp:
              - route: [{destination: {host: ratings, subset: tcp-only, port: {number: 5432}}}]
            """)
        let resources = Translator.translate(index, proxy: Self.sidecar)
        let names = Set(resources.clusters.map(\.name))
        #expect(names.contains("outbound|443|tls-only|secure.default.svc.cluster.local"))
        #expect(names.contains("outbound|5432|tcp-only|ratings.default.svc.cluster.local"))
    }
}
