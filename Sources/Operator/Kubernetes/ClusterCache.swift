import KubernetesAPI
import KubernetesClient
import KubernetesRuntime
import Logging
import MeshAPI

/// One kind Coxswain watches, and how.
public struct WatchedKind: Sendable, Hashable {
    public var resource: ResourceKind
    public var mesh: MeshKind
    /// Narrows the watch on the server (Secrets: only TLS ones can be gateway credentials).
    public var fieldSelector: String?

    public init(resource: ResourceKind, mesh: MeshKind, fieldSelector: String? = nil) {
        self.resource = resource
        self.mesh = mesh
        self.fieldSelector = fieldSelector
    }

    /// The Istio kinds whose status Coxswain writes.
    public static let statusKinds: [MeshKind] = [.virtualService, .destinationRule, .gateway]

    public var hasStatus: Bool { Self.statusKinds.contains(mesh) }

    /// Everything the translation reads. The mesh kinds are watched at their storage version `v1`:
    /// objects written through `v1beta1` or `v1alpha3` are the same objects and show up there too.
    public static let all: [WatchedKind] = [
        WatchedKind(resource: .virtualService, mesh: .virtualService),
        WatchedKind(resource: .destinationRule, mesh: .destinationRule),
        WatchedKind(resource: .gateway, mesh: .gateway),
        WatchedKind(resource: .service, mesh: .service),
        WatchedKind(resource: .endpointSlice, mesh: .endpointSlice),
        WatchedKind(resource: .pod, mesh: .pod),
        WatchedKind(resource: .secret, mesh: .secret, fieldSelector: "type=kubernetes.io/tls"),
        WatchedKind(resource: .namespace, mesh: .namespace),
    ]
}

/// The operator's view of the cluster (Contour's `cache`): one informer per watched kind and
/// namespace, their stores, and one signal that something the translation reads has changed.
/// Every replica runs it; it never writes.
public final class ClusterCache: Sendable {
    public let kinds: [WatchedKind]
    /// Per kind, one informer per watched namespace (one for all when no namespace is given).
    private let informers: [MeshKind: [Informer<UnstructuredObject>]]
    private let signal: AsyncStream<MeshKind>
    private let signalContinuation: AsyncStream<MeshKind>.Continuation

    /// `namespaces` nil or empty watches every namespace. `secretNamespaces`, when not empty, are
    /// the only namespaces whose Secrets are watched (whatever `namespaces` says), so that the
    /// operator needs to read Secrets only there (a namespaced Role instead of a ClusterRole).
    public init(client: KubernetesClient, kinds: [WatchedKind] = WatchedKind.all, namespaces: [String]? = nil, secretNamespaces: [String] = [],
                backoff: Backoff = Backoff(maximum: .seconds(5)), logger: Logger = Logger(label: "coxswain.cache")) {
        self.kinds = kinds
        var informers: [MeshKind: [Informer<UnstructuredObject>]] = [:]
        for kind in kinds {
            let client = client.unstructured(kind.resource)
            let perKind = Self.watchScopes(kind, namespaces: namespaces, secretNamespaces: secretNamespaces)
            informers[kind.mesh] = perKind.map { namespace in
                Informer(client: client, namespace: namespace, fieldSelector: kind.fieldSelector, backoff: backoff, logger: logger)
            }
        }
        self.informers = informers
        (signal, signalContinuation) = AsyncStream.makeStream(of: MeshKind.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// The namespaces one kind is listed and watched in; nil stands for all (a cluster-wide watch).
    static func watchScopes(_ kind: WatchedKind, namespaces: [String]?, secretNamespaces: [String]) -> [String?] {
        guard kind.resource.namespaced else { return [nil] }
        if kind.mesh == .secret, !secretNamespaces.isEmpty { return secretNamespaces.map { $0 } }
        guard let namespaces, !namespaces.isEmpty else { return [nil] }
        return namespaces.map { $0 }
    }

    /// Runs the informers and the change signal until cancelled.
    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            for (kind, informers) in informers {
                for informer in informers {
                    group.addTask { await informer.run() }
                    group.addTask { [signalContinuation] in
                        for await event in informer.subscribe() where Self.matters(event, kind: kind) {
                            signalContinuation.yield(kind)
                        }
                    }
                }
            }
        }
    }

    /// Fires (coalesced: a slow reader sees one signal for many changes) when a watched object changed
    /// in a way the translation can see. Status-only writes to the mesh kinds do not fire it.
    public var changes: AsyncStream<MeshKind> { signal }

    /// Returns once every informer has listed once (or the task is cancelled).
    public func waitUntilSynced() async {
        for informer in informers.values.joined() { await informer.store.waitUntilSynced() }
    }

    /// Every change to objects of one kind (after an `added` for each cached one), across namespaces.
    public func events(_ kind: MeshKind) -> [AsyncStream<InformerEvent<UnstructuredObject>>] {
        (informers[kind] ?? []).map { $0.subscribe() }
    }

    /// The informers of one kind (one per watched namespace), for controllers that share them.
    public func informers(_ kind: MeshKind) -> [Informer<UnstructuredObject>] {
        informers[kind] ?? []
    }

    public var hasSynced: Bool { informers.values.joined().allSatisfy { $0.store.hasSynced } }

    /// Every cached object of one kind.
    public func objects(_ kind: MeshKind) -> [UnstructuredObject] {
        (informers[kind] ?? []).flatMap { $0.store.all }
    }

    public func object(_ kind: MeshKind, _ key: ObjectKey) -> UnstructuredObject? {
        for informer in informers[kind] ?? [] {
            if let object = informer.store.get(key) { return object }
        }
        return nil
    }

    public func count(_ kind: MeshKind) -> Int { (informers[kind] ?? []).reduce(0) { $0 + $1.store.count } }

    /// A change to a status kind matters only if something besides its status and bookkeeping changed.
    static func matters(_ event: InformerEvent<UnstructuredObject>, kind: MeshKind) -> Bool {
        guard case .updated(let old, let new) = event, WatchedKind.statusKinds.contains(kind) else { return true }
        return translationRelevant(old.object) != translationRelevant(new.object)
    }

    /// The object without what the server and controllers change on their own.
    static func translationRelevant(_ object: JSONValue) -> JSONValue {
        var copy = object
        copy["status"] = nil
        if var metadata = copy["metadata"]?.objectValue {
            for field in ["resourceVersion", "managedFields", "generation"] { metadata[field] = nil }
            copy["metadata"] = .object(metadata)
        }
        return copy
    }
}
