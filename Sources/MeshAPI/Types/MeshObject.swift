import KubernetesAPI

/// Every kind the mesh reads, as one value.
public enum MeshObject: Sendable, Hashable {
    case virtualService(VirtualService)
    case destinationRule(DestinationRule)
    case gateway(Gateway)
    case service(Service)
    case endpointSlice(EndpointSlice)
    case pod(Pod)
    case secret(Secret)
    case namespace(Namespace)
    case node(KubernetesNode)

    public var kind: MeshKind {
        switch self {
        case .virtualService: .virtualService
        case .destinationRule: .destinationRule
        case .gateway: .gateway
        case .service: .service
        case .endpointSlice: .endpointSlice
        case .pod: .pod
        case .secret: .secret
        case .namespace: .namespace
        case .node: .node
        }
    }

    public var metadata: ObjectMeta {
        switch self {
        case .virtualService(let object): object.metadata
        case .destinationRule(let object): object.metadata
        case .gateway(let object): object.metadata
        case .service(let object): object.metadata
        case .endpointSlice(let object): object.metadata
        case .pod(let object): object.metadata
        case .secret(let object): object.metadata
        case .namespace(let object): object.metadata
        case .node(let object): object.metadata
        }
    }

    /// The object itself, for encoding.
    public var encodable: any Encodable & Sendable {
        switch self {
        case .virtualService(let object): object
        case .destinationRule(let object): object
        case .gateway(let object): object
        case .service(let object): object
        case .endpointSlice(let object): object
        case .pod(let object): object
        case .secret(let object): object
        case .namespace(let object): object
        case .node(let object): object
        }
    }
}

/// The kinds Coxswain decodes, with the API versions each is served at.
public enum MeshKind: String, Sendable, Hashable, CaseIterable {
    case virtualService = "VirtualService"
    case destinationRule = "DestinationRule"
    case gateway = "Gateway"
    case service = "Service"
    case endpointSlice = "EndpointSlice"
    case pod = "Pod"
    case secret = "Secret"
    case namespace = "Namespace"
    case node = "Node"

    public static let istioNetworkingGroup = "networking.istio.io"
    /// v1 is stored; v1beta1 and v1alpha3 are served and share the schema.
    public static let istioNetworkingVersions: Set<String> = ["v1", "v1beta1", "v1alpha3"]

    /// Whether this is one of Istio's kinds (decoded strictly, validated).
    public var isIstio: Bool {
        switch self {
        case .virtualService, .destinationRule, .gateway: true
        default: false
        }
    }

    /// The kind named by a group/version/kind, or nil when Coxswain does not read it.
    public init?(_ gvk: GroupVersionKind) {
        switch (gvk.group, gvk.kind) {
        case (Self.istioNetworkingGroup, "VirtualService") where Self.istioNetworkingVersions.contains(gvk.version): self = .virtualService
        case (Self.istioNetworkingGroup, "DestinationRule") where Self.istioNetworkingVersions.contains(gvk.version): self = .destinationRule
        case (Self.istioNetworkingGroup, "Gateway") where Self.istioNetworkingVersions.contains(gvk.version): self = .gateway
        case ("", "Service") where gvk.version == "v1": self = .service
        case ("discovery.k8s.io", "EndpointSlice") where gvk.version == "v1": self = .endpointSlice
        case ("", "Pod") where gvk.version == "v1": self = .pod
        case ("", "Secret") where gvk.version == "v1": self = .secret
        case ("", "Namespace") where gvk.version == "v1": self = .namespace
        case ("", "Node") where gvk.version == "v1": self = .node
        default: return nil
        }
    }
}
