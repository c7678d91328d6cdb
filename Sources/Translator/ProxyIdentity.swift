/// A proxy as Istio identifies it, so existing bootstraps work unchanged.
///
/// Envoy sidecars and gateways send a node id `sidecar~<ip>~<pod>.<namespace>~<namespace>.svc.cluster.local`
/// (or `router~…` for gateways) and node metadata with `NAMESPACE` and `LABELS`; proxyless
/// gRPC clients add `GENERATOR: grpc`, which makes them `grpc` proxies whatever their id says.
public struct ProxyIdentity: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case sidecar
        case gateway
        case grpc
    }

    public var kind: Kind
    public var id: String
    public var ip: String
    public var podName: String
    public var namespace: String
    public var labels: [String: String]
    /// Which Gateway private keys the proxy may be sent. Everything but the kind of proxy and its
    /// node id is self-asserted, so the xDS server decides this from how the proxy authenticated.
    public var secretAccess: SecretAccess

    public init(kind: Kind, id: String = "", ip: String = "", podName: String = "", namespace: String, labels: [String: String] = [:],
                secretAccess: SecretAccess = .unrestricted) {
        self.kind = kind
        self.id = id
        self.ip = ip
        self.podName = podName
        self.namespace = namespace
        self.labels = labels
        self.secretAccess = secretAccess
    }

    /// Which SDS secrets with private keys a gateway proxy is entitled to (istiod's SDS
    /// authorization): a proxy that only claims to be a gateway must not receive them.
    public enum SecretAccess: Sendable, Hashable {
        /// Every credential its Gateways name, from its namespace or theirs: offline rendering, and a
        /// plaintext port explicitly opened to them.
        case unrestricted
        /// None, for the reason given (not authenticated): servers that need a key are left out.
        case withheld(String)
        /// Authenticated as this service account of the proxy's namespace: the credentials in that
        /// namespace named by Gateways that select the proxy's own Pod (found by the node's pod name in
        /// the mesh, running as this service account), never by the labels the node claims.
        case workload(serviceAccount: String)

        /// Part of every key under which translations of the proxy are shared.
        public var scopeKey: String {
            switch self {
            case .unrestricted: ""
            case .withheld: "|keys:none"
            case .workload(let serviceAccount): "|keys:sa=\(serviceAccount)"
            }
        }
    }

    /// Why a node cannot be served. The message does not repeat the node id: ids come from
    /// clients and can be any size, so the caller names the node (shortened) itself.
    public struct Malformed: Error, Sendable, CustomStringConvertible, Equatable {
        public var message: String
        public var description: String { message }
    }

    /// Parses a node id and its metadata (`NAMESPACE`, `LABELS`, `GENERATOR`).
    public init(nodeID: String, namespace: String? = nil, labels: [String: String] = [:], generator: String? = nil) throws(Malformed) {
        let parts = nodeID.split(separator: "~", omittingEmptySubsequences: false).map(String.init)
        let isGRPC = generator == "grpc"
        guard parts.count == 4 else {
            // Proxyless clients may use any id as long as they say who they are in metadata.
            if isGRPC, let namespace, !namespace.isEmpty {
                self.init(kind: .grpc, id: nodeID, namespace: namespace, labels: labels)
                return
            }
            throw Malformed(message: "node id is not <type>~<ip>~<pod>.<namespace>~<namespace>.svc.cluster.local")
        }
        let kind: Kind
        switch parts[0] {
        case "sidecar": kind = isGRPC ? .grpc : .sidecar
        case "router": kind = isGRPC ? .grpc : .gateway
        default: throw Malformed(message: "node id type \"\(parts[0].prefix(32))\" is neither sidecar nor router")
        }
        let podAndNamespace = parts[2]
        let dot = podAndNamespace.lastIndex(of: ".")
        let pod = dot.map { String(podAndNamespace[..<$0]) } ?? podAndNamespace
        let idNamespace = dot.map { String(podAndNamespace[podAndNamespace.index(after: $0)...]) }
        let domainNamespace = parts[3].split(separator: ".").first.map(String.init)
        guard let resolved = [namespace, idNamespace, domainNamespace].compactMap({ $0 }).first(where: { !$0.isEmpty }) else {
            throw Malformed(message: "node id names no namespace and metadata has no NAMESPACE")
        }
        self.init(kind: kind, id: nodeID, ip: parts[1], podName: pod, namespace: resolved, labels: labels)
    }
}
