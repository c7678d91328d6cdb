import EnvoyAPI
import MeshAPI
import SwiftProtobuf

/// The filter chains of a sidecar's outbound listener for one non-HTTP service port, as
/// Istio builds them: first a chain per SNI match of the host's VirtualService `tls` rules,
/// then one catch-all chain from its first applying `tcp` rule, falling back to the
/// service's own cluster (`outbound|<port>||<fqdn>`).
enum SidecarTCPChains {
    /// One chain on its way into a listener: the SNI names and the destination and source
    /// address ranges (CIDR) it matches; none of them: any connection.
    struct Planned {
        var serverNames: [String]
        var destinationRanges: [String] = []
        var sourceRanges: [String] = []
        var proxy: Envoy_Extensions_Filters_Network_TcpProxy_V3_TcpProxy

        var isCatchAll: Bool { serverNames.isEmpty && destinationRanges.isEmpty && sourceRanges.isEmpty }

        /// Two chains with the same key would have the same filter chain match, which Envoy rejects.
        var matchKey: String {
            [serverNames.sorted(), destinationRanges.sorted(), sourceRanges.sorted()].map { $0.joined(separator: ",") }.joined(separator: "|")
        }
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
        // `tcp` rules matching address ranges come before it, each as its own chain.
        if !planned.contains(where: \.isCatchAll) {
            var claimed = Set(planned.map(\.matchKey))
            for chain in virtualService.map({ TCPRouteTranslator.sidecarChains($0, context: context) }) ?? [] where claimed.insert(chain.matchKey).inserted {
                planned.append(chain)
            }
            if !planned.contains(where: \.isCatchAll) && !(port.protocolKind.isTLS && wildcardAddress) {
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
                guard claimed.insert(chain.matchKey).inserted else { continue }
                merged.append(chain)
            }
        }
        // The catch-all last: Envoy picks the most specific match whatever the order, but readers expect it there.
        return merged.filter { !$0.isCatchAll } + merged.filter(\.isCatchAll)
    }

    /// The Envoy filter chains, and whether the listener needs the TLS inspector to read SNI.
    static func filterChains(_ planned: [Planned]) -> (chains: [Envoy_Config_Listener_V3_FilterChain], inspectsTLS: Bool) {
        let chains = planned.map { plan in
            var chain = Envoy_Config_Listener_V3_FilterChain()
            if !plan.serverNames.isEmpty { chain.filterChainMatch.serverNames = plan.serverNames }
            if !plan.destinationRanges.isEmpty { chain.filterChainMatch.prefixRanges = plan.destinationRanges.map(CIDR.range) }
            if !plan.sourceRanges.isEmpty { chain.filterChainMatch.sourcePrefixRanges = plan.sourceRanges.map(CIDR.range) }
            chain.filters = [TCPRouteTranslator.filter(plan.proxy)]
            return chain
        }
        return (chains, planned.contains { !$0.serverNames.isEmpty })
    }
}

/// Istio's subnets as Envoy address ranges: `10.1.0.0/16`, or a bare address for one host.
enum CIDR {
    static func range(_ subnet: String) -> Envoy_Config_Core_V3_CidrRange {
        var range = Envoy_Config_Core_V3_CidrRange()
        let parts = subnet.split(separator: "/", maxSplits: 1)
        range.addressPrefix = String(parts.first ?? "")
        let hostLength: UInt32 = subnet.contains(":" as Character) ? 128 : 32
        range.prefixLen = Google_Protobuf_UInt32Value(parts.count == 2 ? UInt32(parts[1]) ?? hostLength : hostLength)
        return range
    }
}
