import EnvoyAPI
import MeshAPI
import SwiftProtobuf

/// What a gateway (router) proxy gets from its Gateways: listeners, the route
/// configurations their HTTP connection managers fetch over RDS, and the SDS secrets their
/// TLS contexts name. Clusters are the caller's (every route's cluster must be emitted).
public struct GatewayResources: Sendable {
    public var listeners: [Envoy_Config_Listener_V3_Listener] = []
    public var routes: [Envoy_Config_Route_V3_RouteConfiguration] = []
    public var secrets: [Envoy_Extensions_TransportSockets_Tls_V3_Secret] = []
    /// Servers left out and why (missing Secret, unsupported mode, duplicate SNI…).
    public var findings: [String] = []

    public init() {}
}

/// Gateways → gateway listeners (`0.0.0.0_<port>`), as Istio builds them.
///
/// Left out, with a finding: `AUTO_PASSTHROUGH` (needs SNI-named clusters for
/// multi-network routing), `ISTIO_MUTUAL` (needs the mesh's own certificates), servers whose
/// credential Secret is missing (Envoy would keep the listener warming forever), and TCP or
/// passthrough servers no VirtualService routes.
public enum GatewayTranslator {
    /// How a server's traffic is handled.
    enum ServerKind: Equatable {
        /// Plaintext HTTP (HTTP, HTTP2, GRPC, GRPC-WEB), routed by `http.<port>`.
        case http
        /// HTTPS terminated here, then routed like HTTP by `https.<port>.<portName>.<gateway>.<ns>`.
        case https(ServerTLSSettings)
        /// TLS terminated here, then forwarded by VirtualService `tcp` routes.
        case terminatedTLS(ServerTLSSettings)
        /// TLS forwarded untouched by SNI from VirtualService `tls` routes.
        case passthrough
        /// Plain TCP forwarded by VirtualService `tcp` routes.
        case tcp
        /// Left out, with the reason.
        case unsupported(String)

        init(_ server: Server) {
            let proto = (server.port?.protocol ?? "").uppercased()
            let mode = server.tls?.mode ?? .simple
            let terminating = server.tls.map { tls -> ServerKind? in
                switch tls.mode ?? .simple {
                case .simple, .mutual, .optionalMutual: return nil
                case .passthrough: return .passthrough
                case .autoPassthrough: return .unsupported("AUTO_PASSTHROUGH is not supported")
                case .istioMutual: return .unsupported("ISTIO_MUTUAL is not supported on gateways")
                }
            } ?? nil
            // Terminating TLS with nothing to serve would send Envoy a TlsCertificate whose file names
            // are empty, and Envoy rejects the whole listener update for it (issue #15).
            if terminating == nil, let tls = server.tls, ["HTTPS", "TLS"].contains(proto), !Self.hasCertificateSource(tls) {
                self = .unsupported("tls: terminating TLS needs credentialName, or serverCertificate and privateKey")
                return
            }
            switch proto {
            case "HTTP", "HTTP2", "GRPC", "GRPC-WEB":
                self = .http
            case "HTTPS":
                if let terminating { self = terminating } else if let tls = server.tls, mode != .passthrough { self = .https(tls) } else { self = .unsupported("HTTPS server without tls settings") }
            case "TLS":
                if let terminating { self = terminating } else if let tls = server.tls { self = .terminatedTLS(tls) } else { self = .unsupported("TLS server without tls settings") }
            default:
                self = .tcp
            }
        }

        /// Whether the settings name a certificate to serve: a credential (SDS) or both files.
        static func hasCertificateSource(_ tls: ServerTLSSettings) -> Bool {
            // (A `tlsCertificates` list is not translated: only credentials and the two file fields are.)
            if !(tls.credentialName ?? "").isEmpty || !(tls.credentialNames ?? []).isEmpty { return true }
            return !(tls.serverCertificate ?? "").isEmpty && !(tls.privateKey ?? "").isEmpty
        }
    }

    /// One server of one Gateway.
    struct Binding {
        var gateway: Gateway
        var server: Server
        var serverIndex: Int
        var key: NamespacedName { MeshSnapshot.key(gateway.metadata) }
        var fieldPath: String { "Gateway \(key) spec.servers[\(serverIndex)]" }
    }

    /// A filter chain on its way into a listener.
    struct PlannedChain {
        var serverNames: [String]
        var terminatesOrInspectsTLS: Bool
        var chain: Envoy_Config_Listener_V3_FilterChain
    }

    public static func resources(for proxy: ProxyIdentity, index: MeshIndex) -> GatewayResources {
        var result = GatewayResources()
        var byListener: [String: (address: String, port: Int, bindings: [Binding])] = [:]
        for gateway in index.gateways where selects(gateway, proxy: proxy) {
            for (position, server) in (gateway.spec.servers ?? []).enumerated() {
                guard let number = server.port?.number else { continue }
                let port = workloadPort(serverPort: Int(number), proxy: proxy, index: index)
                let address = server.bind ?? "0.0.0.0"
                let name = "\(address)_\(port)"
                byListener[name, default: (address, port, [])].bindings.append(Binding(gateway: gateway, server: server, serverIndex: position))
            }
        }
        var routeServers: [String: [GatewayVirtualHostTranslator.HTTPServer]] = [:]
        var secrets: [String: Envoy_Extensions_TransportSockets_Tls_V3_Secret] = [:]
        for name in byListener.keys.sorted() {
            guard let entry = byListener[name] else { continue }
            var planned: [PlannedChain] = []
            var plaintextRoute: String?
            for binding in entry.bindings {
                let context = RouteContext(index: index, proxy: proxy, port: Int(binding.server.port?.number ?? 0), gateway: binding.key.description)
                let statPrefix = "outbound_\(name)"
                switch ServerKind(binding.server) {
                case .http:
                    let route = GatewayVirtualHostTranslator.routeName(binding.server, gateway: binding.gateway, terminatesTLS: false)
                    routeServers[route, default: []].append(.init(gateway: binding.gateway, server: binding.server))
                    if let existing = plaintextRoute {
                        if existing != route { result.findings.append("\(binding.fieldPath): listener \(name) already routes plaintext HTTP by \(existing); server left out") }
                        continue
                    }
                    plaintextRoute = route
                    var chain = Envoy_Config_Listener_V3_FilterChain()
                    chain.filters = [httpConnectionManager(statPrefix: statPrefix, route: route)]
                    planned.append(PlannedChain(serverNames: [], terminatesOrInspectsTLS: false, chain: chain))
                case .https(let tls), .terminatedTLS(let tls):
                    let secretNamespaces: [String]
                    switch SecretAuthorization.namespaces(for: proxy, gateway: binding.gateway, index: index) {
                    case .success(let allowed): secretNamespaces = allowed
                    case .failure(let refusal):
                        result.findings.append("\(binding.fieldPath).tls: \(refusal.description); server left out")
                        continue
                    }
                    do throws(SecretTranslator.Missing) {
                        for secret in try SecretTranslator.secrets(for: tls, namespaces: secretNamespaces, snapshot: index.snapshot) {
                            secrets[secret.name] = secret
                        }
                    } catch {
                        result.findings.append("\(binding.fieldPath).tls: \(error.description); server left out")
                        continue
                    }
                    let isHTTP: Bool
                    if case .https = ServerKind(binding.server) { isHTTP = true } else { isHTTP = false }
                    var chain = Envoy_Config_Listener_V3_FilterChain()
                    let names = GatewayHosts.serverNames(binding.server)
                    chain.filterChainMatch.serverNames = names
                    chain.transportSocket = ServerTLSTranslator.transportSocket(ServerTLSTranslator.context(tls, alpn: isHTTP ? ServerTLSTranslator.httpALPN : []))
                    if isHTTP {
                        let route = GatewayVirtualHostTranslator.routeName(binding.server, gateway: binding.gateway, terminatesTLS: true)
                        routeServers[route, default: []].append(.init(gateway: binding.gateway, server: binding.server))
                        chain.filters = [httpConnectionManager(statPrefix: statPrefix, route: route)]
                    } else {
                        let bound = index.gatewayVirtualServices(binding.key.description, visibleTo: proxy.namespace)
                        let visible = bound.filter { !GatewayHosts.hosts(of: $0, on: binding.server, gatewayNamespace: binding.key.namespace, snapshot: index.snapshot).isEmpty }
                        guard let proxyConfig = TCPRouteTranslator.tcpProxy(visible, context: context) else {
                            result.findings.append("\(binding.fieldPath): no VirtualService tcp route for this TLS server; server left out")
                            continue
                        }
                        chain.filters = [TCPRouteTranslator.filter(proxyConfig)]
                    }
                    planned.append(PlannedChain(serverNames: names, terminatesOrInspectsTLS: true, chain: chain))
                case .passthrough:
                    let bound = index.gatewayVirtualServices(binding.key.description, visibleTo: proxy.namespace)
                    let chains = TLSRouteTranslator.chains(server: binding.server, gatewayNamespace: binding.key.namespace, virtualServices: bound, context: context)
                    if chains.isEmpty { result.findings.append("\(binding.fieldPath): no VirtualService tls route matches this PASSTHROUGH server; server left out") }
                    for routed in chains {
                        var chain = Envoy_Config_Listener_V3_FilterChain()
                        chain.filterChainMatch.serverNames = routed.serverNames
                        chain.filters = [TCPRouteTranslator.filter(routed.proxy)]
                        planned.append(PlannedChain(serverNames: routed.serverNames, terminatesOrInspectsTLS: true, chain: chain))
                    }
                case .tcp:
                    let bound = index.gatewayVirtualServices(binding.key.description, visibleTo: proxy.namespace)
                    let visible = bound.filter { !GatewayHosts.hosts(of: $0, on: binding.server, gatewayNamespace: binding.key.namespace, snapshot: index.snapshot).isEmpty }
                    guard let proxyConfig = TCPRouteTranslator.tcpProxy(visible, context: context) else {
                        result.findings.append("\(binding.fieldPath): no VirtualService tcp route for this TCP server; server left out")
                        continue
                    }
                    var chain = Envoy_Config_Listener_V3_FilterChain()
                    chain.filters = [TCPRouteTranslator.filter(proxyConfig)]
                    planned.append(PlannedChain(serverNames: [], terminatesOrInspectsTLS: false, chain: chain))
                case .unsupported(let reason):
                    result.findings.append("\(binding.fieldPath): \(reason); server left out")
                }
            }
            if let listener = listener(name: name, address: entry.address, port: entry.port, planned: planned, findings: &result.findings) {
                result.listeners.append(listener)
            }
        }
        for name in routeServers.keys.sorted() {
            result.routes.append(GatewayVirtualHostTranslator.routeConfiguration(name: name, servers: routeServers[name] ?? [], index: index, proxy: proxy))
        }
        result.secrets = secrets.keys.sorted().compactMap { secrets[$0] }
        return result
    }

    /// Assembles the chains: TLS chains match `transport_protocol: tls` when plaintext chains
    /// share the listener; a chain whose match repeats an earlier one is dropped (Envoy
    /// rejects duplicates); the TLS inspector reads SNI when any chain needs it.
    static func listener(name: String, address: String, port: Int, planned: [PlannedChain], findings: inout [String]) -> Envoy_Config_Listener_V3_Listener? {
        guard !planned.isEmpty else { return nil }
        let mixed = planned.contains { !$0.terminatesOrInspectsTLS } && planned.contains { $0.terminatesOrInspectsTLS }
        var seen: Set<String> = []
        var chains: [Envoy_Config_Listener_V3_FilterChain] = []
        for var plan in planned {
            if mixed && plan.terminatesOrInspectsTLS { plan.chain.filterChainMatch.transportProtocol = "tls" }
            let key = plan.chain.filterChainMatch.transportProtocol + "|" + plan.serverNames.sorted().joined(separator: ",")
            guard seen.insert(key).inserted else {
                findings.append("listener \(name): a second filter chain for server names [\(plan.serverNames.joined(separator: ", "))] left out")
                continue
            }
            chains.append(plan.chain)
        }
        var listener = Envoy_Config_Listener_V3_Listener()
        listener.name = name
        listener.address = ListenerTranslator.socketAddress(address, port)
        listener.trafficDirection = .outbound
        listener.filterChains = chains
        if planned.contains(where: \.terminatesOrInspectsTLS) {
            listener.listenerFilters = [ListenerTranslator.tlsInspector()]
        }
        return listener
    }

    /// The gateway's HTTP connection manager: client addresses are the real ones (edge proxy).
    static func httpConnectionManager(statPrefix: String, route: String) -> Envoy_Config_Listener_V3_Filter {
        var hcm = ListenerTranslator.httpConnectionManager(statPrefix: statPrefix, routeConfiguration: route, filters: [.fault, .cors, .router])
        hcm.useRemoteAddress = Google_Protobuf_BoolValue(true)
        ConnectionManagerDefaults.applyGateway(to: &hcm)
        var filter = Envoy_Config_Listener_V3_Filter()
        filter.name = EnvoyExtensionName.httpConnectionManager
        filter.typedConfig = (try? Google_Protobuf_Any(packing: hcm)) ?? Google_Protobuf_Any()
        return filter
    }

    /// A Gateway applies to every gateway proxy whose labels include its selector.
    static func selects(_ gateway: Gateway, proxy: ProxyIdentity) -> Bool {
        (gateway.spec.selector ?? [:]).allSatisfy { proxy.labels[$0.key] == $0.value }
    }

    /// The port the gateway pod listens on for a server port: the `targetPort` of the
    /// matching port of a Service in the proxy's namespace that selects the proxy (so
    /// `80 → 8080` for the usual ingress gateway), else the server port itself. A named
    /// targetPort cannot be resolved without the pod's container ports and keeps the server port.
    static func workloadPort(serverPort: Int, proxy: ProxyIdentity, index: MeshIndex) -> Int {
        for fqdn in index.serviceOrder {
            guard let service = index.services[fqdn], service.namespace == proxy.namespace,
                  let selector = service.selector, !selector.isEmpty,
                  selector.allSatisfy({ proxy.labels[$0.key] == $0.value }),
                  let port = service.ports.first(where: { $0.port == serverPort })
            else { continue }
            switch port.targetPort {
            case .int(let target)?: return Int(target)
            case .string?, nil: return serverPort
            }
        }
        return serverPort
    }
}
