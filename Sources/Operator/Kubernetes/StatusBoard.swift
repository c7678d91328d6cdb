import Synchronization
import Timekeeping

/// What the status writers read from the translation side: the latest evaluation of every
/// Istio object and, per object generation, the first xDS cache generation that carries it
/// (so "Programmed" can ask the proxies about exactly that push).
public final class StatusBoard: Sendable {
    public struct Entry: Sendable, Hashable {
        public var evaluation: ObjectEvaluation
        /// The xDS cache generation from which on proxies have this object generation's translation.
        public var cacheGeneration: UInt64
    }

    private struct State {
        var entries: [MeshObjectKey: Entry] = [:]
        var passes = 0
        var watchers: [Int: AsyncStream<Void>.Continuation] = [:]
        var nextWatcher = 0
    }
    private let state = Mutex(State())

    public init() {}

    /// Installs a pass's evaluations. `publishedGeneration` is the xDS cache's generation right
    /// after the pass's mesh was installed in the generator: every later publication includes it.
    public func record(_ evaluations: [MeshObjectKey: ObjectEvaluation], publishedGeneration: UInt64) {
        state.withLock { state in
            var entries: [MeshObjectKey: Entry] = [:]
            entries.reserveCapacity(evaluations.count)
            for (key, evaluation) in evaluations {
                if let old = state.entries[key], old.evaluation.generation == evaluation.generation {
                    entries[key] = Entry(evaluation: evaluation, cacheGeneration: old.cacheGeneration)
                } else {
                    entries[key] = Entry(evaluation: evaluation, cacheGeneration: publishedGeneration + 1)
                }
            }
            state.entries = entries
            state.passes += 1
            for watcher in state.watchers.values { watcher.yield() }
        }
    }

    public func entry(_ key: MeshObjectKey) -> Entry? { state.withLock { $0.entries[key] } }

    /// Every object's entry, as of the last pass.
    public var entries: [MeshObjectKey: Entry] { state.withLock { $0.entries } }

    /// How many passes have been recorded (0 until the caches synced once).
    public var passes: Int { state.withLock { $0.passes } }

    /// Fires (coalesced) after every pass.
    public func updates() -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let id = state.withLock { state in
            let id = state.nextWatcher
            state.nextWatcher += 1
            state.watchers[id] = continuation
            return id
        }
        continuation.onTermination = { [weak self] _ in _ = self?.state.withLock { $0.watchers.removeValue(forKey: id) } }
        return stream
    }
}

/// What moves an object's progress on the proxies — a compile pass, a publication, a proxy's
/// acknowledgement — plus a periodic tick, all coalesced into one trigger. The status writer
/// and the proxy reporter both wake on these.
enum ProgressSignals {
    static func feed(_ group: inout TaskGroup<Void>, into trigger: AsyncStream<Void>.Continuation, board: StatusBoard,
                     published: AsyncStream<UInt64>, proxyChanges: AsyncStream<Void>, tick period: Duration, on clock: ElapsedClock) {
        group.addTask { for await _ in board.updates() { trigger.yield() } }
        group.addTask { for await _ in published { trigger.yield() } }
        group.addTask { for await _ in proxyChanges { trigger.yield() } }
        group.addTask {
            while !Task.isCancelled {
                trigger.yield()
                try? await clock.sleep(for: period)
            }
        }
    }
}
