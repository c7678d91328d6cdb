import EnvoyAPI
import Foundation

/// What the server knows about every connected proxy: what it was sent, what it
/// accepted and what it rejected. Backs `/debug/syncz`, `/debug/config_dump`,
/// `coxswain proxy-status` and the `Programmed` condition.
public actor ProxyRegistry {
    public struct Nack: Sendable, Hashable, Codable {
        public var version: String
        public var nonce: String
        public var message: String
        public var code: Int32
        public var at: Date
    }

    public struct TypeStatus: Sendable, Hashable, Codable {
        public var sentVersion: String?
        public var sentNonce: String?
        public var sentGeneration: UInt64?
        public var ackedVersion: String?
        public var ackedGeneration: UInt64?
        public var lastNack: Nack?
        public var resourceCount = 0
    }

    public struct ProxyStatus: Sendable, Codable {
        public var id: String
        public var kind: String
        /// `sotw` or `delta`.
        public var stream: String
        public var connectedAt: Date
        public var types: [String: TypeStatus] = [:]
        /// Why the proxy is sent no private keys, when it is a gateway that would use them.
        public var secretsWithheld: String?

        /// True when every type's latest response was accepted and nothing is waiting.
        public var isSynced: Bool {
            types.values.allSatisfy { $0.sentVersion == nil || ($0.ackedVersion == $0.sentVersion && $0.lastNack?.nonce != $0.sentNonce) }
        }
    }

    private var proxies: [Int: ProxyStatus] = [:]
    private var sent: [Int: [String: [XDSResource]]] = [:]
    private var nextStream = 0
    private var watchers: [Int: AsyncStream<Void>.Continuation] = [:]
    private var nextWatcher = 0

    public init() {}

    /// Fires (coalesced) when a proxy connects, disconnects, acknowledges or rejects something:
    /// what status writers need to re-check "N/M proxies up to date".
    public func changes() -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let id = nextWatcher
        nextWatcher += 1
        watchers[id] = continuation
        continuation.onTermination = { [weak self] _ in
            Task { await self?.removeWatcher(id) }
        }
        return stream
    }

    private func removeWatcher(_ id: Int) { watchers[id] = nil }

    private func notify() {
        for watcher in watchers.values { watcher.yield() }
    }

    func connect(_ proxy: ProxyDescriptor, stream: String) -> Int {
        let id = nextStream
        nextStream += 1
        proxies[id] = ProxyStatus(id: proxy.id, kind: proxy.kind, stream: stream, connectedAt: Date(), secretsWithheld: proxy.secretsWithheld)
        XDSMetrics.connected.record(proxies.count)
        notify()
        return id
    }

    func disconnect(_ stream: Int) {
        proxies[stream] = nil
        sent[stream] = nil
        XDSMetrics.connected.record(proxies.count)
        notify()
    }

    func sent(_ stream: Int, typeURL: String, version: String, nonce: String, generation: UInt64, resources: [XDSResource], replacing: Bool = true) {
        proxies[stream]?.types[typeURL, default: TypeStatus()].sentVersion = version
        proxies[stream]?.types[typeURL]?.sentNonce = nonce
        proxies[stream]?.types[typeURL]?.sentGeneration = generation
        if replacing {
            sent[stream, default: [:]][typeURL] = resources
        } else {
            var current = Dictionary((sent[stream]?[typeURL] ?? []).map { ($0.name, $0) }, uniquingKeysWith: { _, last in last })
            for resource in resources { current[resource.name] = resource }
            sent[stream, default: [:]][typeURL] = current.values.sorted { $0.name < $1.name }
        }
        proxies[stream]?.types[typeURL]?.resourceCount = sent[stream]?[typeURL]?.count ?? 0
    }

    func removed(_ stream: Int, typeURL: String, names: [String]) {
        let gone = Set(names)
        sent[stream]?[typeURL]?.removeAll { gone.contains($0.name) }
        proxies[stream]?.types[typeURL]?.resourceCount = sent[stream]?[typeURL]?.count ?? 0
    }

    func acked(_ stream: Int, typeURL: String, version: String, generation: UInt64?) {
        proxies[stream]?.types[typeURL, default: TypeStatus()].ackedVersion = version
        if let generation { proxies[stream]?.types[typeURL]?.ackedGeneration = generation }
        notify()
    }

    /// Types a change left as they were: what the proxy holds is built from `generation` too,
    /// and if it accepted it, it has accepted that generation.
    func unchanged(_ stream: Int, typeURLs: [String], generation: UInt64) {
        for typeURL in typeURLs {
            guard let type = proxies[stream]?.types[typeURL] else { continue }
            proxies[stream]?.types[typeURL]?.sentGeneration = generation
            if type.ackedVersion == type.sentVersion && type.lastNack?.nonce != type.sentNonce {
                proxies[stream]?.types[typeURL]?.ackedGeneration = max(type.ackedGeneration ?? 0, generation)
            }
        }
        notify()
    }

    func nacked(_ stream: Int, typeURL: String, nack: Nack) {
        proxies[stream]?.types[typeURL, default: TypeStatus()].lastNack = nack
        notify()
    }

    /// How many proxies are connected.
    public var connectedCount: Int { proxies.count }

    /// Every connected proxy, ordered by id.
    public func statuses() -> [ProxyStatus] {
        proxies.values.sorted { ($0.id, $0.connectedAt) < ($1.id, $1.connectedAt) }
    }

    /// What the proxy with this node id was last sent, per type URL.
    public func configDump(proxyID: String) -> [String: [XDSResource]]? {
        guard let stream = proxies.first(where: { $0.value.id == proxyID })?.key else { return nil }
        return sent[stream] ?? [:]
    }

    /// How many connected proxies hold (have acknowledged) what was built from `generation` or later.
    /// A proxy still acknowledging a newer push, or rejecting one, keeps what it acknowledged before; the
    /// first current rejection among proxies that are behind is reported.
    public func upToDate(generation: UInt64) -> (synced: Int, total: Int, firstNack: Nack?) {
        var synced = 0
        var firstNack: Nack?
        for status in proxies.values {
            // No intermediate arrays: status writers and benchmarks ask this often, of thousands of proxies.
            var sentAny = false
            var current = true
            for type in status.types.values where type.sentVersion != nil {
                sentAny = true
                if (type.ackedGeneration ?? 0) < generation { current = false; break }
            }
            if sentAny && current {
                synced += 1
            } else if firstNack == nil, let nack = status.types.values.first(where: { $0.sentVersion != nil && $0.lastNack != nil && $0.lastNack?.nonce == $0.sentNonce })?.lastNack {
                firstNack = nack
            }
        }
        return (synced, proxies.count, firstNack)
    }
}
