import Timekeeping

/// Coalesces bursts of mesh changes into few pushes: a change is published once the
/// mesh has been quiet for `quiet`, and never later than `maxDelay` after the first
/// change of the burst (istiod's PILOT_DEBOUNCE_AFTER / PILOT_DEBOUNCE_MAX).
public actor ChangeDebouncer {
    public let quiet: Duration
    public let maxDelay: Duration
    private let cache: SnapshotCache
    private var pending: ChangeScope?
    private let clock: ElapsedClock
    private var burstStart: Duration?
    private var lastChange: Duration?
    private var timer: Task<Void, Never>?
    /// How many times a burst was published (for tests and metrics).
    public private(set) var publications = 0

    public init(cache: SnapshotCache, quiet: Duration = .milliseconds(100), maxDelay: Duration = .seconds(1), clock: ElapsedClock = .continuous) {
        self.cache = cache
        self.clock = clock
        self.quiet = quiet
        self.maxDelay = maxDelay
    }

    /// Notes a change; it is published after the quiet period.
    public func changed(_ scope: ChangeScope) {
        let now = clock.now
        pending = pending?.merged(with: scope) ?? scope
        if burstStart == nil { burstStart = now }
        lastChange = now
        if timer == nil {
            timer = Task { await self.runTimer() }
        }
    }

    /// Publishes whatever is pending now.
    public func flush() async {
        timer?.cancel()
        timer = nil
        await publishPending()
    }

    private func runTimer() async {
        while let start = burstStart, let last = lastChange {
            let deadline = min(last + quiet, start + maxDelay)
            if clock.now >= deadline { break }
            do { try await clock.sleep(until: deadline) } catch { return }
        }
        timer = nil
        await publishPending()
    }

    private func publishPending() async {
        guard let scope = pending else { return }
        pending = nil
        burstStart = nil
        lastChange = nil
        publications += 1
        await cache.publish(scope)
    }
}
