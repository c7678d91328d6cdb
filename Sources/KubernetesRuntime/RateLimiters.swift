import KubernetesClient
import Timekeeping

/// Decides how long a failed item waits before it is retried (client-go's workqueue.TypedRateLimiter).
public protocol WorkRateLimiter<Key>: Sendable {
    associatedtype Key: Hashable & Sendable
    /// The delay for the next retry of `key`; counts a failure.
    mutating func when(_ key: Key) -> Duration
    /// Forgets `key`'s failures after a success.
    mutating func forget(_ key: Key)
    func retries(_ key: Key) -> Int
}

/// `base * 2^failures`, capped (client-go: 5 ms doubling to 1000 s).
public struct ItemExponentialFailureRateLimiter<Key: Hashable & Sendable>: WorkRateLimiter {
    public var base: Duration
    public var maximum: Duration
    private var failures: [Key: Int] = [:]

    public init(base: Duration = .milliseconds(5), maximum: Duration = .seconds(1000)) {
        self.base = base
        self.maximum = maximum
    }

    public mutating func when(_ key: Key) -> Duration {
        let exponent = failures[key, default: 0]
        failures[key] = exponent + 1
        if exponent >= 62 { return maximum }
        let delay = base * Double(pow2(exponent))
        return delay > maximum ? maximum : delay
    }

    private func pow2(_ n: Int) -> Double { Double(sign: .plus, exponent: n, significand: 1) }

    public mutating func forget(_ key: Key) { failures[key] = nil }
    public func retries(_ key: Key) -> Int { failures[key, default: 0] }
}

/// An overall token bucket shared by all items (client-go: 10 qps, burst 100).
public struct BucketRateLimiter<Key: Hashable & Sendable>: WorkRateLimiter {
    private let bucket: TokenBucket
    public init(qps: Double = 10, burst: Int = 100, clock: ElapsedClock = .continuous) { bucket = TokenBucket(qps: qps, burst: burst, clock: clock) }
    public mutating func when(_ key: Key) -> Duration { bucket.reserve() }
    public mutating func forget(_ key: Key) {}
    public func retries(_ key: Key) -> Int { 0 }
}

/// The longest delay of the per-item backoff and the overall bucket: client-go's DefaultControllerRateLimiter.
public struct DefaultControllerRateLimiter<Key: Hashable & Sendable>: WorkRateLimiter {
    public var perItem: ItemExponentialFailureRateLimiter<Key>
    public var overall: BucketRateLimiter<Key>

    public init(perItem: ItemExponentialFailureRateLimiter<Key> = .init(), overall: BucketRateLimiter<Key> = .init()) {
        self.perItem = perItem
        self.overall = overall
    }

    public mutating func when(_ key: Key) -> Duration { max(perItem.when(key), overall.when(key)) }
    public mutating func forget(_ key: Key) { perItem.forget(key) }
    public func retries(_ key: Key) -> Int { perItem.retries(key) }
}
