/// A clock reduced to what timers need: the time elapsed since it was made, and sleeping until an
/// elapsed time. Any `Clock<Duration>` can stand behind it: `ContinuousClock` in the product, a
/// manual clock in tests, so that debouncers, queues and leader election are tested on moved time
/// instead of wall time with slack.
///
/// Components store this instead of being generic over their clock, so that their type names (and
/// everything that holds them) stay the same whichever clock drives them.
public struct ElapsedClock: Sendable {
    private let elapsed: @Sendable () -> Duration
    private let sleeper: @Sendable (Duration) async throws -> Void

    /// Starts counting now on `clock`.
    public init<C: Clock>(_ clock: C) where C.Duration == Duration {
        let origin = clock.now
        elapsed = { origin.duration(to: clock.now) }
        sleeper = { deadline in try await clock.sleep(until: origin.advanced(by: deadline), tolerance: nil) }
    }

    /// The continuous clock (keeps counting while the system sleeps, as timers should).
    public static var continuous: ElapsedClock { ElapsedClock(ContinuousClock()) }

    /// Time since the clock was made.
    public var now: Duration { elapsed() }

    /// Sleeps until `deadline` (an elapsed time); throws `CancellationError` when cancelled.
    public func sleep(until deadline: Duration) async throws { try await sleeper(deadline) }

    /// Sleeps for `duration` from now.
    public func sleep(for duration: Duration) async throws { try await sleeper(now + duration) }
}
