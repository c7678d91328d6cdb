import KubernetesClient
import Synchronization

/// A thread-safe cache of objects of one kind with indexes, fed by an `Informer` and read by controllers.
/// Readers take a short lock and get values (copy-on-write), so they never see a half-applied change.
public final class Store<Object: KubernetesObject>: Sendable {
    /// Maps an object to the index values it is filed under.
    public typealias IndexFunction = @Sendable (Object) -> [String]

    public static var namespaceIndex: String { "namespace" }
    public static var labelIndex: String { "label" }

    private struct State {
        var objects: [ObjectKey: Object] = [:]
        var indexers: [String: IndexFunction] = [:]
        /// index name → value → keys.
        var indexes: [String: [String: Set<ObjectKey>]] = [:]
        var synced = false
        var syncWaiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextWaiterID = 0
    }
    private let state: Mutex<State>

    /// With the built-in namespace and label (`key=value`) indexes plus `indexers`.
    public init(indexers: [String: IndexFunction] = [:]) {
        var all = indexers
        all[Self.namespaceIndex] = { [$0.metadata.namespace ?? ""] }
        all[Self.labelIndex] = { object in (object.metadata.labels ?? [:]).map { "\($0.key)=\($0.value)" } }
        state = Mutex(State(indexers: all))
    }

    public func get(_ key: ObjectKey) -> Object? { state.withLock { $0.objects[key] } }
    public func get(namespace: String?, name: String) -> Object? { get(ObjectKey(namespace: namespace, name: name)) }
    public var count: Int { state.withLock { $0.objects.count } }
    public var keys: [ObjectKey] { state.withLock { Array($0.objects.keys) } }
    public var all: [Object] { state.withLock { Array($0.objects.values) } }

    /// Objects filed under `value` in `index`.
    public func byIndex(_ index: String, _ value: String) -> [Object] {
        state.withLock { state in
            (state.indexes[index]?[value] ?? []).compactMap { state.objects[$0] }
        }
    }

    public func inNamespace(_ namespace: String) -> [Object] { byIndex(Self.namespaceIndex, namespace) }
    public func withLabel(_ key: String, _ value: String) -> [Object] { byIndex(Self.labelIndex, "\(key)=\(value)") }

    /// Inserts or replaces; returns the previous object.
    @discardableResult
    public func upsert(_ object: Object) -> Object? {
        let key = ObjectKey(object)
        return state.withLock { state in
            let old = state.objects.updateValue(object, forKey: key)
            if let old { Self.unindex(old, key, &state) }
            Self.index(object, key, &state)
            return old
        }
    }

    @discardableResult
    public func remove(_ key: ObjectKey) -> Object? {
        state.withLock { state in
            guard let old = state.objects.removeValue(forKey: key) else { return nil }
            Self.unindex(old, key, &state)
            return old
        }
    }

    /// Replaces the whole content (after a relist) and returns what changed, so the informer
    /// can deliver the difference as adds, updates and deletes.
    public func replace(with objects: [Object]) -> (added: [Object], updated: [(old: Object, new: Object)], deleted: [Object]) {
        state.withLock { state in
            var added: [Object] = [], updated: [(Object, Object)] = [], deleted: [Object] = []
            var fresh: [ObjectKey: Object] = [:]
            fresh.reserveCapacity(objects.count)
            for object in objects { fresh[ObjectKey(object)] = object }
            for (key, old) in state.objects where fresh[key] == nil {
                deleted.append(old)
                Self.unindex(old, key, &state)
            }
            for (key, new) in fresh {
                if let old = state.objects[key] {
                    if old.metadata.resourceVersion != new.metadata.resourceVersion || old.metadata.uid != new.metadata.uid {
                        updated.append((old, new))
                        Self.unindex(old, key, &state)
                        Self.index(new, key, &state)
                    }
                } else {
                    added.append(new)
                    Self.index(new, key, &state)
                }
            }
            state.objects = fresh
            return (added, updated, deleted)
        }
    }

    /// True once the first list has been applied.
    public var hasSynced: Bool { state.withLock { $0.synced } }

    /// Returns once the store has synced, or when the task is cancelled (check `hasSynced`).
    public func waitUntilSynced() async {
        let id = state.withLock { state in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.synced || Task.isCancelled { return true }
                    state.syncWaiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.syncWaiters.removeValue(forKey: id) }?.resume()
        }
    }

    func markSynced() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.synced = true
            defer { state.syncWaiters = [:] }
            return Array(state.syncWaiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    private static func index(_ object: Object, _ key: ObjectKey, _ state: inout State) {
        for (name, function) in state.indexers {
            for value in function(object) { state.indexes[name, default: [:]][value, default: []].insert(key) }
        }
    }

    private static func unindex(_ object: Object, _ key: ObjectKey, _ state: inout State) {
        for (name, function) in state.indexers {
            for value in function(object) {
                state.indexes[name]?[value]?.remove(key)
                if state.indexes[name]?[value]?.isEmpty == true { state.indexes[name]?[value] = nil }
            }
        }
    }
}
