import KubernetesAPI
import KubernetesClient
import Logging
import Synchronization

/// A change the informer applied to its store.
public enum InformerEvent<Object: KubernetesObject>: Sendable {
    case added(Object)
    case updated(old: Object, new: Object)
    case deleted(Object)

    public var object: Object {
        switch self {
        case .added(let object), .deleted(let object): object
        case .updated(_, let new): new
        }
    }
}

/// Counters of what the informer went through (for tests and the debug endpoint).
public struct InformerStatistics: Sendable, Equatable {
    public var lists = 0
    public var watches = 0
    public var events = 0
    public var bookmarks = 0
    public var expired = 0
    public var errors = 0
}

/// Watcher + reflector: lists, then watches from the list's resourceVersion; on a dropped stream resumes
/// from the last version seen (bookmarks keep it fresh); on 410 Gone relists and delivers the difference;
/// backs off exponentially with jitter on errors. Keeps `store` equal to the server and tells subscribers
/// every change exactly once, in order.
public final class Informer<Object: KubernetesObject>: Sendable {
    public let store: Store<Object>
    public let client: ResourceClient<Object>
    public let namespace: String?
    public let labelSelector: String?
    public let fieldSelector: String?
    /// How long the server keeps one watch open before the informer reconnects.
    public let watchTimeoutSeconds: Int
    public let pageSize: Int
    private let backoffTemplate: Backoff
    private let logger: Logger

    private struct Shared {
        var subscribers: [Int: AsyncStream<InformerEvent<Object>>.Continuation] = [:]
        var nextID = 0
        var statistics = InformerStatistics()
    }
    private let shared = Mutex(Shared())

    public init(client: ResourceClient<Object>, namespace: String? = nil, labelSelector: String? = nil, fieldSelector: String? = nil,
                store: Store<Object> = Store(), watchTimeoutSeconds: Int = 290, pageSize: Int = 500,
                backoff: Backoff = Backoff(), logger: Logger = Logger(label: "coxswain.informer")) {
        self.client = client
        self.namespace = namespace
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.store = store
        self.watchTimeoutSeconds = watchTimeoutSeconds
        self.pageSize = pageSize
        self.backoffTemplate = backoff
        var logger = logger
        logger[metadataKey: "kind"] = "\(client.kind.kind)"
        self.logger = logger
    }

    public var statistics: InformerStatistics { shared.withLock { $0.statistics } }

    /// A stream of every change from now on, preceded by an `added` for each object already cached
    /// (so a late subscriber sees the whole state once). Ends when the stream is dropped.
    public func subscribe(bufferingPolicy: AsyncStream<InformerEvent<Object>>.Continuation.BufferingPolicy = .unbounded) -> AsyncStream<InformerEvent<Object>> {
        let (stream, continuation) = AsyncStream<InformerEvent<Object>>.makeStream(bufferingPolicy: bufferingPolicy)
        let id = shared.withLock { shared in
            for object in store.all { continuation.yield(.added(object)) }
            let id = shared.nextID
            shared.nextID += 1
            shared.subscribers[id] = continuation
            return id
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.shared.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    /// Applies a change to the store and tells subscribers, atomically with respect to `subscribe`.
    private func apply(_ change: (Store<Object>) -> [InformerEvent<Object>]) {
        shared.withLock { shared in
            let events = change(store)
            shared.statistics.events += events.count
            for event in events {
                for continuation in shared.subscribers.values { continuation.yield(event) }
            }
        }
    }

    private func count(_ update: (inout InformerStatistics) -> Void) { shared.withLock { update(&$0.statistics) } }

    /// Runs until the task is cancelled.
    public func run() async {
        var resourceVersion: String?
        var backoff = backoffTemplate
        while !Task.isCancelled {
            do {
                if resourceVersion == nil {
                    resourceVersion = try await relist()
                }
                count { $0.watches += 1 }
                let options = WatchOptions(resourceVersion: resourceVersion, allowWatchBookmarks: true, timeoutSeconds: watchTimeoutSeconds,
                                           labelSelector: labelSelector, fieldSelector: fieldSelector)
                let stream = try await client.watch(namespace: namespace, options: options)
                for try await event in stream {
                    backoff.reset()
                    switch event {
                    case .added(let object), .modified(let object):
                        resourceVersion = object.metadata.resourceVersion ?? resourceVersion
                        apply { store in
                            let key = ObjectKey(object)
                            let old = store.get(key)
                            if let old, old.metadata.resourceVersion == object.metadata.resourceVersion { return [] }
                            store.upsert(object)
                            return [old.map { .updated(old: $0, new: object) } ?? .added(object)]
                        }
                    case .deleted(let object):
                        resourceVersion = object.metadata.resourceVersion ?? resourceVersion
                        apply { store in
                            guard let old = store.remove(ObjectKey(object)) else { return [] }
                            _ = old
                            return [.deleted(object)]
                        }
                    case .bookmark(let version):
                        count { $0.bookmarks += 1 }
                        if !version.isEmpty { resourceVersion = version }
                    case .error(let status):
                        throw KubernetesError.from(code: status.code ?? 500, status: status)
                    }
                }
                // The server closed the stream (timeout or drop): resume from the last version seen.
            } catch is CancellationError {
                return
            } catch let error as KubernetesError where error.isGone {
                count { $0.expired += 1 }
                logger.info("watch expired; relisting", metadata: ["resourceVersion": "\(resourceVersion ?? "")"])
                resourceVersion = nil
            } catch {
                if Task.isCancelled { return }
                count { $0.errors += 1 }
                let delay = backoff.next()
                logger.warning("list/watch failed; retrying", metadata: ["error": "\(error)", "delay": "\(delay)"])
                do { try await Task.sleep(for: delay) } catch { return }
            }
        }
    }

    /// Lists all pages, replaces the store, delivers the difference; returns the list's resourceVersion.
    private func relist() async throws -> String? {
        let list = try await client.listAll(namespace: namespace, options: ListOptions(labelSelector: labelSelector, fieldSelector: fieldSelector),
                                            pageSize: pageSize)
        count { $0.lists += 1 }
        apply { store in
            let diff = store.replace(with: list.items)
            return diff.deleted.map { .deleted($0) } + diff.updated.map { .updated(old: $0.old, new: $0.new) } + diff.added.map { .added($0) }
        }
        store.markSynced()
        return list.metadata.resourceVersion
    }
}
