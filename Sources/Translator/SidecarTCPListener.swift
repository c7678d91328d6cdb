import EnvoyAPI
import MeshAPI
import SwiftProtobuf

/// The filter chains of a sidecar's outbound listener for one non-HTTP service port, as
/// Istio builds them: first a chain per SNI match of the host's VirtualService `tls` rules,
/// then one catch-all chain from its first applying `tcp` rule, falling back to the
/// service's own cluster (`outbound|<port>||<fqdn>`).
enum SidecarTCPChains {
    /// One chain on its way into a listener: the SNI names it matches (none: any connection).
    struct Planned {
        var serverNames: [String]
        var proxy: Envoy_Extensions_Filters_Network_TcpProxy_V3_TcpProxy
    }

    /// The chains of `service`'s `port`. On a listener bound to 0.0.0.0 (no cluster IP) a
    /// TLS or HTTPS port without `tls` routes matches its own FQDN as SNI, so several such
    /// services can share the listener, told apart by SNI as in Istio.
    static func plan(service: MeshIndex.ServiceEntry, port: MeshIndex.ServicePort, wildcardAddress: Bool, index: MeshIndex, proxy: ProxyIdentity) -> [Planned] {
        let context = RouteContext(index: index, proxy: proxy, port: port.port)
        let virtualService = index.meshVirtualService(for: service.fqdn, visibleTo: proxy.namespace)
        var planned = virtualService.map { TLSRouteTranslator.sidecarChains($0, context: context) } ?? []
        let serviceCluster = ClusterName.outbound(port: port.port, host: service.fqdn)
        if planned.isEmpty && port.protocolKind.isTLS && wildcardAddress {
            planned.append(Planned(serverNames: [service.fqdn], proxy: defaultProxy(cluster: serviceCluster)))
        }
        // The catch-all: the first applying `tcp` rule, else the service (not for a TLS port on
        // a wildcard address, which only takes the SNI names routed to it).
        if !planned.contains(where: \.serverNames.isEmpty) {
            if let routed = TCPRouteTranslator.sidecarTCPProxy(host: service.fqdn, port: port.port, index: index, proxy: proxy) {
                planned.append(Planned(serverNames: [], proxy: routed))
            } else if !(port.protocolKind.isTLS && wildcardAddress) {
                planned.append(Planned(serverNames: [], proxy: defaultProxy(cluster: serviceCluster)))
            }
        }
        return planned
    }

    /// Straight to one cluster.
    static func defaultProxy(cluster: String) -> Envoy_Extensions_Filters_Network_TcpProxy_V3_TcpProxy {
        var proxy = Envoy_Extensions_Filters_Network_TcpProxy_V3_TcpProxy()
        proxy.statPrefix = cluster
        proxy.cluster = cluster
        return proxy
    }

    /// Chains of several services sharing one listener (a wildcard address): SNI chains of
    /// every service whose names no earlier chain claimed, and the first catch-all only
    /// (Envoy rejects two chains with the same match; the first service wins, as in Istio).
    static func merge(_ plans: [[Planned]]) -> [Planned] {
        var claimed: Set<String> = []
        var merged: [Planned] = []
        for plan in plans {
            for chain in plan {
                let key = chain.serverNames.sorted().joined(separator: ",")
                guard claimed.insert(key).inserted else { continue }
                merged.append(chain)
            }
        }
        // The catch-all last: Envoy picks the most specific match whatever the order, but readers expect it there.
        return merged.filter { !$0.serverNames.isEmpty } + merged.filter(\.serverNames.isEmpty)
    }

    /// The Envoy filter chains, and whether the listener needs the TLS inspector to read SNI.
    static func filterChains(_ planned: [Planned]) -> (chains: [Envoy_Config_Listener_V3_FilterChain], inspectsTLS: Bool) {
        let chains = planned.map { plan in
            var chain = Envoy_Config_Listener_V3_FilterChain()
            if !plan.serverNames.isEmpty { chain.filterChainMatch.serverNames = plan.serverNames }
            chain.filters = [TCPRouteTranslator.filter(plan.proxy)]
            return chain
        }
        return (chains, planned.contains { !$0.serverNames.isEmpty })
    }
}
