import EnvoyAPI
import Logging
import Metrics
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
        /// Servers left out of each gateway cache key's translation for want of access to their keys, as last logged.
        var reportedRefusals: [String: Set<String>] = [:]
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
            let lists = previous.memo.attachment("xds-packed") { PackedResources() }.filtered { $0.hasPrefix("eds|") }
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

    /// The proxy's namespace must be its credentials' (else the stream is refused, as istiod does);
    /// a gateway's access to private keys follows from them (see ``ProxyIdentity/SecretAccess``).
    public func describe(node: Envoy_Config_Core_V3_Node, credentials: ProxyCredentials) throws -> ProxyDescriptor {
        let metadata = node.metadata.fields
        let namespace = metadata["NAMESPACE"]?.stringValue
        var labels: [String: String] = [:]
        for (key, value) in metadata["LABELS"]?.structValue.fields ?? [:] { labels[key] = value.stringValue }
        let generator = metadata["GENERATOR"]?.stringValue
        var identity: ProxyIdentity
        do {
            identity = try ProxyIdentity(nodeID: node.id, namespace: namespace?.isEmpty == false ? namespace : nil, labels: labels, generator: generator)
        } catch {
            throw InvalidNode(error.message)
        }
        var withheld: String?
        switch credentials {
        case .unrestricted:
            identity.secretAccess = .unrestricted
        case .unauthenticated(let reason):
            identity.secretAccess = .withheld(reason)
            withheld = reason
        case .workload(let workload):
            guard workload.namespace == identity.namespace else {
                throw UnauthorizedNode("the node is in namespace \(identity.namespace.prefix(63)), but the client authenticated as \(workload)")
            }
            identity.secretAccess = .workload(serviceAccount: workload.serviceAccount)
            withheld = Self.serviceAccountMismatch(identity, workload, index: index)
        }
        // Sidecars' routes depend on their namespace and labels (short names, sourceLabels); gateways' on their labels too,
        // and on the private keys they may have (checked against their own Pod, so its name is part of the key).
        var key = "\(identity.kind.rawValue)|\(identity.namespace)|" + labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
        if identity.kind == .gateway {
            key += identity.secretAccess.scopeKey
            if case .workload = identity.secretAccess { key += "|pod=\(identity.podName)" }
        }
        let cacheKey = key
        state.withLock { $0.identities[cacheKey] = identity }
        return ProxyDescriptor(id: node.id, kind: identity.kind.rawValue, cacheKey: cacheKey, secretsWithheld: identity.kind == .gateway ? withheld : nil)
    }

    /// Why an authenticated proxy gets no private keys when its Pod, in the mesh now, runs as
    /// another service account (translation checks again each time, with the mesh of then).
    private static func serviceAccountMismatch(_ identity: ProxyIdentity, _ workload: WorkloadIdentity, index: MeshIndex) -> String? {
        guard let pod = index.snapshot.pod(namespace: identity.namespace, name: identity.podName) else { return nil }
        let runsAs = pod.spec?.serviceAccountName.flatMap { $0.isEmpty ? nil : $0 } ?? "default"
        guard runsAs != workload.serviceAccount else { return nil }
        return "Pod \(identity.namespace)/\(identity.podName.prefix(253)) runs as service account \(runsAs), the client authenticated as \(workload.serviceAccount)"
    }

    public func resources(for proxy: ProxyDescriptor, types: Set<String>?) async -> ResourceSnapshot {
        let (index, identity) = state.withLock { ($0.index, $0.identities[proxy.cacheKey]) }
        guard let identity else { return ResourceSnapshot() }
        // The EDS clusters of each cache key's last translation, for as long as routes and clusters stay as they are.
        let endpointClusters = index.routeMemo.attachment("xds-eds-clusters") { EndpointClusters() }
        if types == [TypeURL.clusterLoadAssignment], let known = endpointClusters[proxy.cacheKey] {
            // A change to endpoints only: the assignments of the clusters the proxy has, and nothing else translated.
            guard known.common else {
                return ResourceSnapshot(lists: [TypeURL.clusterLoadAssignment: endpointList(index, identity, clusters: known.names, complete: false)])
            }
            let scope = "\(identity.kind.rawValue)|\(identity.namespace)"
            let list = index.memo.attachment("xds-packed") { PackedResources() }.value("eds|" + scope) {
                patchedEndpointList(index, identity, clusters: known.names, scope: scope) ?? endpointList(index, identity, clusters: known.names, complete: true)
            }
            return ResourceSnapshot(lists: [TypeURL.clusterLoadAssignment: list])
        }
        // Assignments are built below only if the shared list of them is not there yet.
        let resources = Translator.translate(index, proxy: identity, assignments: false)
        if identity.kind == .gateway { reportWithheldKeys(resources.findings, proxy: proxy) }
        func pack<M: Message>(_ messages: [M], name: (M) -> String) -> [XDSResource] {
            messages.compactMap { message in EncodingFailures.attempt(name(message), M.self) { try XDSResource(name: name(message), message: message) } }
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
            lists[TypeURL.listener] = identity.kind == .grpc ? shared.value("lds|grpc", build: packed) : perIndex.value("lds|" + routeScope, build: packed)
        }
        if wanted(TypeURL.routeConfiguration) {
            // Virtual hosts a change did not touch are carried to the next index with their bytes (see VirtualHostMemo).
            let encoding = index.hostMemo.attachment("xds-encoded") { RouteConfigurationEncoding() }
            lists[TypeURL.routeConfiguration] = perIndex.value("rds|" + routeScope) {
                ResourceList(resources.routes.compactMap { route in
                    EncodingFailures.attempt(route.name, Envoy_Config_Route_V3_RouteConfiguration.self) { try encoding.resource(route, scope: routeScope) }
                })
            }
        }
        if wanted(TypeURL.cluster) {
            let packed = { ResourceList(self.packedClusters.pack(resources.clusters, scope: scope, name: \.name, complete: common)) }
            lists[TypeURL.cluster] = common ? shared.value("cds|" + scope, build: packed) : packed()
        }
        if wanted(TypeURL.clusterLoadAssignment) {
            endpointClusters[proxy.cacheKey] = EndpointClusters.Known(names: resources.endpointClusters, common: common)
            let packed = { self.endpointList(index, identity, clusters: resources.endpointClusters, complete: common) }
            lists[TypeURL.clusterLoadAssignment] = common ? shared.value("eds|" + scope, build: packed) : packed()
        }
        if wanted(TypeURL.secret) { lists[TypeURL.secret] = ResourceList(pack(resources.secrets, name: \.name)) }
        return ResourceSnapshot(lists: lists)
    }

    /// Logs, once per gateway cache key and finding, each server left out because the proxy may not
    /// have its private key: a mesh change (a Pod relabelled) can do that after the proxy connected.
    private func reportWithheldKeys(_ findings: [String], proxy: ProxyDescriptor) {
        let refusals = Set(findings.filter { $0.contains(SecretAuthorizationFinding.marker) })
        let new = state.withLock { state -> Set<String> in
            let known = state.reportedRefusals[proxy.cacheKey] ?? []
            state.reportedRefusals[proxy.cacheKey] = refusals
            return refusals.subtracting(known)
        }
        for refusal in new.sorted() {
            Self.withheldKeys.increment()
            Self.logger.warning("server left out for a gateway", metadata: ["scope": "\(proxy.cacheKey.prefix(200))", "finding": "\(refusal.prefix(400))"])
        }
    }

    private static let logger = Logger(label: "coxswain.xds.secrets")
    /// The xDS server's counter of proxies refused private keys: this adds servers left out later.
    private static let withheldKeys = Counter(label: "coxswain_xds_secrets_withheld_total")

    /// The serialized assignments of `clusters` for the proxy; `complete` when they are all its kind
    /// and namespace has.
    private func endpointList(_ index: MeshIndex, _ identity: ProxyIdentity, clusters: [String], complete: Bool) -> ResourceList {
        ResourceList(packedEndpoints.pack(Translator.endpoints(index, proxy: identity, clusters: clusters),
                                          scope: "\(identity.kind.rawValue)|\(identity.namespace)", name: \.clusterName, complete: complete))
    }

    /// After an endpoint change, the previous index's list of the kind and namespace with the
    /// assignments of the clusters whose service ports changed built again; nil if there is none.
    private func patchedEndpointList(_ index: MeshIndex, _ identity: ProxyIdentity, clusters: [String], scope: String) -> ResourceList? {
        guard let changes = index.endpointChanges,
              let previous = index.memo.attachment("xds-eds-base", make: { PackedResources() }).existing("eds|" + scope) else { return nil }
        let byPort = index.routeMemo.attachment("xds-eds-by-port") { BuiltOnce<ClustersByServicePort>() }
        let affected = byPort.value(scope) { ClustersByServicePort(clusters) }.affected(by: changes)
        let assignments = Translator.endpoints(index, proxy: identity, clusters: affected)
        return previous.replacing(packedEndpoints.pack(assignments, scope: scope, name: \.clusterName, complete: false))
    }
}

/// Values by key, each built the first time it is asked for, for as long as the memo they hang
/// off is valid. Two callers asking at once may both build; they build the same thing.
final class BuiltOnce<Value: Sendable>: Sendable {
    private let values = Mutex<[String: Value]>([:])

    func value(_ key: String, build: () -> Value) -> Value {
        if let known = existing(key) { return known }
        let built = build()
        values.withLock { $0[key] = built }
        return built
    }

    /// The value under `key` if one was built.
    func existing(_ key: String) -> Value? {
        values.withLock { $0[key] }
    }

    /// The values built so far whose keys pass `isIncluded`.
    func filtered(_ isIncluded: (String) -> Bool) -> BuiltOnce<Value> {
        let kept = BuiltOnce()
        let values = values.withLock { $0 }.filter { isIncluded($0.key) }
        kept.values.withLock { $0 = values }
        return kept
    }
}

/// Whole serialized lists of a type by key.
typealias PackedResources = BuiltOnce<ResourceList>

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
            guard let resource = EncodingFailures.attempt(key, M.self, { try XDSResource(name: key, message: message) }) else { return nil }
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

/// A resource that cannot be serialized is left out of what the proxy is sent (Envoy could not
/// read it either), but never silently: it is logged with its type and name and counted in
/// `coxswain_xds_encoding_failures_total{type}`.
enum EncodingFailures {
    private static let logger = Logger(label: "coxswain.xds")

    static func attempt<M: Message>(_ name: String, _ type: M.Type, _ encode: () throws -> XDSResource) -> XDSResource? {
        do {
            return try encode()
        } catch {
            logger.error("resource left out: it cannot be encoded", metadata: [
                "type": "\(M.protoMessageName)", "name": "\(name.prefix(200))", "error": "\(error)",
            ])
            Counter(label: "coxswain_xds_encoding_failures_total", dimensions: [("type", M.protoMessageName)]).increment()
            return nil
        }
    }
}
