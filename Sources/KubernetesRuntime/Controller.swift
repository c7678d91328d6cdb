import KubernetesClient
import Logging
import Metrics
import ServiceLifecycle

/// What a reconcile asks for next.
public enum ReconcileResult: Sendable, Equatable {
    /// Converged; forget the key's failures.
    case done
    /// Try again with the rate limiter's backoff.
    case requeue
    /// Try again after a fixed delay (e.g. a certificate's expiry).
    case requeueAfter(Duration)
}

/// A source of work: an informer whose changes map to keys of the controller's primary kind
/// (so a change to a Service can enqueue the VirtualServices that refer to it), or any other
/// producer of keys.
public struct Trigger: Sendable {
    /// The informer this trigger runs, when the controller owns it.
    let informerID: ObjectIdentifier?
    let runInformer: @Sendable () async -> Void
    let waitUntilSynced: @Sendable () async -> Void
    let hasSynced: @Sendable () async -> Bool
    let pump: @Sendable (WorkQueue<ObjectKey>) async -> Void

    /// Every change to `informer`'s objects enqueues the keys `map` returns. With `shared`, the informer
    /// is run by someone else (a cache several controllers read) and the controller only waits for it to sync.
    public static func watch<Object: KubernetesObject>(_ informer: Informer<Object>, shared: Bool = false,
                                                       map: @escaping @Sendable (InformerEvent<Object>) -> [ObjectKey]) -> Trigger {
        Trigger(
            informerID: shared ? nil : ObjectIdentifier(informer),
            runInformer: { await informer.run() },
            waitUntilSynced: { await informer.store.waitUntilSynced() },
            hasSynced: { informer.store.hasSynced },
            pump: { queue in
                for await event in informer.subscribe() {
                    for key in map(event) { await queue.add(key) }
                }
            }
        )
    }

    /// The primary kind: each change enqueues the changed object's own key.
    public static func watch<Object: KubernetesObject>(_ informer: Informer<Object>, shared: Bool = false) -> Trigger {
        watch(informer, shared: shared) { [ObjectKey($0.object)] }
    }

    /// Keys from any producer (e.g. a pass that recomputes what every object's status should be):
    /// `produce` adds to the queue until it returns or the controller stops.
    public static func keys(_ produce: @escaping @Sendable (WorkQueue<ObjectKey>) async -> Void) -> Trigger {
        Trigger(informerID: nil, runInformer: {}, waitUntilSynced: {}, hasSynced: { true }, pump: produce)
    }
}

/// Runs informers, maps their changes to keys and has `workers` tasks call `reconcile` for each key,
/// one key at a time (the work queue guarantees it), retrying failures with backoff.
/// A swift-service-lifecycle `Service`: on graceful shutdown it stops taking keys and lets running reconciles finish.
public final class Controller: Service, Sendable {
    public let name: String
    public let workers: Int
    public let queue: WorkQueue<ObjectKey>
    private let triggers: [Trigger]
    private let reconcile: @Sendable (ObjectKey) async throws -> ReconcileResult
    private let logger: Logger
    private let reconcileErrors: Counter
    private let reconcileTime: Recorder
    private let results: [String: Counter]

    public init(name: String, workers: Int = 1, triggers: [Trigger],
                queue: WorkQueue<ObjectKey>? = nil,
                logger: Logger = Logger(label: "coxswain.controller"),
                reconcile: @escaping @Sendable (ObjectKey) async throws -> ReconcileResult) {
        self.name = name
        self.workers = max(1, workers)
        self.triggers = triggers
        self.queue = queue ?? WorkQueue(name: name)
        self.reconcile = reconcile
        var logger = logger
        logger[metadataKey: "controller"] = "\(name)"
        self.logger = logger
        reconcileErrors = Counter(label: "controller_runtime_reconcile_errors_total", dimensions: [("controller", name)])
        reconcileTime = Recorder(label: "controller_runtime_reconcile_time_seconds", dimensions: [("controller", name)], aggregate: true)
        var results: [String: Counter] = [:]
        for result in ["success", "error", "requeue", "requeue_after"] {
            results[result] = Counter(label: "controller_runtime_reconcile_total", dimensions: [("controller", name), ("result", result)])
        }
        self.results = results
    }

    public func run() async throws {
        let queue = self.queue
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { outer in
                // Informers and triggers run until the workers are done.
                let sources = Task {
                    await withTaskGroup(of: Void.self) { group in
                        var started = Set<ObjectIdentifier>()
                        for trigger in triggers {
                            group.addTask { await trigger.pump(queue) }
                            if let id = trigger.informerID, started.insert(id).inserted {
                                group.addTask { await trigger.runInformer() }
                            }
                        }
                    }
                }
                // Stopping before the caches synced (shutdown or cancellation) ends the run without reconciling.
                await cancelWhenGracefulShutdown {
                    for trigger in self.triggers { await trigger.waitUntilSynced() }
                }
                guard !Task.isCancelled, await !queue.isShuttingDown, await self.allSynced() else {
                    sources.cancel()
                    await sources.value
                    return
                }
                logger.info("caches synced; starting workers", metadata: ["workers": "\(workers)"])
                for _ in 0..<workers {
                    outer.addTask { await self.work() }
                }
                await outer.waitForAll()
                sources.cancel()
                await sources.value
            }
        } onGracefulShutdown: {
            Task { await queue.shutDownWithDrain() }
        }
    }

    private func allSynced() async -> Bool {
        for trigger in triggers where !(await trigger.hasSynced()) { return false }
        return true
    }

    private func work() async {
        while let key = await queue.get() {
            var logger = self.logger
            logger[metadataKey: "namespace"] = "\(key.namespace ?? "")"
            logger[metadataKey: "name"] = "\(key.name)"
            let start = ContinuousClock.now
            do {
                let result = try await reconcile(key)
                switch result {
                case .done:
                    await queue.forget(key)
                    results["success"]?.increment()
                case .requeue:
                    await queue.addRateLimited(key)
                    results["requeue"]?.increment()
                case .requeueAfter(let delay):
                    await queue.forget(key)
                    await queue.addAfter(key, delay)
                    results["requeue_after"]?.increment()
                }
            } catch {
                results["error"]?.increment()
                reconcileErrors.increment()
                let retries = await queue.numRequeues(key)
                logger.error("reconcile failed", metadata: ["error": "\(error)", "retries": "\(retries)"])
                await queue.addRateLimited(key)
            }
            reconcileTime.record((ContinuousClock.now - start).seconds)
            await queue.done(key)
        }
    }
}
