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
    private let listeners = Mutex<[Envoy_Config_Listener_V3_Listener]?>(nil)
    /// By client namespace, then cluster (no key strings to build per lookup: thousands per proxy kind and namespace).
    private let assignments = Mutex<[String: [String: Assignment]]>([:])
    /// Assignments of the previous memo, after a change to endpoints: each is still right if the
    /// endpoints it was built from are the same, which is checked when it is first asked for.
    private let carriedAssignments: CarriedAssignments
    private let attachments = MemoAttachments()

    /// A cluster's endpoints and the service port endpoints they were selected from.
    struct Assignment: Sendable {
        var inputs: [MeshIndex.EndpointEntry]
        var assignment: Envoy_Config_Endpoint_V3_ClusterLoadAssignment
    }

    public init() {
        carriedAssignments = CarriedAssignments()
    }

    /// State a consumer keeps for exactly as long as these results stay valid (the xDS generator
    /// keeps the serialized clusters and endpoints here), made on first use. Not carried by
    /// ``init(clustersOf:)``.
    public func attachment<Value: Sendable>(_ key: String, make: () -> Value) -> Value {
        attachments.value(key, make: make)
    }

    /// A memo holding the clusters of `other`, and its endpoints for the service ports whose
    /// endpoints did not change (after a change to endpoints only: a moved pod rebuilds its
    /// service's assignments, not the mesh's).
    init(clustersOf other: TranslationMemo) {
        clusters.withLock { $0 = other.clusters.withLock { $0 } }
        carriedAssignments = other.carriedAssignments.adding(other.assignments.withLock { $0 })
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

    /// The API listeners of proxyless gRPC clients: one per service port, the same for every client,
    /// and read from Services only.
    func grpcListeners(build: () -> [Envoy_Config_Listener_V3_Listener]) -> [Envoy_Config_Listener_V3_Listener] {
        if let known = listeners.withLock({ $0 }) { return known }
        let built = build()
        listeners.withLock { $0 = built }
        return built
    }

    /// The endpoints of `cluster` for clients in `namespace`, built from `inputs` (the endpoints of
    /// its service port) by `build` unless this memo or the one it was carried from has them.
    func assignment(cluster: String, namespace: String, inputs: () -> [MeshIndex.EndpointEntry],
                    build: () -> Envoy_Config_Endpoint_V3_ClusterLoadAssignment) -> Envoy_Config_Endpoint_V3_ClusterLoadAssignment {
        if let known = assignments.withLock({ $0[namespace]?[cluster] }) { return known.assignment }
        let current = inputs()
        let entry: Assignment
        if let carried = carriedAssignments.assignment(cluster: cluster, namespace: namespace), carried.inputs == current {
            entry = carried
        } else {
            entry = Assignment(inputs: current, assignment: build())
        }
        assignments.withLock { $0[namespace, default: [:]][cluster] = entry }
        return entry.assignment
    }
}

/// Assignments carried from memo to memo across endpoint changes, by client namespace and cluster,
/// in two layers: what the last changes built over a large base. An endpoint change builds a few
/// assignments of thousands; adding them to the small layer leaves the base shared, where merging
/// into one dictionary would copy it on every change. The layers are merged once the newer one
/// has grown to an eighth of the base, which keeps that copying linear in what was built.
struct CarriedAssignments: Sendable {
    typealias Layer = [String: [String: TranslationMemo.Assignment]]
    private var base: Layer = [:]
    private var recent: Layer = [:]
    private var baseCount = 0
    private var recentCount = 0

    func assignment(cluster: String, namespace: String) -> TranslationMemo.Assignment? {
        recent[namespace]?[cluster] ?? base[namespace]?[cluster]
    }

    /// These layers with `built` over them (newer entries win).
    func adding(_ built: Layer) -> CarriedAssignments {
        let builtCount = built.values.reduce(0) { $0 + $1.count }
        guard builtCount > 0 else { return self }
        var next = self
        if (recentCount + builtCount) * 8 <= baseCount {
            Self.merge(built, into: &next.recent, count: &next.recentCount)
        } else {
            Self.merge(recent, into: &next.base, count: &next.baseCount)
            Self.merge(built, into: &next.base, count: &next.baseCount)
            next.recent = [:]
            next.recentCount = 0
        }
        return next
    }

    private static func merge(_ layer: Layer, into target: inout Layer, count: inout Int) {
        for (namespace, entries) in layer {
            if target[namespace] == nil {
                target[namespace] = entries
                count += entries.count
                continue
            }
            for (cluster, entry) in entries where target[namespace]?.updateValue(entry, forKey: cluster) == nil {
                count += 1
            }
        }
    }
}

/// Route configurations shared by proxies of different cache keys, for one mesh index and the
/// ones after it that change only endpoints (see ``MeshIndex/init(_:reusing:)``): routes read
/// VirtualServices, which users change most, so unlike ``TranslationMemo`` this rarely outlives a change.
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

/// Virtual hosts of sidecar and proxyless gRPC route configurations, carried from one mesh index
/// to the next for every host a change cannot have touched (see ``MeshIndex/init(_:reusing:)``).
///
/// A canary step edits one VirtualService; every sidecar's route configuration for the port then
/// changes in one virtual host, and the others are taken from here instead of translated again.
/// A virtual host reads the Service, the VirtualService that claims its host, DestinationRules and
/// the Services its routes go to, and the proxy's route scope, which is part of the key.
public final class VirtualHostMemo: Sendable {
    private struct Entry: Sendable {
        var fqdn: String
        var host: Envoy_Config_Route_V3_VirtualHost
    }

    private let hosts: Mutex<[String: Entry]>
    private let attachments: MemoAttachments

    public init() {
        hosts = Mutex([:])
        attachments = MemoAttachments()
    }

    private init(hosts: [String: Entry], attachments: MemoAttachments) {
        self.hosts = Mutex(hosts)
        self.attachments = attachments
    }

    /// The virtual host for `fqdn`:`port` in route configurations of `scope`, built by `build` the first time.
    func host(scope: String, port: Int, fqdn: String, portless: Bool,
              build: () -> Envoy_Config_Route_V3_VirtualHost) -> Envoy_Config_Route_V3_VirtualHost {
        let key = "\(scope)|\(port)|\(portless ? "*" : "")|\(fqdn)"
        if let known = hosts.withLock({ $0[key] }) { return known.host }
        let built = build()
        hosts.withLock { $0[key] = Entry(fqdn: fqdn, host: built) }
        return built
    }

    /// A memo with every host of this one except those of `fqdns`. Attachments are shared with it:
    /// they must check what they cached against the host they are given.
    func carrying(excluding fqdns: Set<String>) -> VirtualHostMemo {
        let kept = hosts.withLock { $0 }.filter { !fqdns.contains($0.value.fqdn) }
        return VirtualHostMemo(hosts: kept, attachments: attachments)
    }

    var count: Int { hosts.withLock { $0.count } }

    /// The clusters a virtual host routes and mirrors to, remembered per host under `key` while the host is the same.
    func referencedClusters(of host: Envoy_Config_Route_V3_VirtualHost, key: String) -> Set<String> {
        let cache = attachment("referenced-clusters") { HostDerived<Set<String>>() }
        return cache.value(for: host, key: key) { ReferencedClusters.names(in: host) }
    }

    /// State a consumer keeps alongside (the xDS generator keeps serialized virtual hosts here).
    public func attachment<Value: Sendable>(_ key: String, make: () -> Value) -> Value {
        attachments.value(key, make: make)
    }
}

/// Values computed from virtual hosts, reused while the host under a key is the same one (hosts
/// carried from an earlier index share storage with it, so that check is a pointer comparison).
public final class HostDerived<Value: Sendable>: Sendable {
    private let values = Mutex<[String: (host: Envoy_Config_Route_V3_VirtualHost, value: Value)]>([:])

    public init() {}

    public func value(for host: Envoy_Config_Route_V3_VirtualHost, key: String, make: () throws -> Value) rethrows -> Value {
        if let known = values.withLock({ $0[key] }), known.host == host { return known.value }
        let made = try make()
        values.withLock { $0[key] = (host, made) }
        return made
    }
}
