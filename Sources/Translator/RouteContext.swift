import MeshAPI

/// What route translation needs to know about where the routes will run.
public struct RouteContext: Sendable {
    public var index: MeshIndex
    public var proxy: ProxyIdentity
    /// The port traffic arrived on: the sidecar listener's port or the gateway server's port.
    public var port: Int?
    /// The gateway (`namespace/name`) whose server these routes serve; nil for sidecars and gRPC (the `mesh` gateway).
    public var gateway: String?

    public init(index: MeshIndex, proxy: ProxyIdentity, port: Int?, gateway: String? = nil) {
        self.index = index
        self.proxy = proxy
        self.port = port
        self.gateway = gateway
    }

    /// The cluster a destination names, from a VirtualService in `namespace`. Without a port
    /// it uses the service's only port, else the port traffic arrived on.
    func clusterName(for destination: Destination, in namespace: String) -> String {
        let host = index.snapshot.resolveHost(destination.host ?? "", namespace: namespace)
        let service = index.services[host]
        let port = destination.port?.number.map(Int.init)
            ?? (service?.ports.count == 1 ? service?.ports.first?.port : nil)
            ?? self.port
            ?? service?.ports.first?.port
            ?? 80
        return ClusterName.outbound(port: port, subset: destination.subset, host: host)
    }

    /// Whether the destination's service port is a gRPC port (looked up, never scanned: routes are built per service).
    func speaksGRPC(_ destination: Destination, in namespace: String) -> Bool {
        guard let parts = ClusterName.parse(clusterName(for: destination, in: namespace)) else { return false }
        return index.services[parts.host]?.ports.first { $0.port == parts.port }?.protocolKind == .grpc
    }

    /// The DestinationRule governing a destination's host for this proxy.
    func destinationRule(for destination: Destination, in namespace: String) -> DestinationRule? {
        index.destinationRule(host: index.snapshot.resolveHost(destination.host ?? "", namespace: namespace), clientNamespace: proxy.namespace)
    }
}
