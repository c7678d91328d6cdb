import NIOHTTP1
import Synchronization

/// Which requests a fault applies to: all, or only those from one client
/// (by User-Agent substring or by a header value), so a test can "partition" one client.
public struct FaultScope: Sendable, Equatable {
    public var userAgentContains: String?
    public var headerName: String?
    public var headerValue: String?

    public static let all = FaultScope()

    public init(userAgentContains: String? = nil, headerName: String? = nil, headerValue: String? = nil) {
        self.userAgentContains = userAgentContains
        self.headerName = headerName
        self.headerValue = headerValue
    }

    func matches(_ headers: HTTPHeaders) -> Bool {
        if let userAgentContains, !(headers.first(name: "user-agent") ?? "").contains(userAgentContains) { return false }
        if let headerName {
            guard let value = headers.first(name: headerName) else { return false }
            if let headerValue, value != headerValue { return false }
        }
        return true
    }
}

/// Test-controlled misbehaviour: failed requests, latency, partitions and
/// watch disruption. Also reachable over HTTP under `/_fault/` (see `APIHandler`).
public final class FaultInjector: Sendable {
    struct Failure: Sendable {
        var remaining: Int
        var status: Int
        var retryAfterSeconds: Int
        var scope: FaultScope
    }

    struct Rules: Sendable {
        var failures: [Failure] = []
        var latency: [(Duration, FaultScope)] = []
        var partitions: [FaultScope] = []
    }

    /// What to do with one request.
    enum Decision: Sendable {
        case proceed(delay: Duration?)
        case fail(APIError, delay: Duration?)
        case drop
    }

    private let rules = Mutex(Rules())
    private let store: APIStore

    init(store: APIStore) { self.store = store }

    /// The next `count` matching requests fail with `status` (500, 503 or 429; 429 carries `Retry-After`).
    public func failNextRequests(_ count: Int, status: Int = 500, retryAfterSeconds: Int = 1, scope: FaultScope = .all) {
        rules.withLock { $0.failures.append(Failure(remaining: count, status: status, retryAfterSeconds: retryAfterSeconds, scope: scope)) }
    }

    /// Every matching request waits `latency` before it is handled.
    public func addLatency(_ latency: Duration, scope: FaultScope = .all) {
        rules.withLock { $0.latency.append((latency, scope)) }
    }

    /// Matching requests get no answer: their connection is closed, as if the network were cut.
    public func partition(_ scope: FaultScope) {
        rules.withLock { $0.partitions.append(scope) }
    }

    /// Removes every partition (other faults stay).
    public func healPartitions() {
        rules.withLock { $0.partitions.removeAll() }
    }

    /// Removes all request faults.
    public func clear() {
        rules.withLock { $0 = Rules() }
    }

    /// Ends every open watch stream now.
    public func dropAllWatches() async {
        await store.dropAllWatches()
    }

    /// The next `count` watch requests get an ERROR event with a 410 Expired Status.
    /// The next `count` watches stream lines that are not watch events, then close.
    public func garbleNextWatch(count: Int = 1) async {
        await store.garbleNextWatches(count)
    }

    public func forceGoneOnNextWatch(count: Int = 1) async {
        await store.forceGoneOnNextWatches(count)
    }

    /// Forgets all event history, so resuming a watch from any earlier resourceVersion gets 410.
    public func compactHistory() async {
        await store.compactHistory()
    }

    func decide(for headers: HTTPHeaders) -> Decision {
        rules.withLock { rules in
            if rules.partitions.contains(where: { $0.matches(headers) }) { return .drop }
            let delays = rules.latency.filter { $0.1.matches(headers) }.map(\.0)
            let delay = delays.isEmpty ? nil : delays.reduce(Duration.zero, +)
            if let index = rules.failures.firstIndex(where: { $0.remaining > 0 && $0.scope.matches(headers) }) {
                rules.failures[index].remaining -= 1
                let failure = rules.failures[index]
                if rules.failures[index].remaining == 0 { rules.failures.remove(at: index) }
                let error: APIError
                switch failure.status {
                case 429: error = .tooManyRequests(retryAfter: failure.retryAfterSeconds)
                case 503:
                    error = APIError(code: 503, reason: "ServiceUnavailable", message: "the server is currently unable to handle the request",
                                     retryAfterSeconds: failure.retryAfterSeconds)
                default:
                    error = APIError(code: failure.status, reason: "InternalError", message: "Internal error occurred: injected fault")
                }
                return .fail(error, delay: delay)
            }
            return .proceed(delay: delay)
        }
    }
}
