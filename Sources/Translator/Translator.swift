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
    /// The names of the clusters whose endpoints EDS serves, in name order.
    public var endpointClusters: [String] = []
    public var secrets: [Envoy_Extensions_TransportSockets_Tls_V3_Secret] = []
    /// Things worth telling the user: routes to clusters that have no definition, left-out objects.
    public var findings: [String] = []
    /// Clusters added because routes send traffic to them and nothing defines them; when there are
    /// none, the clusters are exactly those every proxy of the kind and namespace gets.
    public var undefinedClusters: [String] = []

    public init() {}
}

/// Mesh snapshot + proxy identity → Envoy resources. Pure: no I/O, no clocks, the same
/// input always gives the same output.
public enum Translator {
    public static func translate(_ snapshot: MeshSnapshot, proxy: ProxyIdentity) -> EnvoyResources {
        translate(MeshIndex(snapshot), proxy: proxy)
    }

    /// `assignments`: whether to build the EDS clusters' assignments too; a caller that has them
    /// (they are shared by every proxy of a kind and namespace) reads ``EnvoyResources/endpointClusters`` instead.
    public static func translate(_ index: MeshIndex, proxy: ProxyIdentity, assignments: Bool = true) -> EnvoyResources {
        var resources = EnvoyResources()
        switch proxy.kind {
        case .sidecar:
            let (listeners, ports) = ListenerTranslator.sidecarListeners(index, proxy: proxy)
            resources.listeners = listeners
            let scope = routeScope(index, proxy: proxy)
            resources.routes = ports.map { port in
                index.routeMemo.configuration(scope: scope, name: String(port)) {
                    VirtualHostTranslator.sidecarRouteConfiguration(port: port, index: index, proxy: proxy)
                }
            }
            // BlackHoleCluster and PassthroughCluster sort before every `outbound|…` name: the list stays sorted.
            resources.clusters = [BlackHoleCluster.cluster(), PassthroughCluster.cluster()] + outboundClusters(index, proxy)
        case .grpc:
            resources.listeners = index.memo.grpcListeners { ListenerTranslator.grpcListeners(index) }
            let scope = routeScope(index, proxy: proxy)
            resources.routes = index.serviceOrder.flatMap { fqdn -> [Envoy_Config_Route_V3_RouteConfiguration] in
                guard let service = index.services[fqdn] else { return [] }
                return service.ports.filter { $0.protocolKind != .udp }.map { port in
                    index.routeMemo.configuration(scope: scope, name: GRPCListenerNaming.name(fqdn: fqdn, port: port.port)) {
                        VirtualHostTranslator.grpcRouteConfiguration(service: service, port: port.port, index: index, proxy: proxy, scope: scope)
                    }
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
        let outbound = index.memo.outboundClusterNames(kind: proxy.kind, namespace: proxy.namespace) { outboundClusters(index, proxy) }
        completeReferencedClusters(&resources, routeScope: proxy.kind == .gateway ? nil : routeScope(index, proxy: proxy), memo: index.routeMemo,
                                   hosts: index.hostMemo) { name in
            outbound.contains(name) || (proxy.kind == .sidecar && (name == PassthroughCluster.name || name == BlackHoleCluster.name))
        }
        resources.findings += index.leftOut.map { "\($0.kind.rawValue) \($0.name) left out: \($0.reason)" }
        resources.findings += index.partsLeftOut.map { "\($0.kind.rawValue) \(NamespacedName(namespace: $0.namespace ?? MeshSnapshot.defaultNamespace, name: $0.name ?? "")): \($0.fieldPath) left out: \($0.message)" }
        resources.sort()
        // Clusters are in name order now, and so are these and their assignments.
        resources.endpointClusters = resources.clusters.filter { $0.type == .eds }.map(\.name)
        if assignments { resources.endpoints = endpoints(index, proxy: proxy, clusters: resources.endpointClusters) }
        return resources
    }

    /// What a proxy's route configurations depend on besides the mesh: its kind and namespace,
    /// its labels for gateways (which Gateways select it) or when a VirtualService matches
    /// `sourceLabels`, and a gateway's access to private keys. Proxies with equal scopes get equal
    /// route configurations of a name.
    public static func routeScope(_ index: MeshIndex, proxy: ProxyIdentity) -> String {
        let labelsMatter = proxy.kind == .gateway || index.matchesSourceLabels
        let labels = labelsMatter ? proxy.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",") : "*"
        // A gateway's HTTPS servers, and so its route configurations, depend on the keys it may have.
        let keys = proxy.kind == .gateway ? proxy.secretAccess.scopeKey : ""
        return "\(proxy.kind.rawValue)|\(proxy.namespace)|\(labels)\(keys)"
    }

    /// Sorted by name when built, so that every proxy sharing them sorts nothing.
    private static func outboundClusters(_ index: MeshIndex, _ proxy: ProxyIdentity) -> [Envoy_Config_Cluster_V3_Cluster] {
        index.memo.outboundClusters(kind: proxy.kind, namespace: proxy.namespace) {
            EnvoyResources.sorted(ClusterTranslator.outboundClusters(index, clientNamespace: proxy.namespace, proxyKind: proxy.kind), by: \.name)
        }
    }

    /// The assignments of these EDS clusters for the proxy: after a change to endpoints only, those
    /// its last translation gave (its clusters and routes are as they were), without translating again.
    public static func endpoints(_ index: MeshIndex, proxy: ProxyIdentity, clusters: [String]) -> [Envoy_Config_Endpoint_V3_ClusterLoadAssignment] {
        clusters.map { name in
            index.memo.assignment(cluster: name, namespace: proxy.namespace, inputs: { EndpointTranslator.inputs(cluster: name, index: index) }) {
                EndpointTranslator.assignment(cluster: name, index: index, clientNamespace: proxy.namespace)
            }
        }
    }

    /// Make before break: every cluster a route, mirror or TCP proxy names is emitted, so a
    /// proxy never sees a route to a cluster it does not have. One with no definition (a
    /// subset no DestinationRule defines yet) is emitted empty: traffic to it fails fast
    /// with 503 until the definition arrives.
    /// With a `routeScope`, what each route configuration names is looked up in `memo` (route
    /// configurations of one name and scope are equal, see ``routeScope(_:proxy:)``).
    /// `isDefined` says whether the proxy's clusters include a name (nil: look them up).
    static func completeReferencedClusters(_ resources: inout EnvoyResources, routeScope: String? = nil, memo: RouteMemo? = nil,
                                           hosts: VirtualHostMemo? = nil, isDefined: ((String) -> Bool)? = nil) {
        let referenced = ReferencedClusters.names(in: resources) { configuration in
            guard let routeScope, let memo else { return ReferencedClusters.names(in: configuration) }
            return memo.referencedClusters(scope: routeScope, name: configuration.name) {
                // Per virtual host, remembered across indexes for the hosts a change did not touch.
                var names: Set<String> = []
                for host in configuration.virtualHosts {
                    names.formUnion(hosts?.referencedClusters(of: host, key: routeScope + "|" + configuration.name + "|" + host.name) ?? ReferencedClusters.names(in: host))
                }
                return names
            }
        }
        var known: Set<String>?
        func defined(_ name: String) -> Bool {
            if let isDefined, isDefined(name) { return true }
            if known == nil { known = isDefined == nil ? Set(resources.clusters.map(\.name)) : [] }
            return known?.contains(name) == true
        }
        // Sorted after filtering: the referenced names are thousands, the undefined ones few.
        for name in referenced.filter({ !defined($0) }).sorted() {
            resources.clusters.append(ClusterTranslator.edsCluster(named: name))
            resources.undefinedClusters.append(name)
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
    /// Lists that are sorted already (shared clusters, their endpoints) are returned as they are.
    static func sorted<M>(_ messages: [M], by key: (M) -> String) -> [M] {
        guard messages.count > 1 else { return messages }
        let keys = messages.map(key)
        if zip(keys, keys.dropFirst()).allSatisfy({ $0 <= $1 }) { return messages }
        return zip(keys, messages).sorted { $0.0 < $1.0 }.map(\.1)
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
        names(in: resources, routes: names(in:))
    }

    /// `routes` gives what one route configuration names (possibly remembered).
    static func names(in resources: EnvoyResources, routes: (Envoy_Config_Route_V3_RouteConfiguration) -> Set<String>) -> Set<String> {
        var names: Set<String> = []
        for configuration in resources.routes {
            names.formUnion(routes(configuration))
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

    /// The clusters one route configuration's routes and mirrors name.
    static func names(in configuration: Envoy_Config_Route_V3_RouteConfiguration) -> Set<String> {
        configuration.virtualHosts.reduce(into: Set<String>()) { $0.formUnion(names(in: $1)) }
    }

    /// The clusters one virtual host's routes and mirrors name.
    static func names(in host: Envoy_Config_Route_V3_VirtualHost) -> Set<String> {
        var names: Set<String> = []
        for route in host.routes {
            guard case .route(let action)? = route.action else { continue }
            switch action.clusterSpecifier {
            case .cluster(let name)?: names.insert(name)
            case .weightedClusters(let weighted)?: names.formUnion(weighted.clusters.map(\.name))
            default: break
            }
            names.formUnion(action.requestMirrorPolicies.map(\.cluster))
        }
        return names
    }
}
