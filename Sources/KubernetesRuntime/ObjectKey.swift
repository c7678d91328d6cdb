import KubernetesClient

/// `namespace/name` (or `name` for cluster-scoped objects): the identity of a cached object and of a work item.
public struct ObjectKey: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var namespace: String?
    public var name: String

    public init(namespace: String?, name: String) {
        self.namespace = namespace.flatMap { $0.isEmpty ? nil : $0 }
        self.name = name
    }

    public init(_ object: some KubernetesObject) {
        self.init(namespace: object.metadata.namespace, name: object.metadata.name ?? "")
    }

    public var description: String { namespace.map { "\($0)/\(name)" } ?? name }

    public static func < (lhs: ObjectKey, rhs: ObjectKey) -> Bool { lhs.description < rhs.description }
}
