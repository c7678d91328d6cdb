import Synchronization
import Timekeeping

/// A token bucket (as golang.org/x/time/rate and client-go's flowcontrol):
/// `burst` tokens, refilled at `qps` per second. `acquire()` reserves a token
/// and sleeps until it is due, so callers are served in arrival order.
public final class TokenBucket: Sendable {
    public let qps: Double
    public let burst: Int
    /// Refills and waits run on it, so tests move time instead of waiting for tokens.
    private let clock: ElapsedClock

    private struct State {
        var tokens: Double
        /// When tokens were last counted, on `clock`.
        var last: Duration
    }
    private let state: Mutex<State>

    public init(qps: Double, burst: Int, clock: ElapsedClock = .continuous) {
        precondition(qps > 0 && burst > 0, "qps and burst must be positive")
        self.qps = qps
        self.burst = burst
        self.clock = clock
        state = Mutex(State(tokens: Double(burst), last: clock.now))
    }

    /// Takes one token now and returns how long the caller must wait before using it.
    public func reserve() -> Duration {
        state.withLock { state in
            let now = clock.now
            let elapsed = now - state.last
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            state.tokens = min(Double(burst), state.tokens + seconds * qps)
            state.last = now
            state.tokens -= 1
            if state.tokens >= 0 { return .zero }
            return .nanoseconds(Int64((-state.tokens / qps) * 1e9))
        }
    }

    /// Waits until a token is available (cancellable).
    public func acquire() async throws {
        let wait = reserve()
        if wait > .zero { try await clock.sleep(for: wait) }
    }
}
