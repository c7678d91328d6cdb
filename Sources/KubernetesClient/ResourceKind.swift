import KubernetesAPI

/// A kind and the URL resource that serves it: what a client needs to build paths.
public struct ResourceKind: Sendable, Hashable, CustomStringConvertible {
    public var group: String
    public var version: String
    public var kind: String
    /// Plural, lower-case: the URL segment.
    public var plural: String
    public var namespaced: Bool

    public init(group: String, version: String, kind: String, plural: String, namespaced: Bool) {
        self.group = group
        self.version = version
        self.kind = kind
        self.plural = plural
        self.namespaced = namespaced
    }

    public var groupVersionKind: GroupVersionKind { GroupVersionKind(group: group, version: version, kind: kind) }
    public var groupVersionResource: GroupVersionResource { GroupVersionResource(group: group, version: version, resource: plural) }
    public var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }
    public var description: String { "\(apiVersion) \(kind)" }

    /// `/api/v1/namespaces/ns/pods[/name]` or the cluster-scoped form.
    public func path(namespace: String?, name: String? = nil, subresource: String? = nil) -> String {
        var path = groupVersionResource.pathPrefix
        if namespaced, let namespace { path += "/namespaces/\(namespace)" }
        path += "/\(plural)"
        if let name { path += "/\(name)" }
        if let subresource { path += "/\(subresource)" }
        return path
    }

    public static let namespace = ResourceKind(group: "", version: "v1", kind: "Namespace", plural: "namespaces", namespaced: false)
    public static let service = ResourceKind(group: "", version: "v1", kind: "Service", plural: "services", namespaced: true)
    public static let pod = ResourceKind(group: "", version: "v1", kind: "Pod", plural: "pods", namespaced: true)
    public static let secret = ResourceKind(group: "", version: "v1", kind: "Secret", plural: "secrets", namespaced: true)
    public static let configMap = ResourceKind(group: "", version: "v1", kind: "ConfigMap", plural: "configmaps", namespaced: true)
    public static let event = ResourceKind(group: "", version: "v1", kind: "Event", plural: "events", namespaced: true)
    public static let node = ResourceKind(group: "", version: "v1", kind: "Node", plural: "nodes", namespaced: false)
    public static let endpointSlice = ResourceKind(group: "discovery.k8s.io", version: "v1", kind: "EndpointSlice", plural: "endpointslices", namespaced: true)
    public static let lease = ResourceKind(group: "coordination.k8s.io", version: "v1", kind: "Lease", plural: "leases", namespaced: true)
    public static let customResourceDefinition = ResourceKind(group: "apiextensions.k8s.io", version: "v1", kind: "CustomResourceDefinition",
                                                              plural: "customresourcedefinitions", namespaced: false)
    public static let virtualService = ResourceKind(group: "networking.istio.io", version: "v1", kind: "VirtualService", plural: "virtualservices", namespaced: true)
    public static let destinationRule = ResourceKind(group: "networking.istio.io", version: "v1", kind: "DestinationRule", plural: "destinationrules", namespaced: true)
    public static let gateway = ResourceKind(group: "networking.istio.io", version: "v1", kind: "Gateway", plural: "gateways", namespaced: true)

    /// The built-in table.
    public static let known: [ResourceKind] = [
        .namespace, .service, .pod, .secret, .configMap, .event, .node, .endpointSlice, .lease, .customResourceDefinition,
        .virtualService, .destinationRule, .gateway,
    ]

    /// Looks a kind up in the built-in table; another version of a known group/kind keeps its plural and scope.
    public static func lookup(_ gvk: GroupVersionKind) -> ResourceKind? {
        guard var match = known.first(where: { $0.group == gvk.group && $0.kind == gvk.kind }) else { return nil }
        match.version = gvk.version
        return match
    }
}
