import EnvoyAPI
import Foundation
import MeshAPI
import SwiftProtobuf
import Testing
@testable import Translator

/// Translation of small meshes, checked field by field and against Envoy's real schema.
@Suite struct TranslatorTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let base = """
        apiVersion: v1
        kind: Service
        metadata: {name: reviews, namespace: default}
        spec:
          clusterIP: 10.0.0.10
          selector: {app: reviews}
          ports: [{name: http, port: 9080, targetPort: 9080}]
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: reviews-v1, namespace: default, labels: {app: reviews, version: v1}}
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
          conditions: {ready: true}
          targetRef: {kind: Pod, name: reviews-v1, namespace: default}
        - addresses: [10.1.0.2]
          conditions: {ready: true}
          targetRef: {kind: Pod, name: reviews-v2, namespace: default}
        - addresses: [10.1.0.3]
          conditions: {ready: false}
        ---
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: reviews, namespace: default}
        spec:
          host: reviews
          trafficPolicy:
            connectionPool:
              tcp: {maxConnections: 100, connectTimeout: 3s}
              http: {http1MaxPendingRequests: 10, maxRequestsPerConnection: 5}
            outlierDetection: {consecutive5xxErrors: 7, interval: 10s, baseEjectionTime: 30s}
          subsets:
          - name: v1
            labels: {version: v1}
          - name: v2
            labels: {version: v2}
            trafficPolicy:
              loadBalancer:
                consistentHash: {httpHeaderName: x-user}

        """

    static func translate(_ extra: String = "", kind: ProxyIdentity.Kind = .sidecar) -> EnvoyResources {
        let result = MeshDocumentDecoder().decode(yaml: base + "---\n" + extra, source: "test.yaml")
        #expect(result.errors.isEmpty, "\(result.errors)")
        return Translator.translate(MeshSnapshot(decoded: result.objects), proxy: ProxyIdentity(kind: kind, namespace: "default"))
    }

    static func routeAction(_ resources: EnvoyResources, config: String, host: String, route index: Int = 0) throws -> Envoy_Config_Route_V3_Route {
        let configuration = try #require(resources.routes.first { $0.name == config })
        let virtualHost = try #require(configuration.virtualHosts.first { $0.name == host })
        return try #require(virtualHost.routes.indices.contains(index) ? virtualHost.routes[index] : nil)
    }

    @Test func clustersCarryTheMergedDestinationRulePolicy() throws {
        let resources = Self.translate()
        let names = resources.clusters.map(\.name)
        #expect(names.contains("outbound|9080||reviews.default.svc.cluster.local"))
        #expect(names.contains("outbound|9080|v1|reviews.default.svc.cluster.local"))
        let v2 = try #require(resources.clusters.first { $0.name == "outbound|9080|v2|reviews.default.svc.cluster.local" })
        #expect(v2.type == .eds)
        #expect(v2.edsClusterConfig.serviceName == v2.name)
        #expect(v2.lbPolicy == .ringHash, "the subset's load balancer replaces the service-level one")
        #expect(v2.connectTimeout.seconds == 3, "the service-level connection pool still applies")
        #expect(v2.circuitBreakers.thresholds.first?.maxConnections.value == 100)
        #expect(v2.circuitBreakers.thresholds.first?.maxPendingRequests.value == 10)
        #expect(v2.outlierDetection.consecutive5Xx.value == 7)
        #expect(v2.outlierDetection.enforcingConsecutive5Xx.value == 100)
        let v1 = try #require(resources.clusters.first { $0.name == "outbound|9080|v1|reviews.default.svc.cluster.local" })
        #expect(v1.lbPolicy == .leastRequest, "Istio's default")
        #expect(v1.typedExtensionProtocolOptions[EnvoyExtensionName.upstreamHTTPProtocolOptions] != nil)
    }

    @Test func endpointsAreFilteredBySubsetAndReadiness() throws {
        let resources = Self.translate()
        func addresses(_ cluster: String) -> [String] {
            resources.endpoints.first { $0.clusterName == cluster }?.endpoints.flatMap(\.lbEndpoints).map(\.endpoint.address.socketAddress.address) ?? []
        }
        #expect(addresses("outbound|9080||reviews.default.svc.cluster.local") == ["10.1.0.1", "10.1.0.2"], "not-ready endpoints are left out")
        #expect(addresses("outbound|9080|v1|reviews.default.svc.cluster.local") == ["10.1.0.1"])
        #expect(addresses("outbound|9080|v2|reviews.default.svc.cluster.local") == ["10.1.0.2"])
    }

    @Test func weightedSplitHeaderMatchAndDefaultRetries() throws {
        let resources = Self.translate("""
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: reviews, namespace: default}
            spec:
              hosts: [reviews]
              http:
              - match: [{headers: {end-user: {exact: jason}}}, {uri: {prefix: /beta}, ignoreUriCase: true}]
                route: [{destination: {host: reviews, subset: v2}}]
                timeout: 2s
                retries: {attempts: 3, perTryTimeout: 500ms, retryOn: "5xx,503"}
              - route:
                - {destination: {host: reviews, subset: v1}, weight: 90}
                - {destination: {host: reviews, subset: v2}, weight: 10}
                fault:
                  abort: {httpStatus: 503, percentage: {value: 50}}
            """)
        let jason = try Self.routeAction(resources, config: "9080", host: "reviews.default.svc.cluster.local:9080", route: 0)
        #expect(jason.match.headers.first?.name == "end-user")
        #expect(jason.match.headers.first?.stringMatch.exact == "jason")
        #expect(jason.route.cluster == "outbound|9080|v2|reviews.default.svc.cluster.local")
        #expect(jason.route.timeout.seconds == 2)
        #expect(jason.route.retryPolicy.numRetries.value == 3)
        #expect(jason.route.retryPolicy.retryOn == "5xx,retriable-status-codes")
        #expect(jason.route.retryPolicy.retriableStatusCodes == [503])
        #expect(jason.route.hashPolicy.first?.header.headerName == "x-user", "v2 hashes on x-user")
        #expect(jason.route.retryPolicy.retryHostPredicate.isEmpty, "no previous-hosts predicate under consistent hashing")
        let beta = try Self.routeAction(resources, config: "9080", host: "reviews.default.svc.cluster.local:9080", route: 1)
        #expect(beta.match.prefix == "/beta" && beta.match.caseSensitive.value == false, "a second match of the same rule is its own route")

        let split = try Self.routeAction(resources, config: "9080", host: "reviews.default.svc.cluster.local:9080", route: 2)
        #expect(split.route.weightedClusters.clusters.map(\.weight.value) == [90, 10])
        #expect(split.route.retryPolicy.numRetries.value == 2, "Istio's default: 2 retries")
        #expect(split.route.retryPolicy.retryBackOff.baseInterval.nanos == 25_000_000)
        #expect(split.route.retryPolicy.retryHostPredicate.first?.name == EnvoyExtensionName.previousHostsRetryPredicate)
        let fault = try #require(split.typedPerFilterConfig[EnvoyExtensionName.fault])
        let decoded = try Envoy_Extensions_Filters_Http_Fault_V3_HTTPFault(unpackingAny: fault)
        #expect(decoded.abort.httpStatus == 503)
        #expect(decoded.abort.percentage.numerator == 500_000 && decoded.abort.percentage.denominator == .million)
    }

    @Test func aRouteToAnUndefinedSubsetGetsAnEmptyClusterNotABrokenReference() throws {
        let resources = Self.translate("""
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: reviews, namespace: default}
            spec:
              hosts: [reviews]
              http: [{route: [{destination: {host: reviews, subset: v3}}]}]
            """, kind: .grpc)
        let name = "outbound|9080|v3|reviews.default.svc.cluster.local"
        #expect(resources.clusters.contains { $0.name == name })
        #expect(resources.endpoints.first { $0.clusterName == name }?.endpoints.isEmpty == true)
        #expect(resources.findings.contains { $0.contains(name) })
    }

    @Test func anInvalidVirtualServiceIsLeftOutAndOthersStillTranslate() throws {
        let resources = Self.translate("""
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: broken, namespace: default}
            spec:
              hosts: [reviews]
              http: [{route: [{destination: {host: reviews, subset: v1}, weight: -5}]}]
            """)
        let route = try Self.routeAction(resources, config: "9080", host: "reviews.default.svc.cluster.local:9080")
        #expect(route.route.cluster == "outbound|9080||reviews.default.svc.cluster.local", "the default route stands in")
        #expect(resources.findings.contains { $0.contains("broken") && $0.contains("weight") })
    }

    @Test func grpcProxiesGetAPIListenersNamedAsTheyDial() throws {
        let resources = Self.translate(kind: .grpc)
        let listener = try #require(resources.listeners.first)
        #expect(listener.name == "reviews.default.svc.cluster.local:9080")
        let hcm = try Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpConnectionManager(unpackingAny: listener.apiListener.apiListener)
        #expect(hcm.rds.routeConfigName == listener.name)
        #expect(hcm.httpFilters.map(\.name) == [EnvoyExtensionName.fault, EnvoyExtensionName.router], "router last")
        let configuration = try #require(resources.routes.first { $0.name == listener.name })
        #expect(configuration.virtualHosts.first?.domains.contains("reviews.default.svc.cluster.local:9080") == true)
        #expect(resources.clusters.allSatisfy { $0.lbPolicy != .leastRequest || $0.name.contains("|v2|") == false })
    }

    @Test func proxyIdentitiesParseLikeIstios() throws {
        let sidecar = try ProxyIdentity(nodeID: "sidecar~10.1.0.1~reviews-v1-abc.default~default.svc.cluster.local")
        #expect(sidecar.kind == .sidecar && sidecar.ip == "10.1.0.1" && sidecar.podName == "reviews-v1-abc" && sidecar.namespace == "default")
        let gateway = try ProxyIdentity(nodeID: "router~10.1.0.9~ingress-xyz.istio-system~istio-system.svc.cluster.local", labels: ["istio": "ingressgateway"])
        #expect(gateway.kind == .gateway && gateway.namespace == "istio-system" && gateway.labels["istio"] == "ingressgateway")
        let grpc = try ProxyIdentity(nodeID: "sidecar~10.1.0.5~client.default~default.svc.cluster.local", generator: "grpc")
        #expect(grpc.kind == .grpc)
        let anyID = try ProxyIdentity(nodeID: "my-grpc-client", namespace: "apps", generator: "grpc")
        #expect(anyID.kind == .grpc && anyID.namespace == "apps")
        #expect(throws: ProxyIdentity.Malformed.self) { try ProxyIdentity(nodeID: "envoy-1") }
        #expect(throws: ProxyIdentity.Malformed.self) { try ProxyIdentity(nodeID: "ingress~1.2.3.4~a.b~b.svc.cluster.local") }
    }

    @Test func outputIsDeterministic() throws {
        let extra = """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: reviews, namespace: default}
            spec:
              hosts: [reviews]
              http:
              - route: [{destination: {host: reviews, subset: v1}}]
                headers: {request: {set: {b: "2", a: "1"}, add: {c: "3"}}}
            """
        let first = try Self.translate(extra).json()
        let second = try Self.translate(extra).json()
        #expect(first == second)
    }

    /// Random valid meshes: no route to a missing cluster, weights add up.
    @Test func randomMeshesNeverRouteToAMissingCluster() throws {
        var generator = SeededGenerator(seed: 42)
        for _ in 0..<25 {
            var yaml = ""
            let services = Int.random(in: 1...6, using: &generator)
            for index in 0..<services {
                yaml += """
                    apiVersion: v1
                    kind: Service
                    metadata: {name: s\(index), namespace: default}
                    spec: {ports: [{name: http, port: \(9000 + index % 3)}]}
                    ---
                    apiVersion: networking.istio.io/v1
                    kind: DestinationRule
                    metadata: {name: s\(index), namespace: default}
                    spec:
                      host: s\(index)
                      subsets: [{name: a, labels: {v: a}}, {name: b, labels: {v: b}}]
                    ---

                    """
                if Bool.random(using: &generator) {
                    let target = Int.random(in: 0..<(services + 1), using: &generator)
                    let weights = (0..<3).map { _ in Int.random(in: 0...60, using: &generator) }
                    yaml += """
                        apiVersion: networking.istio.io/v1
                        kind: VirtualService
                        metadata: {name: s\(index), namespace: default}
                        spec:
                          hosts: [s\(index)]
                          http:
                          - route:
                            - {destination: {host: s\(target), subset: a}, weight: \(weights[0] + 1)}
                            - {destination: {host: s\(target), subset: c}, weight: \(weights[1])}
                            - {destination: {host: s\(index)}, weight: \(weights[2])}
                        ---

                        """
                }
            }
            let decoded = MeshDocumentDecoder().decode(yaml: yaml, source: "random.yaml")
            #expect(decoded.errors.isEmpty)
            for kind in [ProxyIdentity.Kind.sidecar, .grpc] {
                let resources = Translator.translate(MeshSnapshot(decoded: decoded.objects), proxy: ProxyIdentity(kind: kind, namespace: "default"))
                let clusters = Set(resources.clusters.map(\.name))
                #expect(ReferencedClusters.names(in: resources).isSubset(of: clusters))
                for configuration in resources.routes {
                    for route in configuration.virtualHosts.flatMap(\.routes) {
                        if case .weightedClusters(let weighted)? = route.route.clusterSpecifier {
                            #expect(weighted.clusters.allSatisfy { $0.weight.value > 0 }, "zero weights are dropped")
                        }
                    }
                }
            }
        }
    }

    /// The samples, rendered for each kind of proxy, parse with Envoy's real schema (xds-protos).
    @Test(arguments: ["sidecar", "grpc", "gateway"])
    func samplesRenderToValidEnvoyConfig(kind: String) async throws {
        let decoded = MeshDocumentDecoder().decode(paths: [Self.repository.appendingPathComponent("config/samples")])
        #expect(decoded.errors.isEmpty)
        let proxyKind = ProxyIdentity.Kind(rawValue: kind)!
        let resources = Translator.translate(MeshSnapshot(decoded: decoded.objects), proxy: ProxyIdentity(kind: proxyKind, namespace: "default"))
        #expect(!resources.clusters.isEmpty)
        let result = try await EnvoySchema.validate(try resources.json(showSecrets: true), name: "render-\(kind)")
        #expect(result.status == 0, "Envoy's schema rejects the \(kind) render:\n\(result.output)")
    }
}

/// A small deterministic random source (SplitMix64) so property tests repeat exactly.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
