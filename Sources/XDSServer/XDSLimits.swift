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
    /// How long a connection with no open stream (or no finished handshake) is kept.
    public var idleTimeout: Duration = .seconds(60)

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
            config.channelDebuggingCallbacks.onAcceptTCPConnection = { channel in
                guard connections.admit() else {
                    XDSMetrics.connectionsRefused.increment()
                    return channel.close()
                }
                channel.closeFuture.whenComplete { _ in connections.release() }
                return channel.setOption(ChannelOptions.writeBufferWaterMark, value: connectionWriteBuffer)
            }
            config.channelDebuggingCallbacks.onAcceptHTTP2Stream = { channel in
                channel.eventLoop.makeCompletedFuture {
                    // First in the pipeline, so it sees the frames before gRPC's stream handler.
                    try channel.pipeline.syncOperations.addHandler(InboundBufferRelease(), position: .first)
                }
            }
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
