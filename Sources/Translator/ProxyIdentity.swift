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

    public init(kind: Kind, id: String = "", ip: String = "", podName: String = "", namespace: String, labels: [String: String] = [:]) {
        self.kind = kind
        self.id = id
        self.ip = ip
        self.podName = podName
        self.namespace = namespace
        self.labels = labels
    }

    /// Why a node cannot be served.
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
            throw Malformed(message: "node id \"\(nodeID)\" is not <type>~<ip>~<pod>.<namespace>~<namespace>.svc.cluster.local")
        }
        let kind: Kind
        switch parts[0] {
        case "sidecar": kind = isGRPC ? .grpc : .sidecar
        case "router": kind = isGRPC ? .grpc : .gateway
        default: throw Malformed(message: "node id \"\(nodeID)\": type \"\(parts[0])\" is neither sidecar nor router")
        }
        let podAndNamespace = parts[2]
        let dot = podAndNamespace.lastIndex(of: ".")
        let pod = dot.map { String(podAndNamespace[..<$0]) } ?? podAndNamespace
        let idNamespace = dot.map { String(podAndNamespace[podAndNamespace.index(after: $0)...]) }
        let domainNamespace = parts[3].split(separator: ".").first.map(String.init)
        guard let resolved = [namespace, idNamespace, domainNamespace].compactMap({ $0 }).first(where: { !$0.isEmpty }) else {
            throw Malformed(message: "node id \"\(nodeID)\" names no namespace and metadata has no NAMESPACE")
        }
        self.init(kind: kind, id: nodeID, ip: parts[1], podName: pod, namespace: resolved, labels: labels)
    }
}
