import EnvoyAPI
import MeshAPI

/// Route configurations of a gateway's HTTP servers: a virtual host per host that a
/// VirtualService bound to the gateway claims on the server.
enum GatewayVirtualHostTranslator {
    /// One HTTP server of one Gateway, as the route configuration sees it.
    struct HTTPServer: Sendable {
        var gateway: Gateway
        var server: Server
        var gatewayKey: String { MeshSnapshot.key(gateway.metadata).description }
        var gatewayNamespace: String { MeshSnapshot.key(gateway.metadata).namespace }
        var port: Int { Int(server.port?.number ?? 0) }
    }

    /// Istio's RDS names: `http.<port>` for plaintext servers (shared by every plaintext server
    /// on that port), `https.<port>.<portName>.<gateway>.<namespace>` for terminated HTTPS.
    static func routeName(_ server: Server, gateway: Gateway, terminatesTLS: Bool) -> String {
        let port = server.port?.number ?? 0
        guard terminatesTLS else { return "http.\(port)" }
        let key = MeshSnapshot.key(gateway.metadata)
        return "https.\(port).\(server.port?.name ?? "").\(key.name).\(key.namespace)"
    }

    /// Virtual hosts of several servers sharing one route configuration. Several
    /// VirtualServices (or servers) claiming the same host are merged as Istio merges them
    /// for gateways: their routes concatenated in order, oldest VirtualService first.
    static func routeConfiguration(name: String, servers: [HTTPServer], index: MeshIndex, proxy: ProxyIdentity) -> Envoy_Config_Route_V3_RouteConfiguration {
        var hosts: [Envoy_Config_Route_V3_VirtualHost] = []
        var position: [String: Int] = [:]
        for entry in servers {
            let context = RouteContext(index: index, proxy: proxy, port: entry.port, gateway: entry.gatewayKey)
            let redirect = entry.server.tls?.httpsRedirect == true
            for virtualService in index.gatewayVirtualServices(entry.gatewayKey, visibleTo: proxy.namespace) where !(virtualService.spec.http ?? []).isEmpty {
                let names = GatewayHosts.hosts(of: virtualService, on: entry.server, gatewayNamespace: entry.gatewayNamespace, snapshot: index.snapshot)
                guard !names.isEmpty else { continue }
                let routes = HTTPRouteTranslator.routes(virtualService, context: context)
                guard !routes.isEmpty else { continue }
                for host in names {
                    if let existing = position[host] {
                        hosts[existing].routes += routes
                        if redirect { hosts[existing].requireTls = .all }
                    } else {
                        position[host] = hosts.count
                        hosts.append(virtualHost(host, port: entry.port, routes: routes, requireTLS: redirect))
                    }
                }
            }
            // An httpsRedirect server redirects even hosts no VirtualService claims.
            if redirect {
                for host in GatewayHosts.scoped(entry.server, gatewayNamespace: entry.gatewayNamespace).map(\.host) where position[host] == nil {
                    position[host] = hosts.count
                    hosts.append(virtualHost(host, port: entry.port, routes: [], requireTLS: true))
                }
            }
        }
        var configuration = Envoy_Config_Route_V3_RouteConfiguration()
        configuration.name = name
        configuration.virtualHosts = hosts.isEmpty ? [blackhole(port: servers.first?.port ?? 0)] : hosts.sorted { $0.name < $1.name }
        DirectResponseTranslator.allowBodies(in: &configuration)
        return configuration
    }

    /// `<host>:<port>` answering to `host` with any port or none (`host`, `host:*`, as istiod's
    /// gateway domains: a request through a NodePort, a port-forward or `curl --resolve host:8443:…`
    /// carries a port other than the server's); just `*` for the catch-all.
    static func virtualHost(_ host: String, port: Int, routes: [Envoy_Config_Route_V3_Route], requireTLS: Bool) -> Envoy_Config_Route_V3_VirtualHost {
        var virtualHost = Envoy_Config_Route_V3_VirtualHost()
        virtualHost.name = "\(host):\(port)"
        virtualHost.domains = host == "*" ? ["*"] : [host, "\(host):*"]
        virtualHost.routes = routes
        virtualHost.includeRequestAttemptCount = true
        if requireTLS { virtualHost.requireTls = .all }
        return virtualHost
    }

    /// What Istio serves on a gateway HTTP server no VirtualService routes: 404 for everything.
    static func blackhole(port: Int) -> Envoy_Config_Route_V3_VirtualHost {
        var route = Envoy_Config_Route_V3_Route()
        route.name = "default"
        route.match.prefix = "/"
        route.directResponse.status = 404
        var host = Envoy_Config_Route_V3_VirtualHost()
        host.name = "blackhole:\(port)"
        host.domains = ["*"]
        host.routes = [route]
        return host
    }
}
