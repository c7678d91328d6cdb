import EnvoyAPI
import MeshAPI

/// VirtualService `tls` rules → filter chains matched by SNI (`server_names`), each with a
/// `tcp_proxy` to the rule's destinations; TLS is not terminated (passthrough).
enum TLSRouteTranslator {
    /// One SNI-routed chain: the names it matches and where it sends the connection.
    struct Chain: Sendable {
        var serverNames: [String]
        var proxy: Envoy_Extensions_Filters_Network_TcpProxy_V3_TcpProxy
    }

    /// Whether a TLS match applies to this proxy. On gateways a match on `destinationSubnets`
    /// is not selected; sidecars give it a chain of its own (`includingSubnets`).
    static func applies(_ match: TLSMatchAttributes, namespace: String, context: RouteContext, includingSubnets: Bool = false) -> Bool {
        if !includingSubnets, match.destinationSubnets?.isEmpty == false { return false }
        return L4Scope.applies(port: match.port, gateways: match.gateways, sourceLabels: match.sourceLabels,
                               sourceNamespace: match.sourceNamespace, namespace: namespace, context: context)
    }

    /// Chains for a passthrough gateway server: every applying match of the VirtualServices
    /// bound to the gateway, in order (oldest VirtualService first), its `sniHosts`
    /// narrowed to the server's hosts. Names already claimed by an earlier chain are not
    /// claimed again (Envoy rejects two chains with the same match; first wins as with routes).
    static func chains(server: Server, gatewayNamespace: String, virtualServices: [VirtualService], context: RouteContext) -> [Chain] {
        var chains: [Chain] = []
        var claimed: Set<String> = []
        for virtualService in virtualServices {
            let namespace = MeshSnapshot.key(virtualService.metadata).namespace
            let hosts = GatewayHosts.hosts(of: virtualService, on: server, gatewayNamespace: gatewayNamespace, snapshot: context.index.snapshot)
            guard !hosts.isEmpty else { continue }
            for rule in virtualService.spec.tls ?? [] {
                for match in rule.match ?? [] where applies(match, namespace: namespace, context: context) {
                    let requested = match.sniHosts ?? hosts
                    var names: [String] = []
                    for sni in requested {
                        for host in hosts {
                            if let common = GatewayHosts.intersection(sni, host), !claimed.contains(common), !names.contains(common) {
                                names.append(common)
                            }
                        }
                    }
                    guard !names.isEmpty, let proxy = TCPRouteTranslator.tcpProxy(rule.route ?? [], namespace: namespace, context: context) else { continue }
                    claimed.formUnion(names)
                    // `*` is not a valid server name: it means "any SNI".
                    chains.append(Chain(serverNames: names.contains("*") ? [] : names, proxy: proxy))
                }
            }
        }
        return chains
    }
}

extension TLSRouteTranslator {
    /// Chains for a sidecar's listener of one service port: every applying match of the
    /// host's VirtualService `tls` rules, in order, matching its `sniHosts` as written.
    /// Names an earlier chain claimed are not claimed again; `*` means any SNI.
    static func sidecarChains(_ virtualService: VirtualService, context: RouteContext) -> [SidecarTCPChains.Planned] {
        let namespace = MeshSnapshot.key(virtualService.metadata).namespace
        var chains: [SidecarTCPChains.Planned] = []
        var claimed: Set<String> = []
        for rule in virtualService.spec.tls ?? [] {
            for match in rule.match ?? [] where applies(match, namespace: namespace, context: context, includingSubnets: true) {
                // A name is claimed per address range: the same SNI may route differently by destination.
                let ranges = match.destinationSubnets ?? []
                let scope = ranges.sorted().joined(separator: ",") + "|"
                var names: [String] = []
                for sni in match.sniHosts ?? [] where !sni.isEmpty && !claimed.contains(scope + sni) && !names.contains(sni) { names.append(sni) }
                guard !names.isEmpty, let proxy = TCPRouteTranslator.tcpProxy(rule.route ?? [], namespace: namespace, context: context) else { continue }
                claimed.formUnion(names.map { scope + $0 })
                chains.append(SidecarTCPChains.Planned(serverNames: names.contains("*") ? [] : names, destinationRanges: ranges, proxy: proxy))
            }
        }
        return chains
    }
}
