import GRPCNIOTransportHTTP2
import NIOCore
import NIOHTTP2

/// Stops an idle stream from holding on to the buffer of the last request it received.
///
/// gRPC's deframer keeps the buffer its last message came in until the stream's next DATA
/// frame, and NIO hands DATA payloads over as slices of the connection's read buffers. An ADS
/// stream sits idle between pushes, so every connected proxy would pin kilobytes (a read buffer
/// shared with other streams' frames, or a sidecar's request naming thousands of clusters)
/// for as long as it stays connected. An empty DATA frame after each one makes the deframer let
/// go once it has read a whole message; while a message is incomplete it keeps the bytes, and
/// appending nothing changes nothing.
final class InboundBufferRelease: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTP2Frame.FramePayload
    typealias InboundOut = HTTP2Frame.FramePayload

    private static let empty = HTTP2Frame.FramePayload.data(.init(data: .byteBuffer(ByteBuffer())))

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.fireChannelRead(data)
        // After the end of the stream, gRPC takes any DATA as a protocol error.
        guard case .data(let frame) = unwrapInboundIn(data), !frame.endStream else { return }
        context.fireChannelRead(wrapInboundOut(Self.empty))
    }
}

extension HTTP2ServerTransport.Posix.Config {
    /// How much a connection buffers before it stops taking writes. NIO's default (64 KiB) is a
    /// tenth of one sidecar's route configuration, and each time a connection's writability
    /// changes NIO's HTTP/2 handler tells every stream on it: with a hundred proxies per
    /// connection and a push of 615 KB to each, that took a quarter of the server's CPU. 1 MiB
    /// saves most of it (4 MiB measured no better) and bounds what a slow proxy's connection holds.
    static let connectionWriteBuffer = ChannelOptions.Types.WriteBufferWaterMark(low: 256 << 10, high: 1 << 20)

    /// ``xds(limits:)`` with the default limits.
    public static var xds: Self { .xds(limits: XDSLimits()) }
}
