/// The service ports whose endpoints changed from one mesh index to the next while everything
/// clusters read stayed the same: only the assignments of clusters of these ports can differ.
public struct EndpointChanges: Sendable {
    let servicePorts: Set<MeshIndex.HostPort>

    public var isEmpty: Bool { servicePorts.isEmpty }
    public var count: Int { servicePorts.count }
}

/// Cluster names grouped by the service port whose endpoints they are assigned, so that an
/// endpoint change finds the few clusters of a proxy's thousands it reaches without visiting each.
public struct ClustersByServicePort: Sendable {
    private let names: [MeshIndex.HostPort: [String]]

    /// Groups `clusters`; a name that is not an outbound cluster's has no service port's endpoints
    /// (see ``EndpointTranslator/inputs(cluster:index:)``) and no change reaches it.
    public init(_ clusters: [String]) {
        var names: [MeshIndex.HostPort: [String]] = [:]
        for name in clusters {
            guard let parts = ClusterName.parse(name) else { continue }
            names[MeshIndex.HostPort(host: parts.host, port: parts.port), default: []].append(name)
        }
        self.names = names
    }

    /// The clusters whose assignments `changes` can have changed, in name order.
    public func affected(by changes: EndpointChanges) -> [String] {
        var affected: [String] = []
        for port in changes.servicePorts {
            affected += names[port] ?? []
        }
        return affected.sorted()
    }
}
