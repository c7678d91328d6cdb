import Synchronization

/// A token bucket (as golang.org/x/time/rate and client-go's flowcontrol):
/// `burst` tokens, refilled at `qps` per second. `acquire()` reserves a token
/// and sleeps until it is due, so callers are served in arrival order.
public final class TokenBucket: Sendable {
    public let qps: Double
    public let burst: Int

    private struct State {
        var tokens: Double
        var last: ContinuousClock.Instant
    }
    private let state: Mutex<State>

    public init(qps: Double, burst: Int) {
        precondition(qps > 0 && burst > 0, "qps and burst must be positive")
        self.qps = qps
        self.burst = burst
        state = Mutex(State(tokens: Double(burst), last: .now))
    }

    /// Takes one token now and returns how long the caller must wait before using it.
    public func reserve() -> Duration {
        state.withLock { state in
            let now = ContinuousClock.now
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
        if wait > .zero { try await Task.sleep(for: wait) }
    }
}
