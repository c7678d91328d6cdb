import GRPCCore

/// What wakes a stream's loop: a request from the proxy, a mesh change, or the end.
enum StreamEvent<Request: Sendable>: Sendable {
    case request(Request)
    case changed(UInt64)
    case ended((any Error)?)
}

/// Runs `body` over the merged events of a proxy's requests and the cache's changes.
/// One loop owns the stream's state, so no locking is needed; the request reader and
/// the change listener are child tasks, cancelled when the loop returns.
func withStreamEvents<Request: Sendable>(
    requests: RPCAsyncSequence<Request, any Error>,
    cache: SnapshotCache,
    body: (AsyncStream<StreamEvent<Request>>) async throws -> Void
) async throws {
    let (events, continuation) = AsyncStream.makeStream(of: StreamEvent<Request>.self)
    let subscription = await cache.subscribe()
    defer { Task { await cache.unsubscribe(subscription.id) } }
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask {
            do {
                for try await request in requests { continuation.yield(.request(request)) }
                continuation.yield(.ended(nil))
            } catch {
                continuation.yield(.ended(error))
            }
        }
        group.addTask {
            for await generation in subscription.changes { continuation.yield(.changed(generation)) }
        }
        defer { group.cancelAll() }
        try await body(events)
    }
}
