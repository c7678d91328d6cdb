import EnvoyAPI
import MeshAPI
import Synchronization
import SwiftProtobuf
import Translator
import XDSServer

/// Serves the translation of the current mesh to the xDS server: identifies proxies the
/// way Istio does and translates for them from the latest mesh index.
public final class MeshResourceGenerator: ResourceGenerator {
    private struct State {
        var index: MeshIndex
        var identities: [String: ProxyIdentity] = [:]
        var published = false
    }

    private let state: Mutex<State>
    /// Serialized clusters and endpoints, kept across changes: a change re-serializes the clusters
    /// and assignments that changed, not every one.
    private let packedClusters = PackedByContent<Envoy_Config_Cluster_V3_Cluster>()
    private let packedEndpoints = PackedByContent<Envoy_Config_Endpoint_V3_ClusterLoadAssignment>()

    public init(snapshot: MeshSnapshot = MeshSnapshot(objects: [])) {
        state = Mutex(State(index: MeshIndex(snapshot)))
    }

    /// Installs a new mesh and says what it changed: only endpoints (EndpointSlices, Pods),
    /// or anything else.
    public func update(_ snapshot: MeshSnapshot) -> ChangeScope {
        // Only the runner calls this, one snapshot at a time, so the index read here is the one replaced below.
        let previous = state.withLock { $0.index }
        let index = MeshIndex(snapshot, reusing: previous)
        if index.endpointChanges != nil {
            // Each kind and namespace's endpoints are the previous lists with the changed service ports' clusters replaced.
            // Only those are kept: the previous index's other lists can go.
            let lists = previous.memo.attachment("xds-packed") { PackedResources() }.withPrefix("eds|")
            _ = index.memo.attachment("xds-eds-base") { lists }
        }
        return state.withLock { state in
            let endpointsOnly = state.published && index.changesOnlyEndpoints
            state.index = index
            state.published = true
            return endpointsOnly ? .endpoints : .all
        }
    }

    /// Whether a mesh has been installed (readiness).
    public var isReady: Bool { state.withLock { $0.published } }

    public var index: MeshIndex { state.withLock { $0.index } }

    public func describe(node: Envoy_Config_Core_V3_Node) throws -> ProxyDescriptor {
        let metadata = node.metadata.fields
        let namespace = metadata["NAMESPACE"]?.stringValue
        var labels: [String: String] = [:]
        for (key, value) in metadata["LABELS"]?.structValue.fields ?? [:] { labels[key] = value.stringValue }
        let generator = metadata["GENERATOR"]?.stringValue
        let identity: ProxyIdentity
        do {
            identity = try ProxyIdentity(nodeID: node.id, namespace: namespace?.isEmpty == false ? namespace : nil, labels: labels, generator: generator)
        } catch {
            throw InvalidNode(error.message)
        }
        // Sidecars' routes depend on their namespace and labels (short names, sourceLabels); gateways' on their labels too.
        let key = "\(identity.kind.rawValue)|\(identity.namespace)|" + labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
        state.withLock { $0.identities[key] = identity }
        return ProxyDescriptor(id: node.id, kind: identity.kind.rawValue, cacheKey: key)
    }

    public func resources(for proxy: ProxyDescriptor, types: Set<String>?) async -> ResourceSnapshot {
        let (index, identity) = state.withLock { ($0.index, $0.identities[proxy.cacheKey]) }
        guard let identity else { return ResourceSnapshot() }
        // The EDS clusters of each cache key's last translation, for as long as routes and clusters stay as they are.
        let endpointClusters = index.routeMemo.attachment("xds-eds-clusters") { EndpointClusters() }
        if types == [TypeURL.clusterLoadAssignment], let known = endpointClusters[proxy.cacheKey] {
            // A change to endpoints only: the assignments of the clusters the proxy has, and nothing else translated.
            let scope = "\(identity.kind.rawValue)|\(identity.namespace)"
            let packed = { ResourceList(self.packedEndpoints.pack(Translator.endpoints(index, proxy: identity, clusters: known.names), scope: scope,
                                                                  name: \.clusterName, complete: known.common)) }
            guard known.common else { return ResourceSnapshot(lists: [TypeURL.clusterLoadAssignment: packed()]) }
            let shared = index.memo.attachment("xds-packed") { PackedResources() }
            let list = shared.list("eds|" + scope) {
                guard let changes = index.endpointChanges,
                      let previous = index.memo.attachment("xds-eds-base", make: { PackedResources() }).existing("eds|" + scope) else { return packed() }
                // The previous index's list with the assignments of the clusters whose service ports changed built again.
                let byPort = index.routeMemo.attachment("xds-eds-by-port") { ClustersByServicePortCache() }
                let affected = byPort.clusters(scope: scope, names: known.names).affected(by: changes)
                let assignments = Translator.endpoints(index, proxy: identity, clusters: affected)
                return previous.replacing(self.packedEndpoints.pack(assignments, scope: scope, name: \.clusterName, complete: false))
            }
            return ResourceSnapshot(lists: [TypeURL.clusterLoadAssignment: list])
        }
        // Assignments are built below only if the shared list of them is not there yet.
        let resources = Translator.translate(index, proxy: identity, assignments: false)
        func pack<M: Message>(_ messages: [M], name: (M) -> String) -> [XDSResource] {
            messages.compactMap { try? XDSResource(name: name($0), message: $0) }
        }
        // Clusters and endpoints are the same for every proxy of a kind and namespace (see TranslationMemo)
        // unless routes name clusters nothing defines: then their serialized lists are shared too, for as
        // long as the memo. Listeners and route configurations are the same for every proxy of a route
        // scope, for this index only.
        let shared = index.memo.attachment("xds-packed") { PackedResources() }
        let perIndex = index.routeMemo.attachment("xds-packed") { PackedResources() }
        let scope = "\(identity.kind.rawValue)|\(identity.namespace)"
        let routeScope = Translator.routeScope(index, proxy: identity)
        let common = resources.undefinedClusters.isEmpty
        var lists: [String: ResourceList] = [:]
        let wanted = { (type: String) in types?.contains(type) ?? true }
        if wanted(TypeURL.listener) {
            let packed = { ResourceList(pack(resources.listeners, name: \.name)) }
            // Proxyless gRPC clients' listeners read only Services: one list for all, kept with the memo.
            lists[TypeURL.listener] = identity.kind == .grpc ? shared.list("lds|grpc", build: packed) : perIndex.list("lds|" + routeScope, build: packed)
        }
        if wanted(TypeURL.routeConfiguration) {
            // Virtual hosts a change did not touch are carried to the next index with their bytes (see VirtualHostMemo).
            let encoding = index.hostMemo.attachment("xds-encoded") { RouteConfigurationEncoding() }
            lists[TypeURL.routeConfiguration] = perIndex.list("rds|" + routeScope) {
                ResourceList(resources.routes.compactMap { try? encoding.resource($0, scope: routeScope) })
            }
        }
        if wanted(TypeURL.cluster) {
            let packed = { ResourceList(self.packedClusters.pack(resources.clusters, scope: scope, name: \.name, complete: common)) }
            lists[TypeURL.cluster] = common ? shared.list("cds|" + scope, build: packed) : packed()
        }
        if wanted(TypeURL.clusterLoadAssignment) {
            endpointClusters[proxy.cacheKey] = EndpointClusters.Known(names: resources.endpointClusters, common: common)
            let packed = {
                ResourceList(self.packedEndpoints.pack(Translator.endpoints(index, proxy: identity, clusters: resources.endpointClusters),
                                                       scope: scope, name: \.clusterName, complete: common))
            }
            lists[TypeURL.clusterLoadAssignment] = common ? shared.list("eds|" + scope, build: packed) : packed()
        }
        if wanted(TypeURL.secret) { lists[TypeURL.secret] = ResourceList(pack(resources.secrets, name: \.name)) }
        return ResourceSnapshot(lists: lists)
    }
}

/// Whole serialized lists by key, for as long as the memo they hang off is valid.
final class PackedResources: Sendable {
    private let lists = Mutex<[String: ResourceList]>([:])

    /// A whole type's list under `key`, built the first time.
    func list(_ key: String, build: () -> ResourceList) -> ResourceList {
        if let known = existing(key) { return known }
        let built = build()
        lists.withLock { $0[key] = built }
        return built
    }

    /// The list under `key` if one was built.
    func existing(_ key: String) -> ResourceList? {
        lists.withLock { $0[key] }
    }

    /// The lists built so far whose keys start with `prefix`.
    func withPrefix(_ prefix: String) -> PackedResources {
        let kept = PackedResources()
        let lists = lists.withLock { $0 }.filter { $0.key.hasPrefix(prefix) }
        kept.lists.withLock { $0 = lists }
        return kept
    }
}

/// Each kind and namespace's EDS clusters by service port, for as long as the routes and
/// clusters they were found from.
final class ClustersByServicePortCache: Sendable {
    private let scopes = Mutex<[String: ClustersByServicePort]>([:])

    func clusters(scope: String, names: [String]) -> ClustersByServicePort {
        if let known = scopes.withLock({ $0[scope] }) { return known }
        let grouped = ClustersByServicePort(names)
        scopes.withLock { $0[scope] = grouped }
        return grouped
    }
}

/// The EDS clusters a proxy cache key's translation gave, and whether they are all its kind and
/// namespace has (no route names a cluster nothing defines).
final class EndpointClusters: Sendable {
    struct Known: Sendable {
        var names: [String]
        var common: Bool
    }

    private let known = Mutex<[String: Known]>([:])

    subscript(cacheKey: String) -> Known? {
        get { known.withLock { $0[cacheKey] } }
        set { known.withLock { $0[cacheKey] = newValue } }
    }
}

/// Serialized resources by scope and name, reused while a message is equal to the one they were
/// serialized from, however the mesh changed meanwhile. Translation carries unchanged messages to
/// the next mesh index, so that check is mostly a comparison of shared storage.
final class PackedByContent<M: Message & Equatable>: Sendable {
    private struct Packed: Sendable {
        var message: M
        var resource: XDSResource
    }

    private let scopes = Mutex<[String: [String: Packed]]>([:])

    /// `messages`, serialized or taken from before. A `complete` list is everything the scope has
    /// now: what it no longer has is forgotten.
    func pack(_ messages: [M], scope: String, name: (M) -> String, complete: Bool) -> [XDSResource] {
        let known = scopes.withLock { $0[scope] ?? [:] }
        var current: [String: Packed] = [:]
        current.reserveCapacity(messages.count)
        let result = messages.compactMap { message -> XDSResource? in
            let key = name(message)
            if let packed = known[key], packed.message == message {
                current[key] = packed
                return packed.resource
            }
            guard let resource = try? XDSResource(name: key, message: message) else { return nil }
            current[key] = Packed(message: message, resource: resource)
            return resource
        }
        scopes.withLock { scopes in
            if complete {
                scopes[scope] = current
            } else {
                scopes[scope, default: [:]].merge(current) { _, new in new }
            }
        }
        return result
    }
}

extension Google_Protobuf_Value {
    var stringValue: String? {
        if case .stringValue(let value)? = kind { return value }
        return nil
    }

    var structValue: Google_Protobuf_Struct {
        if case .structValue(let value)? = kind { return value }
        return Google_Protobuf_Struct()
    }
}
