import EnvoyAPI
import MeshAPI
import SwiftProtobuf

/// VirtualService `tcp` rules → a `tcp_proxy` network filter. The first rule whose match
/// applies wins, as with HTTP routes; a rule without matches applies everywhere.
enum TCPRouteTranslator {
    /// Whether an L4 match applies to this proxy: port, gateways, source labels and namespace.
    /// Matches on `destinationSubnets` or `sourceSubnet` select connections, which one
    /// tcp_proxy cannot; they are left out here and become filter chains of their own on
    /// sidecars (`sidecarChains`).
    static func applies(_ match: L4MatchAttributes, namespace: String, context: RouteContext) -> Bool {
        if match.hasSubnets { return false }
        return appliesToProxy(match, namespace: namespace, context: context)
    }

    static func appliesToProxy(_ match: L4MatchAttributes, namespace: String, context: RouteContext) -> Bool {
        L4Scope.applies(port: match.port, gateways: match.gateways, sourceLabels: match.sourceLabels,
                               sourceNamespace: match.sourceNamespace, namespace: namespace, context: context)
    }

    /// The first rule of `virtualServices` (oldest first) that applies, as a tcp_proxy.
    static func tcpProxy(_ virtualServices: [VirtualService], context: RouteContext) -> Envoy_Extensions_Filters_Network_TcpProxy_V3_TcpProxy? {
        for virtualService in virtualServices {
            let namespace = MeshSnapshot.key(virtualService.metadata).namespace
            for rule in virtualService.spec.tcp ?? [] {
                let matches = rule.match ?? []
                guard matches.isEmpty || matches.contains(where: { applies($0, namespace: namespace, context: context) }) else { continue }
                if let proxy = tcpProxy(rule.route ?? [], namespace: namespace, context: context) { return proxy }
            }
        }
        return nil
    }

    /// One destination → `cluster`; several → `weighted_clusters` (zero weights dropped,
    /// weights relative as Istio allows). Nil when no destination is left.
    static func tcpProxy(_ destinations: [RouteDestination], namespace: String, context: RouteContext) -> Envoy_Extensions_Filters_Network_TcpProxy_V3_TcpProxy? {
        let kept = destinations.filter { $0.destination != nil && (destinations.count == 1 || ($0.weight ?? 0) > 0) }
        guard !kept.isEmpty else { return nil }
        var proxy = Envoy_Extensions_Filters_Network_TcpProxy_V3_TcpProxy()
        let names = kept.map { context.clusterName(for: $0.destination!, in: namespace) }
        if kept.count == 1 {
            proxy.cluster = names[0]
            proxy.statPrefix = names[0]
        } else {
            var weighted = Envoy_Extensions_Filters_Network_TcpProxy_V3_TcpProxy.WeightedCluster()
            weighted.clusters = zip(kept, names).map { destination, name in
                var cluster = Envoy_Extensions_Filters_Network_TcpProxy_V3_TcpProxy.WeightedCluster.ClusterWeight()
                cluster.name = name
                cluster.weight = UInt32(max(0, destination.weight ?? 0))
                return cluster
            }
            proxy.weightedClusters = weighted
            proxy.statPrefix = names[0]
        }
        return proxy
    }

    /// The network filter carrying a tcp_proxy.
    static func filter(_ proxy: Envoy_Extensions_Filters_Network_TcpProxy_V3_TcpProxy) -> Envoy_Config_Listener_V3_Filter {
        var filter = Envoy_Config_Listener_V3_Filter()
        filter.name = EnvoyExtensionName.tcpProxy
        filter.typedConfig = (try? Google_Protobuf_Any(packing: proxy)) ?? Google_Protobuf_Any()
        return filter
    }
}

/// The parts of L4 (TCP and TLS) matches that select proxies rather than connections.
enum L4Scope {
    static func applies(port: UInt32?, gateways: [String]?, sourceLabels: [String: String]?, sourceNamespace: String?, namespace: String, context: RouteContext) -> Bool {
        var http = HTTPMatchRequest()
        http.port = port
        http.gateways = gateways
        http.sourceLabels = sourceLabels
        http.sourceNamespace = sourceNamespace
        return RouteMatchTranslator.applies(http, namespace: namespace, context: context)
    }
}

extension L4MatchAttributes {
    var hasSubnets: Bool { destinationSubnets?.isEmpty == false || sourceSubnet?.isEmpty == false }
}

extension TCPRouteTranslator {
    /// A sidecar listener's chains from `virtualService`'s `tcp` rules, in order: one per
    /// applying match on address ranges, then the first rule that applies to every
    /// connection as the catch-all (rules after it are unreachable, as in Istio).
    static func sidecarChains(_ virtualService: VirtualService, context: RouteContext) -> [SidecarTCPChains.Planned] {
        let namespace = MeshSnapshot.key(virtualService.metadata).namespace
        var chains: [SidecarTCPChains.Planned] = []
        var claimed: Set<String> = []
        for rule in virtualService.spec.tcp ?? [] {
            let matches = rule.match ?? []
            let applying = matches.filter { appliesToProxy($0, namespace: namespace, context: context) }
            guard matches.isEmpty || !applying.isEmpty,
                  let proxy = tcpProxy(rule.route ?? [], namespace: namespace, context: context) else { continue }
            if matches.isEmpty || applying.contains(where: { !$0.hasSubnets }) {
                chains.append(.init(serverNames: [], proxy: proxy))
                return chains
            }
            for match in applying {
                let chain = SidecarTCPChains.Planned(serverNames: [], destinationRanges: match.destinationSubnets ?? [],
                                                     sourceRanges: match.sourceSubnet.map { [$0] } ?? [], proxy: proxy)
                if claimed.insert(chain.matchKey).inserted { chains.append(chain) }
            }
        }
        return chains
    }
}
