import GRPCCore
import Synchronization

/// What wakes a stream's loop: a request from the proxy, a mesh change, or the end.
enum StreamEvent<Request: Sendable>: Sendable {
    case request(Request)
    case changed(UInt64)
    case ended((any Error)?)
}

/// The events a stream's loop reads, in arrival order.
typealias StreamEvents<Request: Sendable> = AsyncMapSequence<AsyncStream<StreamEvent<Request>>, StreamEvent<Request>>

/// Whether a change is waiting in a stream's events. A stream that is busy while several
/// changes land holds one, not a queue: its push always sends the newest state.
final class PendingChange: Sendable {
    private let pending = Atomic<Bool>(false)

    /// True when no change was waiting (the caller should enqueue one).
    func mark() -> Bool { !pending.exchange(true, ordering: .acquiringAndReleasing) }
    func clear() { pending.store(false, ordering: .releasing) }
}

/// Runs `body` over the merged events of a proxy's requests and the cache's changes.
/// One loop owns the stream's state, so no locking is needed. The request reader is a
/// child task, cancelled when the loop returns; the cache enqueues changes itself, so a
/// connected proxy costs one task besides its RPC's (tasks are most of a stream's memory).
func withStreamEvents<Request: Sendable>(
    requests: RPCAsyncSequence<Request, any Error>,
    cache: SnapshotCache,
    body: (StreamEvents<Request>) async throws -> Void
) async throws {
    let (stream, continuation) = AsyncStream.makeStream(of: StreamEvent<Request>.self)
    let pending = PendingChange()
    let subscription = await cache.subscribe { generation in
        if pending.mark() { continuation.yield(.changed(generation)) }
    }
    defer { Task { await cache.unsubscribe(subscription) } }
    let events = stream.map { event -> StreamEvent<Request> in
        if case .changed = event { pending.clear() }
        return event
    }
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask {
            do {
                for try await request in requests { continuation.yield(.request(request)) }
                continuation.yield(.ended(nil))
            } catch {
                continuation.yield(.ended(error))
            }
        }
        defer { group.cancelAll() }
        try await body(events)
    }
}
