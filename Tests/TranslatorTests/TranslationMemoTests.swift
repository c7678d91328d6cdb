import EnvoyAPI
import MeshAPI
import SwiftProtobuf
import Testing
@testable import Translator

/// Clusters and endpoints shared across proxies and carried across changes that cannot affect
/// them: the output must always equal a translation from scratch.
@Suite struct TranslationMemoTests {
    static let destinationRule = """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: reviews, namespace: default}
        spec:
          host: reviews
          subsets: [{name: v1, labels: {version: v1}}]
        """

    static func virtualService(v1Weight: Int) -> String {
        """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: reviews, namespace: default}
        spec:
          hosts: [reviews]
          http:
          - route:
            - {destination: {host: reviews, subset: v1}, weight: \(v1Weight)}
            - {destination: {host: reviews, subset: v2}, weight: \(100 - v1Weight)}
        """
    }

    /// The reviews Service with pods v1 (10.1.0.1, labelled `firstPodVersion`) and v2 (10.1.0.2).
    static func workloads(firstPodVersion: String = "v1") -> String {
        """
        apiVersion: v1
        kind: Service
        metadata: {name: reviews, namespace: default}
        spec:
          clusterIP: 10.0.0.10
          selector: {app: reviews}
          ports: [{name: http, port: 9080}]
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: reviews-v1, namespace: default, labels: {app: reviews, version: \(firstPodVersion)}}
        status: {podIP: 10.1.0.1}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: reviews-v2, namespace: default, labels: {app: reviews, version: v2}}
        status: {podIP: 10.1.0.2}
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: {name: reviews-abc, namespace: default, labels: {kubernetes.io/service-name: reviews}}
        addressType: IPv4
        ports: [{name: http, port: 9080}]
        endpoints:
        - addresses: [10.1.0.1]
          targetRef: {kind: Pod, name: reviews-v1, namespace: default}
        - addresses: [10.1.0.2]
          targetRef: {kind: Pod, name: reviews-v2, namespace: default}
        """
    }

    static func snapshot(_ documents: String..., firstPodVersion: String = "v1") -> MeshSnapshot {
        let yaml = ([workloads(firstPodVersion: firstPodVersion)] + documents).joined(separator: "\n---\n")
        let result = MeshDocumentDecoder().decode(yaml: yaml, source: "test.yaml")
        #expect(result.errors.isEmpty, "\(result.errors)")
        return MeshSnapshot(decoded: result.objects)
    }

    static let proxies = [
        ProxyIdentity(kind: .sidecar, namespace: "default", labels: ["app": "productpage"]),
        ProxyIdentity(kind: .sidecar, namespace: "default", labels: ["app": "ratings"]),
        ProxyIdentity(kind: .sidecar, namespace: "other"),
        ProxyIdentity(kind: .grpc, namespace: "default"),
    ]

    /// Every proxy's resources from `index` equal those from a fresh index of the same snapshot.
    static func expectSameAsFresh(_ index: MeshIndex, _ comment: Comment) {
        let fresh = MeshIndex(index.snapshot)
        for proxy in proxies {
            let memoized = Translator.translate(index, proxy: proxy)
            let scratch = Translator.translate(fresh, proxy: proxy)
            #expect(memoized.clusters == scratch.clusters, comment)
            #expect(memoized.endpoints == scratch.endpoints, comment)
            #expect(memoized.routes == scratch.routes, comment)
        }
    }

    @Test func proxiesOfOneNamespaceShareClustersAndEndpoints() {
        let index = MeshIndex(Self.snapshot(Self.destinationRule, Self.virtualService(v1Weight: 90)))
        let first = Translator.translate(index, proxy: Self.proxies[0])
        let second = Translator.translate(index, proxy: Self.proxies[1])
        #expect(first.clusters == second.clusters)
        #expect(first.endpoints.map(\.clusterName).contains("outbound|9080|v1|reviews.default.svc.cluster.local"))
        Self.expectSameAsFresh(index, "shared within one index")
    }

    @Test func aVirtualServiceChangeKeepsTheMemoAndStillTranslatesTheNewRoutes() throws {
        let before = MeshIndex(Self.snapshot(Self.destinationRule, Self.virtualService(v1Weight: 90)))
        for proxy in Self.proxies { _ = Translator.translate(before, proxy: proxy) }
        let after = MeshIndex(Self.snapshot(Self.destinationRule, Self.virtualService(v1Weight: 50)), reusing: before)
        #expect(after.memo === before.memo)
        #expect(after.routeMemo !== before.routeMemo)
        Self.expectSameAsFresh(after, "after a VirtualService change")
        let routes = Translator.translate(after, proxy: Self.proxies[0]).routes
        let weights = routes.flatMap(\.virtualHosts).flatMap(\.routes).flatMap(\.route.weightedClusters.clusters).map(\.weight.value)
        #expect(weights.contains(50) && !weights.contains(90))
    }

    @Test func destinationRuleAndEndpointChangesAreNotServedStale() {
        let before = MeshIndex(Self.snapshot(Self.destinationRule, Self.virtualService(v1Weight: 90)))
        for proxy in Self.proxies { _ = Translator.translate(before, proxy: proxy) }

        // A new subset: clusters and endpoints change, nothing is reused.
        let withV2 = Self.destinationRule.replacingOccurrences(of: "subsets: [{name: v1, labels: {version: v1}}]",
                                                               with: "subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]")
        let ruleChanged = MeshIndex(Self.snapshot(withV2, Self.virtualService(v1Weight: 90)), reusing: before)
        #expect(ruleChanged.memo !== before.memo)
        Self.expectSameAsFresh(ruleChanged, "after a DestinationRule change")
        let v2 = Translator.translate(ruleChanged, proxy: Self.proxies[0]).endpoints.first { $0.clusterName == "outbound|9080|v2|reviews.default.svc.cluster.local" }
        #expect(v2?.endpoints.flatMap(\.lbEndpoints).map(\.endpoint.address.socketAddress.address) == ["10.1.0.2"])

        // A pod moves to v2: the endpoints are rebuilt, the clusters kept.
        for proxy in Self.proxies { _ = Translator.translate(ruleChanged, proxy: proxy) }
        let relabelled = MeshIndex(Self.snapshot(withV2, Self.virtualService(v1Weight: 90), firstPodVersion: "v2"), reusing: ruleChanged)
        #expect(relabelled.memo !== ruleChanged.memo)
        Self.expectSameAsFresh(relabelled, "after an endpoint change")
        let v1 = Translator.translate(relabelled, proxy: Self.proxies[0]).endpoints.first { $0.clusterName == "outbound|9080|v1|reviews.default.svc.cluster.local" }
        #expect(v1?.endpoints.flatMap(\.lbEndpoints).isEmpty == true)
    }

    /// Sidecars of two workloads in one namespace share route configurations; with a
    /// `sourceLabels` match they must not, and each gets the route its labels select.
    @Test func routeConfigurationsAreSharedUnlessSourceLabelsMatter() {
        let index = MeshIndex(Self.snapshot(Self.destinationRule, Self.virtualService(v1Weight: 90)))
        #expect(!index.matchesSourceLabels)
        #expect(Translator.routeScope(index, proxy: Self.proxies[0]) == Translator.routeScope(index, proxy: Self.proxies[1]))
        #expect(Translator.routeScope(index, proxy: Self.proxies[0]) != Translator.routeScope(index, proxy: Self.proxies[2]))
        Self.expectSameAsFresh(index, "shared routes")

        let bySource = """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: reviews, namespace: default}
            spec:
              hosts: [reviews]
              http:
              - match: [{sourceLabels: {app: productpage}}]
                route: [{destination: {host: reviews, subset: v1}}]
              - route: [{destination: {host: reviews, subset: v2}}]
            """
        let labelled = MeshIndex(Self.snapshot(Self.destinationRule, bySource), reusing: index)
        #expect(labelled.matchesSourceLabels)
        #expect(Translator.routeScope(labelled, proxy: Self.proxies[0]) != Translator.routeScope(labelled, proxy: Self.proxies[1]))
        func firstCluster(_ proxy: ProxyIdentity) -> String? {
            Translator.translate(labelled, proxy: proxy).routes.first { $0.name == "9080" }?
                .virtualHosts.first { $0.name == "reviews.default.svc.cluster.local:9080" }?.routes.first?.route.cluster
        }
        #expect(firstCluster(Self.proxies[0]) == "outbound|9080|v1|reviews.default.svc.cluster.local")
        #expect(firstCluster(Self.proxies[1]) == "outbound|9080|v2|reviews.default.svc.cluster.local")
        Self.expectSameAsFresh(labelled, "routes by source labels")
    }

    static let ratingsEndpoints = """
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: {name: ratings-abc, namespace: default, labels: {kubernetes.io/service-name: ratings}}
        addressType: IPv4
        ports: [{name: http, port: 9080}]
        endpoints: [{addresses: [10.2.0.1]}]
        """

    static let ratings = """
        apiVersion: v1
        kind: Service
        metadata: {name: ratings, namespace: default}
        spec: {clusterIP: 10.0.0.11, selector: {app: ratings}, ports: [{name: http, port: 9080}]}
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: ratings, namespace: default}
        spec:
          hosts: [ratings]
          http:
          - route: [{destination: {host: ratings}}]
            timeout: 3s
        """

    /// A VirtualService change re-translates the virtual hosts of the hosts it claims; the others are
    /// carried over. A change that can reach any host (a delegate, a wildcard, a Service) starts afresh.
    @Test func virtualHostsAreCarriedExceptThoseAChangeClaims() {
        let before = MeshIndex(Self.snapshot(Self.destinationRule, Self.virtualService(v1Weight: 90), Self.ratings))
        for proxy in Self.proxies { _ = Translator.translate(before, proxy: proxy) }
        let carried = before.hostMemo.count
        #expect(carried > 0)

        let after = MeshIndex(Self.snapshot(Self.destinationRule, Self.virtualService(v1Weight: 50), Self.ratings), reusing: before)
        #expect(MeshIndex.hostsClaimedByChangedVirtualServices(before.snapshot, after.snapshot) == ["reviews.default.svc.cluster.local"])
        #expect(after.hostMemo.count > 0 && after.hostMemo.count < carried)
        Self.expectSameAsFresh(after, "after a VirtualService change")
        let ratingsTimeout = Translator.translate(after, proxy: Self.proxies[0]).routes.first { $0.name == "9080" }?
            .virtualHosts.first { $0.name == "ratings.default.svc.cluster.local:9080" }?.routes.first?.route.timeout.seconds
        #expect(ratingsTimeout == 3)

        // The ratings VirtualService goes away: its host is re-translated (to the default route).
        let removed = MeshIndex(Self.snapshot(Self.destinationRule, Self.virtualService(v1Weight: 50),
                                              Self.ratings.components(separatedBy: "---")[0]), reusing: after)
        Self.expectSameAsFresh(removed, "after a VirtualService is deleted")

        let delegate = """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: reviews-delegate, namespace: default}
            spec:
              http:
              - route: [{destination: {host: reviews, subset: v1}}]
            """
        let withDelegate = MeshIndex(Self.snapshot(Self.destinationRule, Self.virtualService(v1Weight: 50), Self.ratings, delegate), reusing: after)
        #expect(MeshIndex.hostsClaimedByChangedVirtualServices(after.snapshot, withDelegate.snapshot) == nil)
        #expect(withDelegate.hostMemo.count == 0)
        Self.expectSameAsFresh(withDelegate, "after a delegate appears")
    }

    /// An endpoint change rebuilds the assignments of the service port whose endpoints changed and
    /// carries the others, checked against the endpoints they were built from.
    @Test func anEndpointChangeRebuildsOnlyTheAssignmentsWhoseEndpointsChanged() {
        let before = MeshIndex(Self.snapshot(Self.destinationRule, Self.virtualService(v1Weight: 90), Self.ratings, Self.ratingsEndpoints))
        for proxy in Self.proxies { _ = Translator.translate(before, proxy: proxy) }
        // The first reviews pod is relabelled v2: reviews' endpoints change, ratings' do not.
        let after = MeshIndex(Self.snapshot(Self.destinationRule, Self.virtualService(v1Weight: 90), Self.ratings, Self.ratingsEndpoints, firstPodVersion: "v2"),
                              reusing: before)
        #expect(after.memo !== before.memo)
        #expect(after.routeMemo === before.routeMemo, "routes read no endpoints")
        var rebuilt: [String] = []
        for cluster in ["outbound|9080||ratings.default.svc.cluster.local", "outbound|9080|v1|reviews.default.svc.cluster.local"] {
            _ = after.memo.assignment(cluster: cluster, namespace: "default", inputs: { EndpointTranslator.inputs(cluster: cluster, index: after) }) {
                rebuilt.append(cluster)
                return EndpointTranslator.assignment(cluster: cluster, index: after, clientNamespace: "default")
            }
        }
        #expect(rebuilt == ["outbound|9080|v1|reviews.default.svc.cluster.local"])
        Self.expectSameAsFresh(after, "after an endpoint change")

        // Carried twice: an assignment nobody asked for in between is still checked when asked for.
        let again = MeshIndex(Self.snapshot(Self.destinationRule, Self.virtualService(v1Weight: 90), Self.ratings,
                                            Self.ratingsEndpoints.replacingOccurrences(of: "10.2.0.1", with: "10.2.0.9"), firstPodVersion: "v2"),
                              reusing: after)
        let ratings = Translator.translate(again, proxy: Self.proxies[0]).endpoints.first { $0.clusterName == "outbound|9080||ratings.default.svc.cluster.local" }
        #expect(ratings?.endpoints.flatMap(\.lbEndpoints).map(\.endpoint.address.socketAddress.address) == ["10.2.0.9"])
        Self.expectSameAsFresh(again, "after a second endpoint change")
    }

    /// An index built from one with the same clusters says which service ports' endpoints changed
    /// (changed, appeared, disappeared), and so which of a proxy's clusters can have new assignments.
    @Test func endpointChangesNameTheServicePortsWhoseEndpointsDiffer() {
        let reviewsClusters = ["outbound|9080||reviews.default.svc.cluster.local", "outbound|9080|v1|reviews.default.svc.cluster.local"]
        let ratingsCluster = "outbound|9080||ratings.default.svc.cluster.local"
        let clusters = ClustersByServicePort(reviewsClusters + [ratingsCluster, "BlackHoleCluster", "inbound|9080||"])
        let before = MeshIndex(Self.snapshot(Self.destinationRule, Self.ratings))
        #expect(before.endpointChanges == nil, "an index built from scratch has nothing to compare with")

        let ratingsAppear = MeshIndex(Self.snapshot(Self.destinationRule, Self.ratings, Self.ratingsEndpoints), reusing: before)
        #expect(ratingsAppear.endpointChanges.map { clusters.affected(by: $0) } == [ratingsCluster])
        #expect(ratingsAppear.changesOnlyEndpoints && !before.changesOnlyEndpoints)
        let reviewsMove = MeshIndex(Self.snapshot(Self.destinationRule, Self.ratings, Self.ratingsEndpoints, firstPodVersion: "v2"), reusing: ratingsAppear)
        #expect(reviewsMove.endpointChanges.map { clusters.affected(by: $0) } == reviewsClusters.sorted())
        let ratingsGone = MeshIndex(Self.snapshot(Self.destinationRule, Self.ratings, firstPodVersion: "v2"), reusing: reviewsMove)
        #expect(ratingsGone.endpointChanges.map { clusters.affected(by: $0) } == [ratingsCluster])
        let unchanged = MeshIndex(Self.snapshot(Self.destinationRule, Self.ratings, Self.virtualService(v1Weight: 50), firstPodVersion: "v2"),
                                  reusing: ratingsGone)
        #expect(unchanged.endpointChanges == nil, "no endpoint changed: the memo and its lists are kept whole")
        #expect(unchanged.memo === ratingsGone.memo)
        #expect(!unchanged.changesOnlyEndpoints, "a VirtualService changed")
        let secret = """
            apiVersion: v1
            kind: Secret
            metadata: {name: cert, namespace: default}
            data: {tls.crt: Y2VydA==}
            """
        let secretAdded = MeshIndex(Self.snapshot(Self.destinationRule, Self.ratings, Self.virtualService(v1Weight: 50), secret, firstPodVersion: "v2"),
                                    reusing: unchanged)
        #expect(!secretAdded.changesOnlyEndpoints && secretAdded.routeMemo !== unchanged.routeMemo, "gateways' routes and secrets read Secrets")
        #expect(secretAdded.endpointChanges == nil && secretAdded.memo === unchanged.memo)
        let serviceChanged = MeshIndex(Self.snapshot(Self.destinationRule, firstPodVersion: "v2"), reusing: secretAdded)
        #expect(serviceChanged.endpointChanges == nil && !serviceChanged.changesOnlyEndpoints, "clusters changed too: nothing is patched")
    }

    /// Assignments carried across endpoint changes: whether the newest of a cluster sits in the
    /// small layer or was merged into the base, it is the one found.
    @Test func carriedAssignmentsFindTheNewestOfEachClusterAcrossLayers() {
        func entry(_ address: String) -> TranslationMemo.Assignment {
            var assignment = Envoy_Config_Endpoint_V3_ClusterLoadAssignment()
            assignment.clusterName = address
            return TranslationMemo.Assignment(
                inputs: [MeshIndex.EndpointEntry(address: address, port: 80, labels: [:], region: nil, zone: nil, subzone: nil, draining: false)],
                assignment: assignment)
        }
        func found(_ cluster: String, _ namespace: String, in carried: CarriedAssignments) -> String? {
            carried.assignment(cluster: cluster, namespace: namespace)?.assignment.clusterName
        }
        var carried = CarriedAssignments().adding(["ns": Dictionary(uniqueKeysWithValues: (0..<64).map { ("c\($0)", entry("10.0.0.\($0)")) })])
        carried = carried.adding(["ns": ["c1": entry("10.9.0.1")]])
        carried = carried.adding(["other": ["c1": entry("10.8.0.1")]])
        #expect(found("c1", "ns", in: carried) == "10.9.0.1")
        #expect(found("c2", "ns", in: carried) == "10.0.0.2")
        #expect(found("c1", "other", in: carried) == "10.8.0.1")
        #expect(found("c64", "ns", in: carried) == nil)
        #expect(carried.adding([:]).assignment(cluster: "c1", namespace: "ns")?.assignment.clusterName == "10.9.0.1")

        // More than an eighth of the base: the layers are merged, and the newest still wins.
        carried = carried.adding(["ns": Dictionary(uniqueKeysWithValues: (0..<10).map { ("c\($0)", entry("10.7.0.\($0)")) })])
        #expect(found("c1", "ns", in: carried) == "10.7.0.1")
        #expect(found("c20", "ns", in: carried) == "10.0.0.20")
        #expect(found("c1", "other", in: carried) == "10.8.0.1")
        carried = carried.adding(["ns": ["c20": entry("10.6.0.20")]])
        #expect(found("c20", "ns", in: carried) == "10.6.0.20")
        #expect(found("c1", "ns", in: carried) == "10.7.0.1")
    }
}
