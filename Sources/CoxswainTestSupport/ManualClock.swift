import Synchronization

/// A clock that moves only when a test says so. Sleepers wake, in deadline order, when `advance`
/// passes their deadline; a cancelled sleeper throws `CancellationError` at once.
///
/// Tests drive time-based components (debouncer, work queue, leader election) through it, so they
/// assert what happens at an exact moment rather than bounding wall time with slack.
public final class ManualClock: Clock, Sendable {
    public struct Instant: InstantProtocol {
        public var offset: Duration
        public init(offset: Duration) { self.offset = offset }
        public func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        public func duration(to other: Instant) -> Duration { other.offset - offset }
        public static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
    }

    private struct Sleeper {
        var deadline: Instant
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now = Instant(offset: .zero)
        var sleepers: [Int: Sleeper] = [:]
        var nextID = 0
    }

    private let state = Mutex(State())

    public init() {}

    public var now: Instant { state.withLock { $0.now } }
    public var minimumResolution: Duration { .zero }

    /// How many tasks are sleeping on this clock: lets a test wait until a component has armed its timer.
    public var sleeperCount: Int { state.withLock { $0.sleepers.count } }

    /// Every sleeper's deadline, earliest first: lets a test wait until components have re-armed exactly
    /// the timers it expects (say, every candidate's next retry), not merely some timer.
    public var sleeperDeadlines: [Duration] { state.withLock { $0.sleepers.values.map(\.deadline.offset).sorted() } }

    public func sleep(until deadline: Instant, tolerance: Duration? = nil) async throws {
        try Task.checkCancellation()
        let id = state.withLock { state -> Int in
            defer { state.nextID += 1 }
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let resumeNow = state.withLock { state -> Bool in
                    if deadline <= state.now { return true }
                    state.sleepers[id] = Sleeper(deadline: deadline, continuation: continuation)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let sleeper = state.withLock { $0.sleepers.removeValue(forKey: id) }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves time forward by `duration`, waking every sleeper whose deadline is reached, earliest first.
    public func advance(by duration: Duration) async {
        let target = state.withLock { $0.now.advanced(by: duration) }
        while true {
            // Wake one deadline at a time, letting woken tasks run (and re-arm timers) before the next.
            let due = state.withLock { state -> [Sleeper] in
                guard let earliest = state.sleepers.values.map(\.deadline).min(), earliest <= target else {
                    state.now = target
                    return []
                }
                state.now = max(state.now, earliest)
                let ready = state.sleepers.filter { $0.value.deadline <= earliest }
                for id in ready.keys { state.sleepers[id] = nil }
                return Array(ready.values)
            }
            if due.isEmpty { break }
            for sleeper in due { sleeper.continuation.resume() }
            await Self.settle()
        }
        await Self.settle()
    }

    /// Waits until some task sleeps on this clock (bounded: gives up after many yields).
    public func waitForSleepers(_ count: Int = 1) async {
        for _ in 0..<10_000 where sleeperCount < count { await Task.yield() }
    }

    /// Lets tasks that were just resumed run up to their next suspension.
    static func settle() async {
        for _ in 0..<50 { await Task.yield() }
    }
}
