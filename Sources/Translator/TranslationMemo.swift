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
    private let clusters = Mutex<[String: [Envoy_Config_Cluster_V3_Cluster]]>([:])
    private let assignments = Mutex<[String: Envoy_Config_Endpoint_V3_ClusterLoadAssignment]>([:])
    private let attachments = Mutex<[String: any Sendable]>([:])

    public init() {}

    /// State a consumer keeps for exactly as long as these results stay valid (the xDS generator
    /// keeps the serialized clusters and endpoints here), made on first use. Not carried by
    /// ``init(clustersOf:)``.
    public func attachment<Value: Sendable>(_ key: String, make: () -> Value) -> Value {
        attachments.withLock { attachments in
            if let existing = attachments[key] as? Value { return existing }
            let made = make()
            attachments[key] = made
            return made
        }
    }

    /// A memo holding the clusters of `other` (after a change to endpoints only).
    init(clustersOf other: TranslationMemo) {
        clusters.withLock { $0 = other.clusters.withLock { $0 } }
    }

    /// The proxies' outbound clusters, built by `build` the first time. Two proxies asking at
    /// once may both build; they build the same thing.
    func outboundClusters(kind: ProxyIdentity.Kind, namespace: String,
                          build: () -> [Envoy_Config_Cluster_V3_Cluster]) -> [Envoy_Config_Cluster_V3_Cluster] {
        let key = "\(kind.rawValue)|\(namespace)"
        if let known = clusters.withLock({ $0[key] }) { return known }
        let built = build()
        clusters.withLock { $0[key] = built }
        return built
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
