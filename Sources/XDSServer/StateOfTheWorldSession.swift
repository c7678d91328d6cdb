import EnvoyAPI
import Foundation
import GRPCCore
import Logging

/// One proxy's state-of-the-world ADS stream: per type, what it subscribed to, what it
/// was sent and what it accepted. Owned by a single loop (see ``withStreamEvents``).
struct StateOfTheWorldSession {
    struct TypeState {
        var wildcard = false
        var subscription = Subscription.none
        var sentVersion: String?
        var sentNonce: String?
        var sentGeneration: UInt64?
        /// The version of all the type's resources the last response was selected from, while the
        /// subscription stays as it was: a push that finds it unchanged skips selecting again.
        var selectedFrom: String?
        /// What the last response was selected from, and once the proxy accepted it, what it is
        /// known to hold: the base a type sent like delta is sent changes against. Nil while a
        /// response awaits its ACK or after a NACK, when only a full response is sure to be right.
        var sentSelection: Subscription.Selection?
        var held: Subscription.Selection?
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

    /// Handles one request: identifies the proxy, records an ACK or NACK, updates the
    /// subscription and answers when the proxy needs something new.
    mutating func handle(_ incoming: IncomingDiscoveryRequest, writer: RPCWriter<EncodedDiscoveryResponse>) async throws {
        let request = incoming.message
        defer { updatedClusters = [] }
        try await identify(request.hasNode ? request.node : nil)
        let typeURL = request.typeURL
        guard XDSResourceType(typeURL: typeURL) != nil else {
            logger.debug("ignoring request for a type Coxswain does not serve", metadata: ["type": "\(typeURL)"])
            return
        }
        let isFirst = types[typeURL] == nil
        var state = types[typeURL] ?? TypeState()
        if !request.responseNonce.isEmpty {
            // A response to anything but our latest nonce is stale: the proxy will answer that one too.
            guard request.responseNonce == state.sentNonce else { return }
            if request.hasErrorDetail {
                let nack = ProxyRegistry.Nack(
                    version: state.sentVersion ?? "", nonce: request.responseNonce, message: request.errorDetail.message,
                    code: request.errorDetail.code, at: Date())
                await registry.nacked(streamID!, typeURL: typeURL, nack: nack)
                XDSMetrics.recordNack(typeURL: typeURL)
                logger.warning("proxy rejected config", metadata: [
                    "proxy": "\(proxy?.id ?? "")", "type": "\(XDSMetrics.shortName(typeURL))", "error": "\(request.errorDetail.message)",
                ])
            } else {
                state.held = state.sentSelection
                await registry.acked(streamID!, typeURL: typeURL, version: request.versionInfo, generation: state.sentGeneration)
                if let generation = state.sentGeneration { await XDSMetrics.recordConvergence(of: generation, cache: cache) }
            }
        }
        // Every ACK repeats the subscription, most often the very list it was taken from.
        let repeated = !isFirst && !state.wildcard && !incoming.names.isEmpty && incoming.names == state.subscription.source
        var subscriptionChanged = false
        if !repeated {
            var names = Set(incoming.names.decoded())
            // An empty list is a wildcard subscription only for listeners and clusters; RDS and EDS are always named.
            let wildcardable = typeURL == TypeURL.listener || typeURL == TypeURL.cluster
            let wildcard = names.remove("*") != nil || (wildcardable && names.isEmpty && (isFirst || state.wildcard))
            let namesChanged = names != state.subscription.names
            subscriptionChanged = isFirst || wildcard != state.wildcard || namesChanged
            state.wildcard = wildcard
            // Keep the shared copy unless it changed.
            if namesChanged { state.subscription = Subscription.shared(names, source: incoming.names) }
        }
        if subscriptionChanged { state.selectedFrom = nil }
        types[typeURL] = state
        if subscriptionChanged, let proxy {
            let (snapshot, generation) = await cache.snapshot(for: proxy)
            if try await !send(typeURL, snapshot: snapshot, generation: generation, writer: writer, force: isFirst) {
                await registry.unchanged(streamID!, typeURLs: [typeURL], generation: generation)
            }
        }
    }

    /// Pushes every subscribed type whose resources changed, in make-before-break order.
    mutating func push(writer: RPCWriter<EncodedDiscoveryResponse>) async throws {
        guard let proxy else { return }
        let (snapshot, generation) = await cache.snapshot(for: proxy)
        var unchanged: [String] = []
        defer { updatedClusters = [] }
        for typeURL in XDSPushOrder.typeURLs where types[typeURL] != nil {
            if try await !send(typeURL, snapshot: snapshot, generation: generation, writer: writer, force: false) { unchanged.append(typeURL) }
        }
        if !unchanged.isEmpty { await registry.unchanged(streamID!, typeURLs: unchanged, generation: generation) }
    }

    mutating func close() async {
        await peer.close(registry)
    }

    private mutating func identify(_ node: Envoy_Config_Core_V3_Node?) async throws {
        try await peer.identify(node, generator: generator, registry: registry, stream: "sotw", logger: logger)
    }

    /// Sends a type's resources unless the proxy already has exactly these (or `force`);
    /// says whether it sent. Listeners and clusters are sent whole: a state-of-the-world proxy
    /// drops those a response leaves out. Route configurations, endpoints and secrets are not
    /// dropped when left out (the xDS protocol groups them into responses as incremental xDS
    /// does, and Envoy and gRPC update only those a response carries), so a proxy known to hold
    /// the previous ones is sent only those that changed or that it newly subscribed to, as
    /// istiod sends endpoints: a moved endpoint re-sends one cluster's, not a sidecar's thousands.
    private mutating func send(
        _ typeURL: String, snapshot: ResourceSnapshot, generation: UInt64,
        writer: RPCWriter<EncodedDiscoveryResponse>, force: Bool
    ) async throws -> Bool {
        guard var state = types[typeURL] else { return false }
        let started = ContinuousClock.now
        let refresh = typeURL == TypeURL.clusterLoadAssignment ? updatedClusters : []
        let source = snapshot.version(of: typeURL)
        if !force, refresh.isEmpty, let source, source == state.selectedFrom {
            state.sentGeneration = generation
            types[typeURL] = state
            return false
        }
        let selection = snapshot.selection(typeURL, subscription: state.wildcard ? nil : state.subscription)
        let version = selection.version
        state.selectedFrom = source
        if !force && refresh.isEmpty && version == state.sentVersion {
            state.sentGeneration = generation
            types[typeURL] = state
            return false
        }
        if typeURL == TypeURL.cluster, let previous = state.sentSelection {
            updatedClusters = Set(Self.changes(from: previous, to: selection).resources.lazy.map(\.name))
        }
        var (resources, encoding) = (selection.resources, selection.encoding)
        if let held = state.held, !force, !Self.sentWhole(typeURL) {
            (resources, encoding) = Self.changes(from: held, to: selection, including: refresh)
            if resources.isEmpty {
                // Names unsubscribed, or subscribed to that do not exist: the proxy holds all it
                // needs. What it unsubscribed from it drops, and is sent again if it subscribes again.
                state.sentVersion = version
                state.sentGeneration = generation
                state.sentSelection = selection
                state.held = selection
                types[typeURL] = state
                return false
            }
        }
        nonce += 1
        let response = EncodedDiscoveryResponse(versionInfo: version, typeURL: typeURL, nonce: String(nonce), resources: resources, encoding: encoding)
        try await writer.write(response)
        state.sentVersion = version
        state.sentNonce = response.nonce
        state.sentGeneration = generation
        state.sentSelection = selection
        state.held = nil
        types[typeURL] = state
        await registry.sent(streamID!, typeURL: typeURL, version: version, nonce: response.nonce, generation: generation, resources: selection.resources)
        XDSMetrics.recordPush(typeURL: typeURL, bytes: resources.reduce(0) { $0 + $1.value.count }, since: started)
        return true
    }

    /// Whether a state-of-the-world response of this type must hold every resource the proxy wants.
    static func sentWhole(_ typeURL: String) -> Bool {
        typeURL == TypeURL.listener || typeURL == TypeURL.cluster
    }

    /// The resources of `selection` that `held` lacks or has at another version, or that are
    /// named in `including`, and how they are written.
    static func changes(from held: Subscription.Selection, to selection: Subscription.Selection,
                        including: Set<String> = []) -> (resources: [XDSResource], encoding: ResourcesEncoding) {
        if let old = held.whole, let new = selection.whole {
            let changes = ListChanges.between(old, new)
            if including.isEmpty { return (changes.changed, changes.encoding) }
            let chosen = ListChanges.adding(including, to: changes.changed, from: selection.resources)
            return (chosen, ResourcesEncoding(chosen))
        }
        let versions = Dictionary(held.resources.map { ($0.name, $0.version) }, uniquingKeysWith: { _, last in last })
        let changed = selection.resources.filter { versions[$0.name] != $0.version || including.contains($0.name) }
        return (changed, ResourcesEncoding(changed))
    }
}

/// Make-before-break: secrets and clusters before the listeners and routes that use them.
enum XDSPushOrder {
    static let typeURLs = [TypeURL.secret, TypeURL.cluster, TypeURL.clusterLoadAssignment, TypeURL.listener, TypeURL.routeConfiguration]
}
