import EnvoyAPI
import Foundation
import MeshAPI
import SwiftProtobuf

/// The Envoy resources one proxy needs, each list sorted by name (deterministic output).
public struct EnvoyResources: Sendable {
    public var listeners: [Envoy_Config_Listener_V3_Listener] = []
    public var routes: [Envoy_Config_Route_V3_RouteConfiguration] = []
    public var clusters: [Envoy_Config_Cluster_V3_Cluster] = []
    public var endpoints: [Envoy_Config_Endpoint_V3_ClusterLoadAssignment] = []
    public var secrets: [Envoy_Extensions_TransportSockets_Tls_V3_Secret] = []
    /// Things worth telling the user: routes to clusters that have no definition, left-out objects.
    public var findings: [String] = []

    public init() {}
}

/// Mesh snapshot + proxy identity → Envoy resources. Pure: no I/O, no clocks, the same
/// input always gives the same output.
public enum Translator {
    public static func translate(_ snapshot: MeshSnapshot, proxy: ProxyIdentity) -> EnvoyResources {
        translate(MeshIndex(snapshot), proxy: proxy)
    }

    public static func translate(_ index: MeshIndex, proxy: ProxyIdentity) -> EnvoyResources {
        var resources = EnvoyResources()
        switch proxy.kind {
        case .sidecar:
            let (listeners, ports) = ListenerTranslator.sidecarListeners(index, proxy: proxy)
            resources.listeners = listeners
            resources.routes = ports.map { VirtualHostTranslator.sidecarRouteConfiguration(port: $0, index: index, proxy: proxy) }
            resources.clusters = outboundClusters(index, proxy) + [PassthroughCluster.cluster()]
        case .grpc:
            resources.listeners = ListenerTranslator.grpcListeners(index)
            resources.routes = index.serviceOrder.flatMap { fqdn -> [Envoy_Config_Route_V3_RouteConfiguration] in
                guard let service = index.services[fqdn] else { return [] }
                return service.ports.filter { $0.protocolKind != .udp }.map {
                    VirtualHostTranslator.grpcRouteConfiguration(service: service, port: $0.port, index: index, proxy: proxy)
                }
            }
            resources.clusters = outboundClusters(index, proxy)
        case .gateway:
            let gateway = GatewayTranslator.resources(for: proxy, index: index)
            resources.listeners = gateway.listeners
            resources.routes = gateway.routes
            resources.secrets = gateway.secrets
            resources.findings += gateway.findings
            resources.clusters = outboundClusters(index, proxy)
        }
        completeReferencedClusters(&resources)
        resources.endpoints = resources.clusters.filter { $0.type == .eds }.map { cluster in
            index.memo.assignment(cluster: cluster.name, namespace: proxy.namespace) {
                EndpointTranslator.assignment(cluster: cluster.name, index: index, clientNamespace: proxy.namespace)
            }
        }
        resources.findings += index.leftOut.map { "\($0.kind.rawValue) \($0.name) left out: \($0.reason)" }
        resources.sort()
        return resources
    }

    private static func outboundClusters(_ index: MeshIndex, _ proxy: ProxyIdentity) -> [Envoy_Config_Cluster_V3_Cluster] {
        index.memo.outboundClusters(kind: proxy.kind, namespace: proxy.namespace) {
            ClusterTranslator.outboundClusters(index, clientNamespace: proxy.namespace, proxyKind: proxy.kind)
        }
    }

    /// Endpoints only, for changes that touch nothing else.
    public static func endpoints(_ index: MeshIndex, proxy: ProxyIdentity) -> [Envoy_Config_Endpoint_V3_ClusterLoadAssignment] {
        translate(index, proxy: proxy).endpoints
    }

    /// Make before break: every cluster a route, mirror or TCP proxy names is emitted, so a
    /// proxy never sees a route to a cluster it does not have. One with no definition (a
    /// subset no DestinationRule defines yet) is emitted empty: traffic to it fails fast
    /// with 503 until the definition arrives.
    static func completeReferencedClusters(_ resources: inout EnvoyResources) {
        var known = Set(resources.clusters.map(\.name))
        for name in ReferencedClusters.names(in: resources).sorted() where !known.contains(name) {
            resources.clusters.append(ClusterTranslator.edsCluster(named: name))
            known.insert(name)
            resources.findings.append("cluster \(name) is routed to but nothing defines it (missing service, port or subset); requests to it get 503")
        }
    }
}

extension EnvoyResources {
    mutating func sort() {
        listeners = Self.sorted(listeners, by: \.name)
        routes = Self.sorted(routes, by: \.name)
        clusters = Self.sorted(clusters, by: \.name)
        endpoints = Self.sorted(endpoints, by: \.clusterName)
        secrets = Self.sorted(secrets, by: \.name)
    }

    /// Sorts by a key read once per element: reading a field of a generated message goes through
    /// its storage box, and a sort reads keys O(n log n) times.
    private static func sorted<M>(_ messages: [M], by key: (M) -> String) -> [M] {
        guard messages.count > 1 else { return messages }
        return messages.map { (key($0), $0) }.sorted { $0.0 < $1.0 }.map(\.1)
    }

    /// `{"listeners":[…],"routes":[…],"clusters":[…],"endpoints":[…],"secrets":[…]}` with each
    /// resource in Envoy's canonical proto3 JSON, `@type` first. Private keys are redacted
    /// unless `showSecrets`.
    public func json(showSecrets: Bool = false) throws -> String {
        EnvoyAPI.registerTypes()
        var options = JSONEncodingOptions()
        options.useDeterministicOrdering = true
        func render(_ messages: [any Message]) throws -> String {
            let items = try messages.map { try Google_Protobuf_Any(packing: $0).jsonString(options: options) }
            return items.isEmpty ? "[]" : "[\n" + items.map { "  " + $0 }.joined(separator: ",\n") + "\n]"
        }
        let secrets = showSecrets ? self.secrets : self.secrets.map(Self.redacted)
        let sections: [(String, [any Message])] = [
            ("listeners", listeners), ("routes", routes), ("clusters", clusters), ("endpoints", endpoints), ("secrets", secrets),
        ]
        return "{\n" + (try sections.map { "\"\($0.0)\": " + (try render($0.1)) }.joined(separator: ",\n")) + "\n}\n"
    }

    static func redacted(_ secret: Envoy_Extensions_TransportSockets_Tls_V3_Secret) -> Envoy_Extensions_TransportSockets_Tls_V3_Secret {
        var copy = secret
        if case .tlsCertificate(let certificate)? = copy.type, certificate.hasPrivateKey {
            copy.tlsCertificate.privateKey = .init()
            copy.tlsCertificate.privateKey.inlineString = "[redacted]"
        }
        return copy
    }
}

/// Every cluster name a proxy's listeners and routes send traffic to.
enum ReferencedClusters {
    static func names(in resources: EnvoyResources) -> Set<String> {
        var names: Set<String> = []
        for configuration in resources.routes {
            for host in configuration.virtualHosts {
                for route in host.routes {
                    guard case .route(let action)? = route.action else { continue }
                    switch action.clusterSpecifier {
                    case .cluster(let name)?: names.insert(name)
                    case .weightedClusters(let weighted)?: names.formUnion(weighted.clusters.map(\.name))
                    default: break
                    }
                    names.formUnion(action.requestMirrorPolicies.map(\.cluster))
                }
            }
        }
        for listener in resources.listeners {
            for chain in listener.filterChains {
                for filter in chain.filters where filter.name == EnvoyExtensionName.tcpProxy {
                    guard let proxy = try? Envoy_Extensions_Filters_Network_TcpProxy_V3_TcpProxy(unpackingAny: filter.typedConfig) else { continue }
                    switch proxy.clusterSpecifier {
                    case .cluster(let name)?: names.insert(name)
                    case .weightedClusters(let weighted)?: names.formUnion(weighted.clusters.map(\.name))
                    default: break
                    }
                }
            }
        }
        return names
    }
}
