import EnvoyAPI
import MeshAPI
import SwiftProtobuf

/// Listener names proxyless gRPC clients ask for: exactly the target they dial.
public enum GRPCListenerNaming {
    public static func name(fqdn: String, port: Int) -> String { "\(fqdn):\(port)" }
}

/// Sidecar outbound listeners and proxyless gRPC API listeners.
public enum ListenerTranslator {
    /// One outbound listener per HTTP service port (`0.0.0.0_9080`, routes from RDS `9080`),
    /// one per other TCP service port (`<clusterIP>_<port>`, tcp_proxy chains from the host's
    /// VirtualService `tls` and `tcp` rules, see `SidecarTCPChains`), and the `virtualOutbound`
    /// listener that receives redirected traffic and hands it to them by original destination.
    public static func sidecarListeners(_ index: MeshIndex, proxy: ProxyIdentity) -> (listeners: [Envoy_Config_Listener_V3_Listener], routePorts: [Int]) {
        var httpPorts: Set<Int> = []
        var listeners: [Envoy_Config_Listener_V3_Listener] = []
        for fqdn in index.serviceOrder {
            guard let service = index.services[fqdn] else { continue }
            for port in service.ports where port.protocolKind.isHTTP { httpPorts.insert(port.port) }
        }
        // Sniffed ports need their route configuration too: the HTTP chain of their listeners uses it.
        var routePorts = httpPorts
        for port in httpPorts.sorted() {
            listeners.append(httpListener(port: port))
        }
        // Services without a cluster IP share `0.0.0.0_<port>`: their chains are merged.
        var tcpPlans: [String: (address: String, port: Int, plans: [[SidecarTCPChains.Planned]])] = [:]
        var tcpOrder: [String] = []
        var sniffedListeners: Set<String> = []
        for fqdn in index.serviceOrder {
            guard let service = index.services[fqdn] else { continue }
            for port in service.ports where !port.protocolKind.isHTTP && port.protocolKind != .udp {
                let ip = (service.clusterIP.flatMap { $0.isEmpty || $0 == "None" ? nil : $0 }) ?? "0.0.0.0"
                if ip == "0.0.0.0" && httpPorts.contains(port.port) { continue }
                let name = "\(ip)_\(port.port)"
                let plan = SidecarTCPChains.plan(service: service, port: port, wildcardAddress: ip == "0.0.0.0", index: index, proxy: proxy)
                if tcpPlans[name] == nil { tcpOrder.append(name) }
                if port.protocolKind.isSniffed { sniffedListeners.insert(name) }
                tcpPlans[name, default: (ip, port.port, [])].plans.append(plan)
            }
        }
        for name in tcpOrder {
            guard let entry = tcpPlans[name] else { continue }
            let (chains, inspectsTLS) = SidecarTCPChains.filterChains(SidecarTCPChains.merge(entry.plans))
            var listener = tcpListener(address: entry.address, port: entry.port, chains: chains, inspectsTLS: inspectsTLS)
            if entry.address != "0.0.0.0", sniffedListeners.contains(name) {
                ProtocolSniffing.apply(to: &listener, port: entry.port)
                routePorts.insert(entry.port)
            }
            listeners.append(listener)
        }
        listeners.append(virtualOutbound())
        return (listeners, routePorts.sorted())
    }

    static func httpListener(port: Int) -> Envoy_Config_Listener_V3_Listener {
        var listener = Envoy_Config_Listener_V3_Listener()
        listener.name = "0.0.0.0_\(port)"
        listener.address = socketAddress("0.0.0.0", port)
        listener.trafficDirection = .outbound
        listener.bindToPort = Google_Protobuf_BoolValue(false)
        var chain = Envoy_Config_Listener_V3_FilterChain()
        chain.filters = [httpConnectionManagerFilter(statPrefix: "outbound_0.0.0.0_\(port)", routeConfiguration: String(port), filters: [.fault, .cors, .router])]
        listener.filterChains = [chain]
        return listener
    }

    /// A listener forwarding every connection to `cluster`.
    static func tcpListener(address: String, port: Int, cluster: String) -> Envoy_Config_Listener_V3_Listener {
        let (chains, _) = SidecarTCPChains.filterChains([.init(serverNames: [], proxy: SidecarTCPChains.defaultProxy(cluster: cluster))])
        return tcpListener(address: address, port: port, chains: chains, inspectsTLS: false)
    }

    /// An outbound TCP listener with the given chains; the TLS inspector first when a chain matches SNI.
    static func tcpListener(address: String, port: Int, chains: [Envoy_Config_Listener_V3_FilterChain], inspectsTLS: Bool) -> Envoy_Config_Listener_V3_Listener {
        var listener = Envoy_Config_Listener_V3_Listener()
        listener.name = "\(address)_\(port)"
        listener.address = socketAddress(address, port)
        listener.trafficDirection = .outbound
        listener.bindToPort = Google_Protobuf_BoolValue(false)
        listener.filterChains = chains
        if inspectsTLS { listener.listenerFilters = [tlsInspector()] }
        return listener
    }

    /// The listener filter that reads SNI (and ALPN) from a TLS ClientHello.
    static func tlsInspector() -> Envoy_Config_Listener_V3_ListenerFilter {
        var inspector = Envoy_Config_Listener_V3_ListenerFilter()
        inspector.name = EnvoyExtensionName.tlsInspector
        inspector.typedConfig = (try? Google_Protobuf_Any(packing: Envoy_Extensions_Filters_Listener_TlsInspector_V3_TlsInspector())) ?? Google_Protobuf_Any()
        return inspector
    }

    /// Port 15001, where iptables sends outbound traffic; unknown destinations pass through.
    static func virtualOutbound() -> Envoy_Config_Listener_V3_Listener {
        var listener = tcpListener(address: "0.0.0.0", port: 15001, cluster: PassthroughCluster.name)
        listener.name = "virtualOutbound"
        listener.useOriginalDst = Google_Protobuf_BoolValue(true)
        listener.bindToPort = Google_Protobuf_BoolValue(true)
        return listener
    }

    /// For `GENERATOR: grpc` proxies: an API listener per service port, named as the client dials it.
    public static func grpcListeners(_ index: MeshIndex) -> [Envoy_Config_Listener_V3_Listener] {
        index.serviceOrder.flatMap { fqdn -> [Envoy_Config_Listener_V3_Listener] in
            guard let service = index.services[fqdn] else { return [] }
            return service.ports.filter { $0.protocolKind != .udp }.map { port in
                let name = GRPCListenerNaming.name(fqdn: fqdn, port: port.port)
                var listener = Envoy_Config_Listener_V3_Listener()
                listener.name = name
                let hcm = httpConnectionManager(statPrefix: name, routeConfiguration: name, filters: [.fault, .router])
                listener.apiListener.apiListener = (try? Google_Protobuf_Any(packing: hcm)) ?? Google_Protobuf_Any()
                return listener
            }
        }
    }

    enum HTTPFilter {
        case fault, cors, router

        var filter: Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpFilter {
            var filter = Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpFilter()
            switch self {
            case .fault:
                filter.name = EnvoyExtensionName.fault
                filter.typedConfig = (try? Google_Protobuf_Any(packing: Envoy_Extensions_Filters_Http_Fault_V3_HTTPFault())) ?? Google_Protobuf_Any()
            case .cors:
                filter.name = EnvoyExtensionName.cors
                filter.typedConfig = (try? Google_Protobuf_Any(packing: Envoy_Extensions_Filters_Http_Cors_V3_Cors())) ?? Google_Protobuf_Any()
            case .router:
                filter.name = EnvoyExtensionName.router
                filter.typedConfig = (try? Google_Protobuf_Any(packing: Envoy_Extensions_Filters_Http_Router_V3_Router())) ?? Google_Protobuf_Any()
            }
            return filter
        }
    }

    /// An HTTP connection manager fetching `routeConfiguration` over RDS on ADS; router last.
    static func httpConnectionManager(statPrefix: String, routeConfiguration: String, filters: [HTTPFilter]) -> Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpConnectionManager {
        var hcm = Envoy_Extensions_Filters_Network_HttpConnectionManager_V3_HttpConnectionManager()
        hcm.statPrefix = statPrefix
        hcm.rds.configSource = ClusterTranslator.adsConfigSource
        hcm.rds.routeConfigName = routeConfiguration
        hcm.httpFilters = filters.map(\.filter)
        return hcm
    }

    static func httpConnectionManagerFilter(statPrefix: String, routeConfiguration: String, filters: [HTTPFilter]) -> Envoy_Config_Listener_V3_Filter {
        var filter = Envoy_Config_Listener_V3_Filter()
        filter.name = EnvoyExtensionName.httpConnectionManager
        var hcm = httpConnectionManager(statPrefix: statPrefix, routeConfiguration: routeConfiguration, filters: filters)
        hcm.useRemoteAddress = Google_Protobuf_BoolValue(false)
        ConnectionManagerDefaults.apply(to: &hcm)
        filter.typedConfig = (try? Google_Protobuf_Any(packing: hcm)) ?? Google_Protobuf_Any()
        return filter
    }

    static func socketAddress(_ host: String, _ port: Int) -> Envoy_Config_Core_V3_Address {
        var address = Envoy_Config_Core_V3_Address()
        address.socketAddress.address = host
        address.socketAddress.portValue = UInt32(clamping: port)
        return address
    }
}

/// Istio's cluster for traffic to destinations the mesh does not know: forwarded as addressed.
enum PassthroughCluster {
    static let name = "PassthroughCluster"

    static func cluster() -> Envoy_Config_Cluster_V3_Cluster {
        var cluster = Envoy_Config_Cluster_V3_Cluster()
        cluster.name = name
        cluster.type = .originalDst
        cluster.lbPolicy = .clusterProvided
        cluster.connectTimeout = ClusterTranslator.defaultConnectTimeout
        return cluster
    }
}
