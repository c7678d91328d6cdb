import NIOCore
import NIOEmbedded
import NIOHTTP2
import Testing
@testable import XDSServer

@Suite struct InboundBufferReleaseTests {
    /// Each DATA frame goes on unchanged, then an empty one that lets gRPC's deframer drop a
    /// buffer it has read to the end; none after the end of the stream, where gRPC would take it
    /// as a protocol error.
    @Test func anEmptyDataFrameFollowsEveryDataFrameBeforeTheEndOfTheStream() throws {
        let channel = EmbeddedChannel(handler: InboundBufferRelease())
        try channel.writeInbound(HTTP2Frame.FramePayload.headers(.init(headers: [":path": "/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources"])))
        try channel.writeInbound(HTTP2Frame.FramePayload.data(.init(data: .byteBuffer(ByteBuffer(string: "first")))))
        try channel.writeInbound(HTTP2Frame.FramePayload.data(.init(data: .byteBuffer(ByteBuffer(string: "last")), endStream: true)))

        var received: [String] = []
        while let payload = try channel.readInbound(as: HTTP2Frame.FramePayload.self) {
            switch payload {
            case .headers: received.append("headers")
            case .data(let data):
                guard case .byteBuffer(let buffer) = data.data else { Issue.record("a file region"); continue }
                received.append("data \"\(String(buffer: buffer))\"\(data.endStream ? " end" : "")")
            default: received.append("other")
            }
        }
        #expect(received == ["headers", "data \"first\"", "data \"\"", "data \"last\" end"])
        #expect(try channel.finish().isClean)
    }
}
