import EnvoyAPI
import MeshAPI
import SwiftProtobuf

/// VirtualService `tcp` rules → a `tcp_proxy` network filter. The first rule whose match
/// applies wins, as with HTTP routes; a rule without matches applies everywhere.
enum TCPRouteTranslator {
    /// Whether an L4 match applies to this proxy: port, gateways, source labels and namespace.
    /// `destinationSubnets` and `sourceSubnet` need per-connection address matching that a
    /// single tcp_proxy cannot express, so rules that set them are not selected.
    static func applies(_ match: L4MatchAttributes, namespace: String, context: RouteContext) -> Bool {
        if match.destinationSubnets?.isEmpty == false || match.sourceSubnet != nil { return false }
        return L4Scope.applies(port: match.port, gateways: match.gateways, sourceLabels: match.sourceLabels,
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

extension TCPRouteTranslator {
    /// For a sidecar's TCP listener of one service port: the tcp_proxy of the oldest
    /// mesh-bound VirtualService for that host whose `tcp` rules apply here, or nil to keep
    /// the default (straight to `outbound|<port>||<fqdn>`).
    static func sidecarTCPProxy(host: String, port: Int, index: MeshIndex, proxy: ProxyIdentity) -> Envoy_Extensions_Filters_Network_TcpProxy_V3_TcpProxy? {
        guard let virtualService = index.meshVirtualService(for: host, visibleTo: proxy.namespace), !(virtualService.spec.tcp ?? []).isEmpty else { return nil }
        return tcpProxy([virtualService], context: RouteContext(index: index, proxy: proxy, port: port))
    }
}
