import NIOCore
import NIOHTTP2

/// Counts requests over ``XDSLimits/maxRequestBytes`` (``XDSMetrics/recordRequestTooLarge()``).
///
/// gRPC's transport refuses such a message from its length prefix, before any handler of ours
/// runs, so the count is taken here, on the stream's DATA frames as they arrive: each gRPC
/// message is a 5-byte prefix (compressed flag, big-endian length) and then its bytes. Nothing is
/// buffered or changed; the frames pass on as they came.
final class RequestSizeMeter: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTP2Frame.FramePayload
    typealias InboundOut = HTTP2Frame.FramePayload

    let maxBytes: Int
    private var prefix: [UInt8] = []
    private var remaining = 0
    /// Once a message is too large the transport ends the stream; nothing after it is looked at.
    private var counted = false

    init(maxBytes: Int) { self.maxBytes = maxBytes }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if !counted, case .data(let frame) = unwrapInboundIn(data), case .byteBuffer(var bytes) = frame.data {
            measure(&bytes)
        }
        context.fireChannelRead(data)
    }

    private func measure(_ bytes: inout ByteBuffer) {
        while bytes.readableBytes > 0, !counted {
            if remaining > 0 {
                let skipped = min(remaining, bytes.readableBytes)
                bytes.moveReaderIndex(forwardBy: skipped)
                remaining -= skipped
                continue
            }
            prefix.append(bytes.readInteger(as: UInt8.self)!)
            guard prefix.count == 5 else { continue }
            let length = prefix[1...4].reduce(0) { $0 << 8 | Int($1) }
            prefix.removeAll(keepingCapacity: true)
            if length > maxBytes {
                counted = true
                XDSMetrics.recordRequestTooLarge()
            } else {
                remaining = length
            }
        }
    }
}
