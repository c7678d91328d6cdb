import CoxswainTestSupport
import Testing
import Timekeeping
@testable import KubernetesClient

@Suite("Token bucket")
struct RateLimiterTests {
    @Test func burstIsFreeThenQPSPaces() async throws {
        let clock = ManualClock()
        let bucket = TokenBucket(qps: 50, burst: 5, clock: ElapsedClock(clock))
        for _ in 0..<5 { #expect(bucket.reserve() == .zero) }
        let acquiring = Task {
            for _ in 0..<10 { try await bucket.acquire() }
            return clock.now.offset
        }
        // 10 tokens beyond the burst at 50/s: 200 ms of moved time, one token's worth (20 ms) at a time.
        await clock.waitForSleepers()
        await clock.advance(by: .milliseconds(199))
        #expect(clock.sleeperCount == 1, "the tenth token is not due yet")
        await clock.advance(by: .milliseconds(1))
        let elapsed = try await acquiring.value
        #expect(elapsed >= .milliseconds(180))
        #expect(elapsed <= .milliseconds(200))
    }

    @Test func reservationsQueueInOrder() async {
        let clock = ManualClock()
        let bucket = TokenBucket(qps: 10, burst: 1, clock: ElapsedClock(clock))
        #expect(bucket.reserve() == .zero)
        let second = bucket.reserve()
        let third = bucket.reserve()
        // Each reservation is a token's worth (100 ms) behind the previous one, less the time that passed (none here).
        #expect(second > .zero && second <= .milliseconds(100))
        #expect(third > second && third <= .milliseconds(200) && third - second > .milliseconds(90))
        #expect(second > .milliseconds(100) - .microseconds(1))
        // 50 ms pass: the fourth is three tokens behind, less those 50 ms.
        await clock.advance(by: .milliseconds(50))
        let fourth = bucket.reserve()
        #expect(fourth <= .milliseconds(250) && fourth > .milliseconds(250) - .microseconds(1))
    }
}
