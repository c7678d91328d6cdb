import Testing
@testable import KubernetesClient

@Suite("Token bucket")
struct RateLimiterTests {
    @Test func burstIsFreeThenQPSPaces() async throws {
        let bucket = TokenBucket(qps: 50, burst: 5)
        let start = ContinuousClock.now
        for _ in 0..<5 { #expect(bucket.reserve() == .zero) }
        for _ in 0..<10 { try await bucket.acquire() }
        let elapsed = ContinuousClock.now - start
        // 10 tokens beyond the burst at 50/s: about 200 ms.
        #expect(elapsed >= .milliseconds(180))
        #expect(elapsed < .seconds(60)) // generous: the whole suite shares two cores
    }

    @Test func reservationsQueueInOrder() {
        let bucket = TokenBucket(qps: 10, burst: 1)
        #expect(bucket.reserve() == .zero)
        let second = bucket.reserve()
        let third = bucket.reserve()
        // Each reservation is a token's worth (100 ms) behind the previous one, less the time that passed.
        #expect(second > .zero && second <= .milliseconds(100))
        #expect(third > second && third <= .milliseconds(200) && third - second > .milliseconds(90))
    }
}
