import EnvoyAPI

/// Who a connected proxy is, as far as the xDS server needs to know: what to show
/// in debug views and which proxies can share one generated snapshot.
public struct ProxyDescriptor: Sendable, Hashable {
    /// The node id, e.g. `sidecar~10.0.0.1~reviews-v1.default~default.svc.cluster.local`.
    public var id: String
    /// `sidecar`, `gateway` or `grpc`.
    public var kind: String
    /// Proxies with equal keys get identical resources, so they share one generated snapshot.
    public var cacheKey: String
    /// Why the proxy is sent no private keys although it is a kind that uses them (a gateway), if so.
    public var secretsWithheld: String?

    public init(id: String, kind: String, cacheKey: String, secretsWithheld: String? = nil) {
        self.id = id
        self.kind = kind
        self.cacheKey = cacheKey
        self.secretsWithheld = secretsWithheld
    }
}

/// The seam between the xDS server and translation: the server knows the protocol,
/// the generator knows the mesh.
public protocol ResourceGenerator: Sendable {
    /// Identifies the proxy behind a node, given what its stream proved (which private keys it may
    /// have), or throws ``InvalidNode`` or ``UnauthorizedNode`` saying what is wrong with it.
    func describe(node: Envoy_Config_Core_V3_Node, credentials: ProxyCredentials) throws -> ProxyDescriptor
    /// The resources of the given types (all types when nil) for a proxy, from the mesh as it is now.
    func resources(for proxy: ProxyDescriptor, types: Set<String>?) async -> ResourceSnapshot
}

extension ResourceGenerator {
    /// A node as a trusted caller sees it (offline tools, tests): entitled to every private key.
    public func describe(node: Envoy_Config_Core_V3_Node) throws -> ProxyDescriptor {
        try describe(node: node, credentials: .unrestricted)
    }
}

/// A node whose claims its credentials contradict (another namespace than its certificate's);
/// its message goes back to the proxy as a `PERMISSION_DENIED` gRPC error.
public struct UnauthorizedNode: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A node the generator cannot serve; its message goes back to the proxy as a gRPC error.
public struct InvalidNode: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// What a mesh change can touch: everything, or only endpoints (then only EDS is regenerated and pushed).
public enum ChangeScope: Sendable, Hashable {
    case endpoints
    case all

    func merged(with other: ChangeScope) -> ChangeScope {
        self == .endpoints && other == .endpoints ? .endpoints : .all
    }

    /// The types a change of this scope regenerates; nil for all.
    var types: Set<String>? {
        self == .endpoints ? [TypeURL.clusterLoadAssignment] : nil
    }
}
