import EnvoyAPI
import Synchronization

/// Translation results that many proxies share, built once per mesh index instead of once per
/// proxy cache key: outbound clusters depend only on the proxy's kind and namespace, a cluster's
/// endpoints only on the cluster and the client's namespace. Sidecars of twenty workloads in five
/// namespaces then build five sets of clusters and endpoints, not twenty.
///
/// The parts stay valid across a change that cannot affect them (see ``MeshIndex/init(_:reusing:)``):
/// clusters read only Services and DestinationRules, endpoints also EndpointSlices and Pods, and
/// neither reads VirtualServices or Gateways, the objects users change most.
public final class TranslationMemo: Sendable {
    private let clusters = Mutex<[String: OutboundClusters]>([:])
    private let assignments = Mutex<[String: Envoy_Config_Endpoint_V3_ClusterLoadAssignment]>([:])
    private let attachments = MemoAttachments()

    public init() {}

    /// State a consumer keeps for exactly as long as these results stay valid (the xDS generator
    /// keeps the serialized clusters and endpoints here), made on first use. Not carried by
    /// ``init(clustersOf:)``.
    public func attachment<Value: Sendable>(_ key: String, make: () -> Value) -> Value {
        attachments.value(key, make: make)
    }

    /// A memo holding the clusters of `other` (after a change to endpoints only).
    init(clustersOf other: TranslationMemo) {
        clusters.withLock { $0 = other.clusters.withLock { $0 } }
    }

    /// The proxies' outbound clusters, built by `build` the first time. Two proxies asking at
    /// once may both build; they build the same thing.
    func outboundClusters(kind: ProxyIdentity.Kind, namespace: String,
                          build: () -> [Envoy_Config_Cluster_V3_Cluster]) -> [Envoy_Config_Cluster_V3_Cluster] {
        outbound(kind: kind, namespace: namespace, build: build).clusters
    }

    /// The names of those clusters, for checking what routes refer to without hashing them all per proxy.
    func outboundClusterNames(kind: ProxyIdentity.Kind, namespace: String,
                              build: () -> [Envoy_Config_Cluster_V3_Cluster]) -> Set<String> {
        outbound(kind: kind, namespace: namespace, build: build).names
    }

    private func outbound(kind: ProxyIdentity.Kind, namespace: String,
                          build: () -> [Envoy_Config_Cluster_V3_Cluster]) -> OutboundClusters {
        let key = "\(kind.rawValue)|\(namespace)"
        if let known = clusters.withLock({ $0[key] }) { return known }
        let built = build()
        let entry = OutboundClusters(clusters: built, names: Set(built.map(\.name)))
        clusters.withLock { $0[key] = entry }
        return entry
    }

    private struct OutboundClusters: Sendable {
        var clusters: [Envoy_Config_Cluster_V3_Cluster]
        var names: Set<String>
    }

    func assignment(cluster: String, namespace: String,
                    build: () -> Envoy_Config_Endpoint_V3_ClusterLoadAssignment) -> Envoy_Config_Endpoint_V3_ClusterLoadAssignment {
        let key = "\(namespace)|\(cluster)"
        if let known = assignments.withLock({ $0[key] }) { return known }
        let built = build()
        assignments.withLock { $0[key] = built }
        return built
    }
}

/// Route configurations shared by proxies of different cache keys, for one mesh index only:
/// routes read VirtualServices, so unlike ``TranslationMemo`` nothing here outlives a change.
///
/// A sidecar's route configuration depends on its namespace, and on its labels only when some
/// VirtualService matches on `sourceLabels`; so sidecars of twenty workloads in five namespaces
/// build (and serialize) five copies of every route configuration, not twenty.
public final class RouteMemo: Sendable {
    private let configurations = Mutex<[String: Envoy_Config_Route_V3_RouteConfiguration]>([:])
    private let referenced = Mutex<[String: Set<String>]>([:])
    private let attachments = MemoAttachments()

    public init() {}

    /// The route configuration `name` for proxies of `scope` (see ``Translator/routeScope(_:proxy:)``),
    /// built by `build` the first time. Two proxies asking at once may both build; they build the same thing.
    func configuration(scope: String, name: String, build: () -> Envoy_Config_Route_V3_RouteConfiguration) -> Envoy_Config_Route_V3_RouteConfiguration {
        let key = scope + "|" + name
        if let known = configurations.withLock({ $0[key] }) { return known }
        let built = build()
        configurations.withLock { $0[key] = built }
        return built
    }

    /// The clusters route configuration `name` of `scope` sends traffic to.
    func referencedClusters(scope: String, name: String, find: () -> Set<String>) -> Set<String> {
        let key = scope + "|" + name
        if let known = referenced.withLock({ $0[key] }) { return known }
        let found = find()
        referenced.withLock { $0[key] = found }
        return found
    }

    /// State a consumer keeps for this index's routes (the xDS generator keeps their serialized form here).
    public func attachment<Value: Sendable>(_ key: String, make: () -> Value) -> Value {
        attachments.value(key, make: make)
    }
}

/// What consumers hang off a memo, by key, made on first use.
final class MemoAttachments: Sendable {
    private let values = Mutex<[String: any Sendable]>([:])

    func value<Value: Sendable>(_ key: String, make: () -> Value) -> Value {
        values.withLock { values in
            if let existing = values[key] as? Value { return existing }
            let made = make()
            values[key] = made
            return made
        }
    }
}
