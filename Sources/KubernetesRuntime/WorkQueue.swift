import DequeModule
import Metrics
import Timekeeping

/// client-go's rate-limiting work queue, as an actor:
/// - a key added while queued is not queued twice (the `dirty` set);
/// - a key is handed to one worker at a time: added while processing, it is queued again only after `done`;
/// - `addRateLimited` retries with the rate limiter's delay, `addAfter` delays a re-queue;
/// - after `shutDown` adds are ignored, queued keys are still handed out, then `get` returns nil;
///   `shutDownWithDrain` also waits for keys being processed to be `done`.
public actor WorkQueue<Key: Hashable & Sendable> {
    public let name: String
    private var queue = Deque<Key>()
    private var dirty = Set<Key>()
    private var processing = Set<Key>()
    private var shuttingDown = false
    private var getters: [(id: Int, continuation: CheckedContinuation<Key?, Never>)] = []
    private var nextGetterID = 0
    private var drainWaiters: [CheckedContinuation<Void, Never>] = []
    /// Keys waiting for `addAfter`, with when they are due (the earliest request wins, as in client-go).
    private var waiting: [Key: (due: Duration, timer: Task<Void, Never>)] = [:]
    private var rateLimiter: any WorkRateLimiter<Key>
    private let clock: ElapsedClock
    private var addedAt: [Key: Duration] = [:]
    private var startedAt: [Key: Duration] = [:]

    private let depthGauge: Gauge
    private let addsCounter: Counter
    private let retriesCounter: Counter
    private let queueDuration: Recorder
    private let workDuration: Recorder

    public init(name: String, rateLimiter: any WorkRateLimiter<Key> = DefaultControllerRateLimiter<Key>(), clock: ElapsedClock = .continuous) {
        self.name = name
        self.clock = clock
        self.rateLimiter = rateLimiter
        let dimensions = [("name", name)]
        depthGauge = Gauge(label: "workqueue_depth", dimensions: dimensions)
        addsCounter = Counter(label: "workqueue_adds_total", dimensions: dimensions)
        retriesCounter = Counter(label: "workqueue_retries_total", dimensions: dimensions)
        queueDuration = Recorder(label: "workqueue_queue_duration_seconds", dimensions: dimensions, aggregate: true)
        workDuration = Recorder(label: "workqueue_work_duration_seconds", dimensions: dimensions, aggregate: true)
    }

    public var count: Int { queue.count }
    public var isShuttingDown: Bool { shuttingDown }
    public var processingCount: Int { processing.count }

    public func add(_ key: Key) {
        guard !shuttingDown else { return }
        guard !dirty.contains(key) else { return }
        addsCounter.increment()
        dirty.insert(key)
        if addedAt[key] == nil { addedAt[key] = clock.now }
        if processing.contains(key) { return }
        enqueue(key)
    }

    private func enqueue(_ key: Key) {
        if !getters.isEmpty {
            let getter = getters.removeFirst()
            hand(key)
            getter.continuation.resume(returning: key)
        } else {
            queue.append(key)
            depthGauge.record(queue.count)
        }
    }

    /// Moves a key from queued to processing.
    private func hand(_ key: Key) {
        dirty.remove(key)
        processing.insert(key)
        let now = clock.now
        if let added = addedAt.removeValue(forKey: key) { queueDuration.record((now - added).seconds) }
        startedAt[key] = now
    }

    /// The next key to process; waits for one. Nil once shut down and empty (or when the task is cancelled).
    public func get() async -> Key? {
        if let key = queue.popFirst() {
            depthGauge.record(queue.count)
            hand(key)
            return key
        }
        if shuttingDown || Task.isCancelled { return nil }
        let id = nextGetterID
        nextGetterID += 1
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                getters.append((id, continuation))
            }
        } onCancel: {
            Task { await self.cancelGetter(id) }
        }
    }

    private func cancelGetter(_ id: Int) {
        guard let index = getters.firstIndex(where: { $0.id == id }) else { return }
        getters.remove(at: index).continuation.resume(returning: nil)
    }

    /// The worker finished `key`; if it was added meanwhile it is queued again.
    public func done(_ key: Key) {
        processing.remove(key)
        if let started = startedAt.removeValue(forKey: key) { workDuration.record((clock.now - started).seconds) }
        if dirty.contains(key) {
            enqueue(key)
        }
        if shuttingDown && queue.isEmpty {
            for getter in getters { getter.continuation.resume(returning: nil) }
            getters = []
        }
        if processing.isEmpty && queue.isEmpty && !drainWaiters.isEmpty {
            for waiter in drainWaiters { waiter.resume() }
            drainWaiters = []
        }
    }

    /// Adds `key` after `delay` (immediately when not positive).
    public func addAfter(_ key: Key, _ delay: Duration) {
        guard !shuttingDown else { return }
        guard delay > .zero else { return add(key) }
        let due = clock.now + delay
        if let existing = waiting[key], existing.due <= due { return }
        waiting[key]?.timer.cancel()
        let timer = Task { [clock] in
            do { try await clock.sleep(until: due) } catch { return }
            self.fire(key, due: due)
        }
        waiting[key] = (due, timer)
    }

    private func fire(_ key: Key, due: Duration) {
        guard let entry = waiting[key], entry.due == due else { return }
        waiting[key] = nil
        add(key)
    }

    /// Retries `key` after the rate limiter's delay.
    public func addRateLimited(_ key: Key) {
        guard !shuttingDown else { return }
        retriesCounter.increment()
        addAfter(key, rateLimiter.when(key))
    }

    /// Clears `key`'s failure count (after a successful reconcile).
    public func forget(_ key: Key) { rateLimiter.forget(key) }

    public func numRequeues(_ key: Key) -> Int { rateLimiter.retries(key) }

    /// Stops accepting keys; waiting getters get nil once the queue is empty.
    public func shutDown() {
        shuttingDown = true
        for (_, entry) in waiting { entry.timer.cancel() }
        waiting = [:]
        if queue.isEmpty {
            for getter in getters { getter.continuation.resume(returning: nil) }
            getters = []
        }
    }

    /// Shuts down and waits until every key being processed is `done`.
    public func shutDownWithDrain() async {
        shutDown()
        if processing.isEmpty && queue.isEmpty { return }
        await withCheckedContinuation { drainWaiters.append($0) }
    }
}

extension Duration {
    /// In seconds, for metrics.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
