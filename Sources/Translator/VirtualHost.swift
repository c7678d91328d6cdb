import EnvoyAPI
import MeshAPI

/// Route configurations: per sidecar listener port (`9080`), and per service port for
/// proxyless gRPC (`reviews.default.svc.cluster.local:9080`).
public enum VirtualHostTranslator {
    /// The RDS config `<port>` a sidecar uses for every HTTP service on that port.
    public static func sidecarRouteConfiguration(port: Int, index: MeshIndex, proxy: ProxyIdentity) -> Envoy_Config_Route_V3_RouteConfiguration {
        var configuration = Envoy_Config_Route_V3_RouteConfiguration()
        configuration.name = String(port)
        let context = RouteContext(index: index, proxy: proxy, port: port)
        let scope = Translator.routeScope(index, proxy: proxy)
        for fqdn in index.serviceOrder {
            guard let service = index.services[fqdn], let servicePort = service.ports.first(where: { $0.port == port }),
                  servicePort.protocolKind.isHTTP || (servicePort.protocolKind.isSniffed && Self.hasClusterIP(service)) else { continue }
            configuration.virtualHosts.append(index.hostMemo.host(scope: scope, port: port, fqdn: fqdn, portless: true) {
                virtualHost(service: service, port: port, context: context, withPortlessDomains: true)
            })
        }
        configuration.virtualHosts.append(OutboundPolicy.allowAnyVirtualHost())
        DirectResponseTranslator.allowBodies(in: &configuration)
        return configuration
    }

    /// Whether the service has a virtual IP, so a sniffed port gets a listener of its own (see ``ProtocolSniffing``).
    static func hasClusterIP(_ service: MeshIndex.ServiceEntry) -> Bool {
        guard let ip = service.clusterIP else { return false }
        return !ip.isEmpty && ip != "None"
    }

    /// The RDS config a proxyless gRPC client fetches for `xds:///<fqdn>:<port>`.
    /// `scope` is the proxy's route scope when the caller has it (see ``Translator/routeScope(_:proxy:)``).
    public static func grpcRouteConfiguration(service: MeshIndex.ServiceEntry, port: Int, index: MeshIndex, proxy: ProxyIdentity,
                                              scope: String? = nil) -> Envoy_Config_Route_V3_RouteConfiguration {
        var configuration = Envoy_Config_Route_V3_RouteConfiguration()
        configuration.name = GRPCListenerNaming.name(fqdn: service.fqdn, port: port)
        let context = RouteContext(index: index, proxy: proxy, port: port)
        configuration.virtualHosts = [index.hostMemo.host(scope: scope ?? Translator.routeScope(index, proxy: proxy), port: port, fqdn: service.fqdn, portless: true) {
            virtualHost(service: service, port: port, context: context, withPortlessDomains: true)
        }]
        DirectResponseTranslator.allowBodies(in: &configuration)
        return configuration
    }

    /// `<fqdn>:<port>` with the service's names (FQDN, short names, cluster IP), each with and without the port.
    static func virtualHost(service: MeshIndex.ServiceEntry, port: Int, context: RouteContext, withPortlessDomains: Bool) -> Envoy_Config_Route_V3_VirtualHost {
        var host = Envoy_Config_Route_V3_VirtualHost()
        host.name = "\(service.fqdn):\(port)"
        var names = [service.fqdn] + alternateNames(service.fqdn, proxyDomain: "\(context.proxy.namespace).svc.\(context.index.domainSuffix)")
        if let ip = service.clusterIP, !ip.isEmpty, ip != "None" { names.append(ip) }
        var domains: [String] = []
        for name in names {
            if withPortlessDomains { domains.append(name) }
            domains.append("\(name):\(port)")
        }
        host.domains = domains
        // istiod's default: upstreams see `x-envoy-attempt-count` (1, then 2… on retries). Envoy only.
        host.includeRequestAttemptCount = context.proxy.kind != .grpc
        var routes: [Envoy_Config_Route_V3_Route] = []
        if let virtualService = context.index.meshVirtualService(for: service.fqdn, visibleTo: context.proxy.namespace) {
            routes = HTTPRouteTranslator.routes(virtualService, context: context)
        }
        if routes.isEmpty {
            routes = [defaultRoute(cluster: ClusterName.outbound(port: port, host: service.fqdn), context: context)]
        }
        host.routes = routes
        return host
    }

    /// The shorter names a client may use for `fqdn`, as Istio generates them: the part of
    /// the name not shared with the proxy's own domain (`<ns>.svc.cluster.local`), then that
    /// part with each leading piece of the shared domain (`reviews`, `reviews.default.svc.cluster`,
    /// `reviews.default.svc`, `reviews.default` from namespace `default`;
    /// `reviews.default`, `reviews.default.svc.cluster`, `reviews.default.svc` from elsewhere).
    static func alternateNames(_ fqdn: String, proxyDomain: String) -> [String] {
        let host = fqdn.split(separator: ".").map(String.init)
        let domain = proxyDomain.split(separator: ".").map(String.init)
        var shared = 0
        while shared < min(host.count - 1, domain.count), host[host.count - 1 - shared] == domain[domain.count - 1 - shared] { shared += 1 }
        guard shared > 0, shared < host.count else { return [] }
        let unique = host.dropLast(shared).joined(separator: ".")
        let sharedParts = Array(host.suffix(shared))
        var names = [unique]
        for count in stride(from: sharedParts.count - 1, to: 0, by: -1) {
            names.append(unique + "." + sharedParts[0..<count].joined(separator: "."))
        }
        return names
    }

    /// Istio's route for a service without a VirtualService: everything to the service cluster, default retries, no timeout.
    static func defaultRoute(cluster: String, context: RouteContext) -> Envoy_Config_Route_V3_Route {
        var route = Envoy_Config_Route_V3_Route()
        route.name = "default"
        route.match.prefix = "/"
        var action = Envoy_Config_Route_V3_RouteAction()
        action.cluster = cluster
        action.timeout = .init(seconds: 0)
        if let parts = ClusterName.parse(cluster) {
            let rule = context.index.destinationRule(host: parts.host, clientNamespace: context.proxy.namespace)
            action.hashPolicy = HashPolicyTranslator.policies(rule, subset: nil, port: parts.port)
        }
        if let retry = RetryTranslator.policy(nil, consistentHash: !action.hashPolicy.isEmpty) { action.retryPolicy = retry }
        route.route = action
        return route
    }
}
