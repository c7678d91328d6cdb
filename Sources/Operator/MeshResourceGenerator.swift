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
        var snapshot: MeshSnapshot
        var identities: [String: ProxyIdentity] = [:]
        var published = false
    }

    private let state: Mutex<State>

    public init(snapshot: MeshSnapshot = MeshSnapshot(objects: [])) {
        state = Mutex(State(index: MeshIndex(snapshot), snapshot: snapshot))
    }

    /// Installs a new mesh and says what it changed: only endpoints (EndpointSlices, Pods),
    /// or anything else.
    public func update(_ snapshot: MeshSnapshot) -> ChangeScope {
        // Only the runner calls this, one snapshot at a time, so the index read here is the one replaced below.
        let index = MeshIndex(snapshot, reusing: state.withLock { $0.index })
        return state.withLock { state in
            let old = state.snapshot
            let endpointsOnly = state.published
                && old.virtualServices == snapshot.virtualServices && old.destinationRules == snapshot.destinationRules
                && old.gateways == snapshot.gateways && old.services == snapshot.services && old.secrets == snapshot.secrets
                && old.namespaces == snapshot.namespaces && old.nodes == snapshot.nodes
            state.snapshot = snapshot
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
        let resources = Translator.translate(index, proxy: identity)
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
            let packed = { ResourceList(shared.pack(resources.clusters, scope: "cds|" + scope, name: \.name)) }
            lists[TypeURL.cluster] = common ? shared.list("cds|" + scope, build: packed) : packed()
        }
        if wanted(TypeURL.clusterLoadAssignment) {
            let packed = { ResourceList(shared.pack(resources.endpoints, scope: "eds|" + scope, name: \.clusterName)) }
            lists[TypeURL.clusterLoadAssignment] = common ? shared.list("eds|" + scope, build: packed) : packed()
        }
        if wanted(TypeURL.secret) { lists[TypeURL.secret] = ResourceList(pack(resources.secrets, name: \.name)) }
        return ResourceSnapshot(lists: lists)
    }
}

/// Serialized resources by scope and name, for as long as the translation memo they hang off is valid:
/// within that time a name in a scope always has the same content.
final class PackedResources: Sendable {
    private let packed = Mutex<[String: XDSResource]>([:])
    private let lists = Mutex<[String: ResourceList]>([:])

    /// A whole type's list under `key`, built the first time.
    func list(_ key: String, build: () -> ResourceList) -> ResourceList {
        if let known = lists.withLock({ $0[key] }) { return known }
        let built = build()
        lists.withLock { $0[key] = built }
        return built
    }

    func pack<M: Message>(_ messages: [M], scope: String, name: (M) -> String) -> [XDSResource] {
        let known = packed.withLock { $0 }
        var fresh: [String: XDSResource] = [:]
        let result = messages.compactMap { message -> XDSResource? in
            let key = scope + "|" + name(message)
            if let resource = known[key] { return resource }
            guard let resource = try? XDSResource(name: name(message), message: message) else { return nil }
            fresh[key] = resource
            return resource
        }
        if !fresh.isEmpty { packed.withLock { $0.merge(fresh) { old, _ in old } } }
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
