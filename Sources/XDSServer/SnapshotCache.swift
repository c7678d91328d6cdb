import EnvoyAPI

/// Generated resources per proxy cache key, invalidated by mesh changes, with a
/// broadcast that wakes every stream when a change lands.
///
/// Proxies with the same cache key share one snapshot: a thousand sidecars of one
/// workload cost one translation. Snapshots are built lazily, by the first stream
/// that needs them after a change.
public actor SnapshotCache {
    private struct Entry {
        var generation: UInt64
        var snapshot: ResourceSnapshot
    }

    private let generator: any ResourceGenerator
    /// Bumped by every change; a snapshot older than this is stale.
    public private(set) var generation: UInt64 = 1
    /// The scope of changes since each generation, so a stale entry can be refreshed partially.
    private var changeLog: [(generation: UInt64, scope: ChangeScope)] = []
    private var entries: [String: Entry] = [:]
    /// Snapshots being built, per cache key, with the generation they are built for.
    private var building: [String: (generation: UInt64, task: Task<ResourceSnapshot, Never>)] = [:]
    private var subscribers: [Int: (notify: @Sendable (UInt64) -> Void, end: @Sendable () -> Void)] = [:]
    private var nextSubscriber = 0
    /// When each recent generation was published, for convergence metrics.
    private var publishedAt: [UInt64: ContinuousClock.Instant] = [:]

    public init(generator: any ResourceGenerator) {
        self.generator = generator
    }

    /// The current snapshot for a proxy and the generation it reflects. When a change wakes
    /// every stream at once, the first of a cache key starts building its snapshot and the
    /// others wait for that one build: one translation per cache key, not per proxy.
    public func snapshot(for proxy: ProxyDescriptor) async -> (snapshot: ResourceSnapshot, generation: UInt64) {
        let target = generation
        let key = proxy.cacheKey
        if let entry = entries[key], entry.generation == target {
            return (entry.snapshot, target)
        }
        let build: Task<ResourceSnapshot, Never>
        if let pending = building[key], pending.generation == target {
            build = pending.task
        } else {
            let base = entries[key]
            let types = base.flatMap { scopeSince($0.generation)?.types }
            build = Task.detached { [generator] in
                guard var snapshot = base?.snapshot, let types else { return await generator.resources(for: proxy, types: nil) }
                let fresh = await generator.resources(for: proxy, types: types)
                for type in types { snapshot.replace(type, from: fresh) }
                return snapshot
            }
            building[key] = (target, build)
        }
        let snapshot = await build.value
        if building[key]?.generation == target { building[key] = nil }
        // Another change may have landed while generating; the entry still records what it reflects.
        if (entries[key]?.generation ?? 0) < target { entries[key] = Entry(generation: target, snapshot: snapshot) }
        return (snapshot, target)
    }

    /// Records a change and wakes every stream.
    public func publish(_ scope: ChangeScope) {
        generation += 1
        changeLog.append((generation, scope))
        if changeLog.count > 64 { changeLog.removeFirst(changeLog.count - 64) }
        publishedAt[generation] = .now
        publishedAt = publishedAt.filter { $0.key + 64 > generation }
        for subscriber in subscribers.values { subscriber.notify(generation) }
    }

    /// When a generation was published; nil once it is too old to matter.
    public func publicationTime(of generation: UInt64) -> ContinuousClock.Instant? {
        publishedAt[generation]
    }

    /// Calls `onChange` with the new generation after every change, until ``unsubscribe(_:)``.
    /// It runs on the cache's executor, so it must only hand the news on (to a stream's events).
    public func subscribe(_ onChange: @escaping @Sendable (UInt64) -> Void) -> Int {
        subscribe(onChange, end: {})
    }

    /// A stream of generations, newest only: a slow reader skips straight to the latest.
    public func subscribe() -> (id: Int, changes: AsyncStream<UInt64>) {
        let (stream, continuation) = AsyncStream.makeStream(of: UInt64.self, bufferingPolicy: .bufferingNewest(1))
        let id = subscribe({ continuation.yield($0) }, end: { continuation.finish() })
        return (id, stream)
    }

    private func subscribe(_ onChange: @escaping @Sendable (UInt64) -> Void, end: @escaping @Sendable () -> Void) -> Int {
        let id = nextSubscriber
        nextSubscriber += 1
        subscribers[id] = (onChange, end)
        return id
    }

    public func unsubscribe(_ id: Int) {
        subscribers.removeValue(forKey: id)?.end()
    }

    /// Drops cached snapshots no connected proxy uses.
    public func retain(cacheKeys: Set<String>) {
        entries = entries.filter { cacheKeys.contains($0.key) }
    }

    /// The merged scope of every change after `generation`, or nil when the log no longer reaches back.
    func scopeSince(_ generation: UInt64) -> ChangeScope? {
        guard let first = changeLog.first, first.generation <= generation + 1 else { return nil }
        return changeLog.filter { $0.generation > generation }.map(\.scope).reduce(ChangeScope.endpoints) { $0.merged(with: $1) }
    }
}
