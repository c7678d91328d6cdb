import CoreMetrics
import GRPCNIOTransportHTTP2
import NIOCore
import Synchronization

/// What one client may hold of the xDS server: connections, streams, request bytes, node id
/// bytes, and how long a connection may sit without a stream (which also ends connections that
/// never finish the TLS handshake or send only the HTTP/2 preface).
public struct XDSLimits: Sendable, Hashable {
    /// Open connections, over all clients; one more is closed as soon as it is accepted.
    public var maxConnections = 10_000
    /// HTTP/2 `SETTINGS_MAX_CONCURRENT_STREAMS`: a proxy needs one ADS stream; load tests multiplex more.
    public var maxStreamsPerConnection = 1_000
    /// Largest request message: a sidecar naming thousands of clusters needs a few hundred KiB.
    public var maxRequestBytes = 4 << 20
    /// Longest node id accepted; Istio's are well under 300 bytes.
    public var maxNodeIDBytes = 4_096
    /// How long a connection with no open stream (or no finished handshake) is kept before
    /// gRPC asks the client to go (GOAWAY).
    public var idleTimeout: Duration = .seconds(60)
    /// How much longer it is kept after that before it is closed outright: gRPC's graceful close
    /// waits for the client to answer a PING, which a client that sent only the HTTP/2 preface
    /// (or never finished the TLS handshake) never does.
    public var closeGracePeriod: Duration = .seconds(5)

    public init() {}
}

/// Counts open connections and turns away those above the limit.
final class ConnectionLimiter: Sendable {
    private let open = Mutex(0)
    let limit: Int

    init(limit: Int) { self.limit = limit }

    /// Takes a slot if one is free.
    func admit() -> Bool {
        open.withLock { count in
            guard count < limit else { return false }
            count += 1
            return true
        }
    }

    func release() { open.withLock { $0 -= 1 } }

    var count: Int { open.withLock { $0 } }
}

extension HTTP2ServerTransport.Posix.Config {
    /// The transport configuration for `limits`: gRPC's defaults with the limits set,
    /// ``InboundBufferRelease`` on every accepted stream and a larger write buffer per connection
    /// (``connectionWriteBuffer``).
    public static func xds(limits: XDSLimits) -> Self {
        let connections = ConnectionLimiter(limit: limits.maxConnections)
        return .defaults { config in
            config.http2.maxConcurrentStreams = limits.maxStreamsPerConnection
            config.rpc.maxRequestPayloadSize = limits.maxRequestBytes
            // gRPC's idle timer runs from the moment the connection is accepted while it has no
            // stream, so it also covers a client stuck in the TLS handshake or the HTTP/2 preface.
            config.connection.maxIdleTime = limits.idleTimeout
            config.connection.maxGraceTime = limits.closeGracePeriod
            let hardIdle = TimeAmount(limits.idleTimeout + limits.closeGracePeriod)
            config.channelDebuggingCallbacks.onAcceptTCPConnection = { channel in
                guard connections.admit() else {
                    XDSMetrics.connectionsRefused.increment()
                    return channel.close()
                }
                channel.closeFuture.whenComplete { _ in connections.release() }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(IdleConnectionGuard(timeout: hardIdle, maxStreams: limits.maxStreamsPerConnection), position: .first)
                }.flatMap {
                    channel.setOption(ChannelOptions.writeBufferWaterMark, value: connectionWriteBuffer)
                }
            }
            config.channelDebuggingCallbacks.onAcceptHTTP2Stream = { channel in
                channel.eventLoop.makeCompletedFuture {
                    // First in the pipeline, so it sees the frames before gRPC's stream handler.
                    try channel.pipeline.syncOperations.addHandler(InboundBufferRelease(), position: .first)
                    try channel.pipeline.syncOperations.addHandler(RequestSizeMeter(maxBytes: limits.maxRequestBytes), position: .first)
                    // A stream channel shares its connection's event loop: the guard is used on it only.
                    if let connection = channel.parent, let guardHandler = try? connection.pipeline.syncOperations.handler(type: IdleConnectionGuard.self) {
                        guardHandler.streamOpened()
                        let bound = NIOLoopBound(guardHandler, eventLoop: channel.eventLoop)
                        channel.closeFuture.whenComplete { _ in bound.value.streamClosed() }
                    }
                }
            }
        }
    }
}

/// Closes a connection that has had no open stream for `timeout`, from the moment it is accepted:
/// the backstop behind gRPC's own idle GOAWAY, for clients that ignore it or never got as far as
/// HTTP/2.
final class IdleConnectionGuard: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    let timeout: TimeAmount
    /// The connection's stream cap, counted (``XDSMetrics/recordStreamLimitReached()``) when reached:
    /// the guard sees every accepted stream, so it is where the cap shows.
    let maxStreams: Int
    private var openStreams = 0
    private var deadline: Scheduled<Void>?
    private var context: ChannelHandlerContext?

    init(timeout: TimeAmount, maxStreams: Int = .max) {
        self.timeout = timeout
        self.maxStreams = maxStreams
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { arm() }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        arm()
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
        context.fireChannelInactive()
    }

    func streamOpened() {
        openStreams += 1
        if openStreams == maxStreams { XDSMetrics.recordStreamLimitReached() }
        deadline?.cancel()
        deadline = nil
    }

    func streamClosed() {
        openStreams -= 1
        if openStreams == 0 { arm() }
    }

    private func arm() {
        guard let context, openStreams == 0 else { return }
        deadline?.cancel()
        let channel = context.channel
        deadline = context.eventLoop.scheduleTask(in: timeout) {
            XDSMetrics.idleConnectionsClosed.increment()
            channel.close(promise: nil)
        }
    }
}

/// Text from a client, cut short for logs and error messages: a node id can be megabytes.
struct ClientText: CustomStringConvertible {
    static let limit = 200
    var text: String

    init(_ text: String) { self.text = text }

    var description: String {
        let bytes = text.utf8.count
        guard bytes > Self.limit else { return text }
        // Cut on a character boundary at or before the limit.
        var end = text.startIndex
        var used = 0
        for index in text.indices {
            let size = text[index].utf8.count
            if used + size > Self.limit { break }
            used += size
            end = text.index(after: index)
        }
        return "\(text[..<end])… (\(bytes) bytes)"
    }
}
