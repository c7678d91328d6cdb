import EnvoyAPI
import Foundation
import GRPCCore
import Logging
import Synchronization

/// One proxy's incremental (delta) ADS stream: per type, the names it subscribed to and
/// the version of every resource it holds, so a change sends only what differs and
/// names what was removed.
struct DeltaSession {
    struct TypeState {
        var wildcard = false
        var subscription = Subscription.none
        /// What the proxy holds.
        var held = HeldResources.versions([:])
        var pendingNonce: String?
        var pendingGeneration: UInt64?
        var pendingVersion: String?
        /// The version of all the type's resources `held` was last brought in line with, while the
        /// subscription stays as it was: a push that finds it unchanged has nothing to compare.
        var syncedFrom: String?
    }

    let cache: SnapshotCache
    let registry: ProxyRegistry
    let generator: any ResourceGenerator
    let logger: Logger
    private var peer: StreamPeer
    var proxy: ProxyDescriptor? { peer.proxy }
    private var streamID: Int? { peer.streamID }
    private var types: [String: TypeState] = [:]
    private var nonce: UInt64 = 0
    /// Clusters the push under way sent a new version of: Envoy warms an updated cluster again
    /// and waits for its endpoints, so the push sends them even when they did not change.
    private var updatedClusters: Set<String> = []

    init(cache: SnapshotCache, registry: ProxyRegistry, generator: any ResourceGenerator, logger: Logger, peer: StreamPeer) {
        self.peer = peer
        self.cache = cache
        self.registry = registry
        self.generator = generator
        self.logger = logger
    }

    mutating func handle(_ request: Envoy_Service_Discovery_V3_DeltaDiscoveryRequest, writer: RPCWriter<EncodedDeltaDiscoveryResponse>) async throws {
        defer { updatedClusters = [] }
        try await identify(request.hasNode ? request.node : nil)
        let typeURL = request.typeURL
        guard XDSResourceType(typeURL: typeURL) != nil else { return }
        let isFirst = types[typeURL] == nil
        var state = types[typeURL] ?? TypeState()
        if !request.responseNonce.isEmpty, request.responseNonce == state.pendingNonce {
            if request.hasErrorDetail {
                let nack = ProxyRegistry.Nack(
                    version: state.pendingVersion ?? "", nonce: request.responseNonce, message: request.errorDetail.message,
                    code: request.errorDetail.code, at: Date())
                await registry.nacked(streamID!, typeURL: typeURL, nack: nack)
                XDSMetrics.recordNack(typeURL: typeURL)
                logger.warning("proxy rejected config", metadata: ["proxy": "\(proxy?.id ?? "")", "error": "\(request.errorDetail.message)"])
            } else {
                await registry.acked(streamID!, typeURL: typeURL, version: state.pendingVersion ?? "", generation: state.pendingGeneration)
                if let generation = state.pendingGeneration { await XDSMetrics.recordConvergence(of: generation, cache: cache) }
            }
            state.pendingNonce = nil
        }
        if isFirst {
            // A first request with no names is a wildcard subscription, for listeners and clusters only.
            state.wildcard = request.resourceNamesSubscribe.isEmpty && (typeURL == TypeURL.listener || typeURL == TypeURL.cluster)
            state.held = .versions(request.initialResourceVersions)
        }
        var subscribed = state.subscription.names
        for name in request.resourceNamesSubscribe {
            if name == "*" { state.wildcard = true } else { subscribed.insert(name) }
        }
        var unsubscribed: [String] = []
        if !request.resourceNamesUnsubscribe.isEmpty {
            var held = state.held.versions
            for name in request.resourceNamesUnsubscribe {
                if name == "*" { state.wildcard = false } else { subscribed.remove(name) }
                if held.removeValue(forKey: name) != nil { unsubscribed.append(name) }
            }
            state.held = .versions(held)
        }
        // A sidecar's EDS subscription names thousands of clusters, the same for every proxy of a workload.
        if subscribed != state.subscription.names { state.subscription = Subscription.shared(subscribed) }
        let changedSubscription = isFirst || !request.resourceNamesSubscribe.isEmpty || !request.resourceNamesUnsubscribe.isEmpty
        if changedSubscription { state.syncedFrom = nil }
        types[typeURL] = state
        if !unsubscribed.isEmpty { await registry.removed(streamID!, typeURL: typeURL, names: unsubscribed) }
        if changedSubscription, let proxy {
            let (snapshot, generation) = await cache.snapshot(for: proxy)
            if try await !send(typeURL, snapshot: snapshot, generation: generation, writer: writer, always: isFirst) {
                await registry.unchanged(streamID!, typeURLs: [typeURL], generation: generation)
            }
        }
    }

    mutating func push(writer: RPCWriter<EncodedDeltaDiscoveryResponse>) async throws {
        guard let proxy else { return }
        let (snapshot, generation) = await cache.snapshot(for: proxy)
        var unchanged: [String] = []
        defer { updatedClusters = [] }
        for typeURL in XDSPushOrder.typeURLs where types[typeURL] != nil {
            if try await !send(typeURL, snapshot: snapshot, generation: generation, writer: writer, always: false) { unchanged.append(typeURL) }
        }
        if !unchanged.isEmpty { await registry.unchanged(streamID!, typeURLs: unchanged, generation: generation) }
    }

    mutating func close() async {
        await peer.close(registry)
    }

    private mutating func identify(_ node: Envoy_Config_Core_V3_Node?) async throws {
        try await peer.identify(node, generator: generator, registry: registry, stream: "delta", logger: logger)
    }

    /// Sends the resources whose versions differ from what the proxy holds, and names
    /// the held ones that no longer exist; says whether it sent.
    private mutating func send(
        _ typeURL: String, snapshot: ResourceSnapshot, generation: UInt64,
        writer: RPCWriter<EncodedDeltaDiscoveryResponse>, always: Bool
    ) async throws -> Bool {
        guard var state = types[typeURL] else { return false }
        let started = ContinuousClock.now
        let refresh = typeURL == TypeURL.clusterLoadAssignment ? updatedClusters : []
        let source = snapshot.version(of: typeURL)
        if !always, refresh.isEmpty, let source, source == state.syncedFrom {
            // Same resources, same subscription: nothing differs from what the proxy holds.
            if state.pendingNonce != nil {
                state.pendingGeneration = generation
                types[typeURL] = state
            }
            return false
        }
        state.syncedFrom = source
        let selection = snapshot.selection(typeURL, subscription: state.wildcard ? nil : state.subscription)
        let (wanted, version, whole) = (selection.resources, selection.version, selection.whole)
        var (changed, removed) = state.held.differences(to: wanted, whole: whole)
        if typeURL == TypeURL.cluster { updatedClusters = Set(changed.lazy.map(\.name)) }
        if !refresh.isEmpty { changed = ListChanges.adding(refresh, to: changed, from: wanted) }
        guard always || !changed.isEmpty || !removed.isEmpty else {
            // Nothing new: a response still awaiting its ACK carries this generation's content too.
            if state.pendingNonce != nil { state.pendingGeneration = generation }
            types[typeURL] = state
            return false
        }
        nonce += 1
        let response = EncodedDeltaDiscoveryResponse(
            systemVersionInfo: String(generation), typeURL: typeURL, nonce: String(nonce), resources: changed, removedResources: removed)
        try await writer.write(response)
        state.held = state.held.updated(whole: whole, changed: changed, removed: removed)
        state.pendingNonce = response.nonce
        state.pendingGeneration = generation
        state.pendingVersion = version
        types[typeURL] = state
        if let whole {
            await registry.sent(streamID!, typeURL: typeURL, version: version, nonce: response.nonce, generation: generation, resources: whole.sorted)
        } else {
            await registry.sent(streamID!, typeURL: typeURL, version: version, nonce: response.nonce, generation: generation, resources: changed, replacing: false)
            if !removed.isEmpty { await registry.removed(streamID!, typeURL: typeURL, names: removed) }
        }
        XDSMetrics.recordPush(typeURL: typeURL, bytes: changed.reduce(0) { $0 + $1.value.count }, since: started)
        return true
    }
}

/// What a delta proxy holds of one type. Usually exactly a list of the snapshot (a sidecar
/// subscribes to all its clusters' endpoints), kept as that shared list rather than as a
/// per-stream copy of thousands of names and versions.
enum HeldResources {
    case list(ResourceList)
    case versions([String: String])

    /// Name → version, written out.
    var versions: [String: String] {
        switch self {
        case .list(let list): list.byName.mapValues(\.version)
        case .versions(let versions): versions
        }
    }

    func version(of name: String) -> String? {
        switch self {
        case .list(let list): list.byName[name]?.version
        case .versions(let versions): versions[name]
        }
    }

    /// What to send to bring the proxy to `wanted` (`whole` when that is a list entire): the
    /// resources it lacks or holds at another version, and the names it holds but should not.
    func differences(to wanted: [XDSResource], whole: ResourceList?) -> (changed: [XDSResource], removed: [String]) {
        if case .list(let held) = self, let whole {
            if held.version == whole.version { return ([], []) }
            let changes = ListChanges.between(held, whole)
            return (changes.changed, changes.removed)
        }
        let changed = wanted.filter { version(of: $0.name) != $0.version }
        let isWanted: (String) -> Bool
        if let whole {
            isWanted = { whole.byName[$0] != nil }
        } else {
            let names = Set(wanted.map(\.name))
            isWanted = { names.contains($0) }
        }
        let removed: [String] = switch self {
        case .list(let held): held.sorted.lazy.map(\.name).filter { !isWanted($0) }
        case .versions(let versions): versions.keys.filter { !isWanted($0) }.sorted()
        }
        return (changed, removed)
    }

    /// What the proxy holds once sent `changed` and told of `removed`: the whole list when that
    /// is what it wanted.
    func updated(whole: ResourceList?, changed: [XDSResource], removed: [String]) -> HeldResources {
        if let whole { return .list(whole) }
        var versions = self.versions
        for resource in changed { versions[resource.name] = resource.version }
        for name in removed { versions[name] = nil }
        return .versions(versions)
    }
}

/// What changed from one list of a type to the next: every proxy that held the first and wants
/// the second is sent the same (delta streams, and state-of-the-world streams for the types
/// sent like delta), and proxies of a kind and namespace share lists, so it is worked out once
/// rather than per proxy (thousands of comparisons each).
enum ListChanges {
    struct Changes: Sendable {
        var changed: [XDSResource]
        var removed: [String]
        /// `changed` as a state-of-the-world response's resources field, written once.
        let encoding: ResourcesEncoding
    }

    /// Beyond this many pairs the memo starts afresh (pairs are a few per change: one per list
    /// that changed and the proxies that held its previous version).
    static let limit = 64
    private static let memo = Mutex<[String: Changes]>([:])

    /// The resources of `wanted` that are in `changed` or named in `names`, in `wanted`'s order.
    static func adding(_ names: Set<String>, to changed: [XDSResource], from wanted: [XDSResource]) -> [XDSResource] {
        let changedNames = Set(changed.lazy.map(\.name))
        return wanted.filter { changedNames.contains($0.name) || names.contains($0.name) }
    }

    static func between(_ old: ResourceList, _ new: ResourceList) -> Changes {
        let key = old.version + ">" + new.version
        if let known = memo.withLock({ $0[key] }) { return known }
        let changed = new.sorted.filter { old.byName[$0.name]?.version != $0.version }
        let removed: [String] = old.sorted.lazy.map(\.name).filter { new.byName[$0] == nil }
        let changes = Changes(changed: changed, removed: removed, encoding: ResourcesEncoding(changed))
        memo.withLock { memo in
            if memo.count >= limit { memo.removeAll() }
            memo[key] = changes
        }
        return changes
    }
}
