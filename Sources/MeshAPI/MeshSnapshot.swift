import KubernetesAPI

/// A namespace and a name; the identity of a namespaced object.
public struct NamespacedName: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var namespace: String
    public var name: String

    public init(namespace: String, name: String) {
        self.namespace = namespace
        self.name = name
    }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.namespace, lhs.name) < (rhs.namespace, rhs.name)
    }

    public var description: String { "\(namespace)/\(name)" }
}

/// All decoded objects of all kinds at one moment: what the translator and the
/// analyzer read (like Contour's DAG cache). Immutable once built; lookups are
/// hash-based so building and querying stay linear in the size of the mesh.
public struct MeshSnapshot: Sendable {
    /// The namespace assumed for namespaced objects that name none (as `kubectl apply` does).
    public static let defaultNamespace = "default"

    public let domainSuffix: String
    public private(set) var virtualServices: [VirtualService] = []
    public private(set) var destinationRules: [DestinationRule] = []
    public private(set) var gateways: [Gateway] = []
    public private(set) var services: [Service] = []
    public private(set) var endpointSlices: [EndpointSlice] = []
    public private(set) var pods: [Pod] = []
    public private(set) var secrets: [Secret] = []
    public private(set) var namespaces: [Namespace] = []
    public private(set) var nodes: [KubernetesNode] = []

    private var virtualServiceIndex: [NamespacedName: Int] = [:]
    private var virtualServicesByHost: [String: [Int]] = [:]
    private var destinationRulesByHost: [String: [Int]] = [:]
    private var destinationRuleIndex: [NamespacedName: Int] = [:]
    private var gatewayIndex: [NamespacedName: Int] = [:]
    private var serviceIndex: [NamespacedName: Int] = [:]
    private var serviceHostIndex: [String: Int] = [:]
    private var endpointSliceIndex: [NamespacedName: Int] = [:]
    private var slicesByService: [NamespacedName: [Int]] = [:]
    private var podIndex: [NamespacedName: Int] = [:]
    private var secretIndex: [NamespacedName: Int] = [:]
    private var namespaceIndex: [String: Int] = [:]
    private var nodeIndex: [String: Int] = [:]
    /// Validation findings of Istio objects, handed in by whoever built the snapshot and had them already.
    private var knownValidation: [ValidationKey: [ValidationFinding]] = [:]

    private struct ValidationKey: Hashable {
        var kind: MeshKind
        var name: NamespacedName
    }

    /// Builds a snapshot; a later object with the same kind, namespace and name replaces an earlier one.
    public init(objects: [MeshObject], domainSuffix: String = "cluster.local") {
        self.domainSuffix = domainSuffix
        for object in objects { insert(object) }
        indexHosts()
    }

    /// Builds a snapshot from objects whose validation is already known (an operator caches it per
    /// `resourceVersion`), so indexing and analysis do not validate every object again on every change.
    public init(validated: [(object: MeshObject, findings: [ValidationFinding])], domainSuffix: String = "cluster.local") {
        self.init(objects: validated.map(\.object), domainSuffix: domainSuffix)
        for (object, findings) in validated {
            knownValidation[ValidationKey(kind: object.kind, name: Self.key(object.metadata))] = findings
        }
    }

    /// `MeshValidator.validate(object)`, or what was handed in for it.
    public func validation(of object: MeshObject) -> [ValidationFinding] {
        knownValidation[ValidationKey(kind: object.kind, name: Self.key(object.metadata))] ?? MeshValidator.validate(object)
    }

    /// Host indexes are built after all objects are in, so replaced objects leave no stale entries.
    private mutating func indexHosts() {
        for (position, vs) in virtualServices.enumerated() {
            let namespace = vs.metadata.namespace ?? Self.defaultNamespace
            for host in Set((vs.spec.hosts ?? []).map { resolveHost($0, namespace: namespace) }) {
                virtualServicesByHost[host, default: []].append(position)
            }
        }
        for (position, rule) in destinationRules.enumerated() {
            guard let host = rule.spec.host, !host.isEmpty else { continue }
            let namespace = rule.metadata.namespace ?? Self.defaultNamespace
            destinationRulesByHost[resolveHost(host, namespace: namespace), default: []].append(position)
        }
    }

    public init(decoded: [DecodedObject], domainSuffix: String = "cluster.local") {
        self.init(objects: decoded.map(\.object), domainSuffix: domainSuffix)
    }

    /// Every object, kind by kind.
    public var objects: [MeshObject] {
        virtualServices.map(MeshObject.virtualService) + destinationRules.map(MeshObject.destinationRule)
            + gateways.map(MeshObject.gateway) + services.map(MeshObject.service)
            + endpointSlices.map(MeshObject.endpointSlice) + pods.map(MeshObject.pod) + secrets.map(MeshObject.secret)
            + namespaces.map(MeshObject.namespace) + nodes.map(MeshObject.node)
    }

    /// The identity of a namespaced object, defaulting its namespace.
    public static func key(_ metadata: ObjectMeta) -> NamespacedName {
        NamespacedName(namespace: metadata.namespace ?? defaultNamespace, name: metadata.name ?? "")
    }

    private static func upsert<T>(_ value: T, key: NamespacedName, into array: inout [T], index: inout [NamespacedName: Int]) -> Int {
        if let position = index[key] {
            array[position] = value
            return position
        }
        index[key] = array.count
        array.append(value)
        return array.count - 1
    }

    private mutating func insert(_ object: MeshObject) {
        let key = Self.key(object.metadata)
        switch object {
        case .virtualService(let value): _ = Self.upsert(value, key: key, into: &virtualServices, index: &virtualServiceIndex)
        case .destinationRule(let value): _ = Self.upsert(value, key: key, into: &destinationRules, index: &destinationRuleIndex)
        case .gateway(let value): _ = Self.upsert(value, key: key, into: &gateways, index: &gatewayIndex)
        case .service(let value):
            let position = Self.upsert(value, key: key, into: &services, index: &serviceIndex)
            serviceHostIndex[Self.serviceHost(name: key.name, namespace: key.namespace, domainSuffix: domainSuffix)] = position
        case .endpointSlice(let value):
            let isNew = endpointSliceIndex[key] == nil
            let position = Self.upsert(value, key: key, into: &endpointSlices, index: &endpointSliceIndex)
            if isNew, let serviceName = value.serviceName {
                slicesByService[NamespacedName(namespace: key.namespace, name: serviceName), default: []].append(position)
            }
        case .pod(let value): _ = Self.upsert(value, key: key, into: &pods, index: &podIndex)
        case .secret(let value): _ = Self.upsert(value, key: key, into: &secrets, index: &secretIndex)
        case .namespace(let value):
            let name = value.metadata.name ?? ""
            if let position = namespaceIndex[name] { namespaces[position] = value } else { namespaceIndex[name] = namespaces.count; namespaces.append(value) }
        case .node(let value):
            let name = value.metadata.name ?? ""
            if let position = nodeIndex[name] { nodes[position] = value } else { nodeIndex[name] = nodes.count; nodes.append(value) }
        }
    }

    // MARK: Lookups by namespace and name

    public func virtualService(namespace: String, name: String) -> VirtualService? {
        virtualServiceIndex[.init(namespace: namespace, name: name)].map { virtualServices[$0] }
    }

    public func destinationRule(namespace: String, name: String) -> DestinationRule? {
        destinationRuleIndex[.init(namespace: namespace, name: name)].map { destinationRules[$0] }
    }

    public func gateway(namespace: String, name: String) -> Gateway? {
        gatewayIndex[.init(namespace: namespace, name: name)].map { gateways[$0] }
    }

    public func service(namespace: String, name: String) -> Service? {
        serviceIndex[.init(namespace: namespace, name: name)].map { services[$0] }
    }

    public func endpointSlice(namespace: String, name: String) -> EndpointSlice? {
        endpointSliceIndex[.init(namespace: namespace, name: name)].map { endpointSlices[$0] }
    }

    public func pod(namespace: String, name: String) -> Pod? {
        podIndex[.init(namespace: namespace, name: name)].map { pods[$0] }
    }

    public func secret(namespace: String, name: String) -> Secret? {
        secretIndex[.init(namespace: namespace, name: name)].map { secrets[$0] }
    }

    public func namespace(named name: String) -> Namespace? {
        namespaceIndex[name].map { namespaces[$0] }
    }

    public func node(named name: String) -> KubernetesNode? {
        nodeIndex[name].map { nodes[$0] }
    }

    /// The EndpointSlices labelled `kubernetes.io/service-name` for a Service.
    public func endpointSlices(forService service: NamespacedName) -> [EndpointSlice] {
        (slicesByService[service] ?? []).map { endpointSlices[$0] }
    }

    // MARK: Lookups by host

    /// `name.namespace.svc.<domainSuffix>`.
    public static func serviceHost(name: String, namespace: String, domainSuffix: String = "cluster.local") -> String {
        "\(name).\(namespace).svc.\(domainSuffix)"
    }

    /// Resolves a host as Istio does: a short name (no dots, no wildcard) is qualified
    /// with the namespace of the object that wrote it; anything else is taken as written.
    public static func resolveHost(_ host: String, namespace: String, domainSuffix: String = "cluster.local") -> String {
        if host.contains("." as Character) || host.contains("*" as Character) || host.isEmpty { return host }
        return serviceHost(name: host, namespace: namespace, domainSuffix: domainSuffix)
    }

    public func resolveHost(_ host: String, namespace: String) -> String {
        Self.resolveHost(host, namespace: namespace, domainSuffix: domainSuffix)
    }

    /// VirtualServices that list `host` (after resolving their own short names), in snapshot
    /// order. Exact match only: wildcard precedence and `exportTo` are the translator's call.
    public func virtualServices(forHost host: String) -> [VirtualService] {
        (virtualServicesByHost[host] ?? []).map { virtualServices[$0] }
    }

    /// DestinationRules whose `host` resolves to `host`, in snapshot order (exact match only).
    public func destinationRules(forHost host: String) -> [DestinationRule] {
        (destinationRulesByHost[host] ?? []).map { destinationRules[$0] }
    }

    /// The Service a host names, resolving short names relative to `namespace`.
    public func service(host: String, relativeTo namespace: String) -> Service? {
        serviceHostIndex[resolveHost(host, namespace: namespace)].map { services[$0] }
    }
}
