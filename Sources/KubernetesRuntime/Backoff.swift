/// Exponential backoff with full-range jitter, for reconnecting watches.
public struct Backoff: Sendable {
    public var initial: Duration
    public var maximum: Duration
    public var factor: Double
    /// Each delay is multiplied by a random value in `1 ... 1 + jitter`.
    public var jitter: Double
    private var current: Duration?

    public init(initial: Duration = .milliseconds(200), maximum: Duration = .seconds(30), factor: Double = 2, jitter: Double = 0.5) {
        self.initial = initial
        self.maximum = maximum
        self.factor = factor
        self.jitter = jitter
    }

    /// The next delay; grows by `factor` up to `maximum`.
    public mutating func next() -> Duration {
        let base = current.map { min($0 * factor, maximum) } ?? initial
        current = base
        return min(base * Double.random(in: 1...(1 + jitter)), maximum * (1 + jitter))
    }

    /// After a success.
    public mutating func reset() { current = nil }
}
